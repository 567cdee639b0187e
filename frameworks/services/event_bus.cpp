#include "frameworks/services/event_bus.hpp"

#include <algorithm>

#include "frameworks/services/app.hpp"

namespace agora::services {

std::optional<std::string> Subscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return !frames_.empty() || closed_; });
  if (frames_.empty()) {
    return std::nullopt;
  }
  std::string frame = std::move(frames_.front());
  frames_.pop_front();
  return frame;
}

bool Subscription::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_ && frames_.empty();
}

void Subscription::push(const std::string& type, const std::string& frame) {
  if (!eventTypes_.empty() && eventTypes_.count(type) == 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) {
    return;
  }
  if (frames_.size() >= kMaxQueued) {
    frames_.clear();  // Too slow: end the stream; the client reconnects and reloads state.
    closed_ = true;
  } else {
    frames_.push_back(frame);
  }
  ready_.notify_one();
}

void Subscription::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  ready_.notify_one();
}

void EventBus::publish(const std::string& eventType, nlohmann::json payload) {
  payload["eventType"] = eventType;
  payload["timestamp"] = versionNow();
  std::string frame = "event: " + eventType + "\ndata: " + payload.dump() + "\n\n";
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& subscriber : subscribers_) {
    subscriber->push(eventType, frame);
  }
}

std::shared_ptr<Subscription> EventBus::subscribe(std::set<std::string> eventTypes) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_ || subscribers_.size() >= maxSubscribers) {
    return nullptr;
  }
  subscribers_.push_back(std::make_shared<Subscription>(std::move(eventTypes)));
  return subscribers_.back();
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  std::lock_guard<std::mutex> lock(mutex_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscription),
                     subscribers_.end());
}

void EventBus::closeAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  for (const auto& subscriber : subscribers_) {
    subscriber->close();
  }
  subscribers_.clear();
}

}  // namespace agora::services
