// `EventBus`: Marathon's event stream (`/v2/events`). The scheduler publishes events
// (`status_update_event`, `deployment_success`, ...) on its loop; each server-sent-events
// connection holds a `Subscription` and drains it on an HTTP thread.
//
// Thread-safe. A subscriber that falls `kMaxQueued` events behind is dropped (its stream
// ends) rather than letting the daemon's memory grow without bound.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace agora::services {

class Subscription {
 public:
  // Only these event types (all when empty).
  explicit Subscription(std::set<std::string> eventTypes) : eventTypes_(std::move(eventTypes)) {}

  // The next event as an SSE frame ("event: TYPE\ndata: JSON\n\n"), or nullopt after
  // `timeout` without one. `closed()` tells whether the stream should end.
  std::optional<std::string> next(std::chrono::milliseconds timeout);
  bool closed() const;

 private:
  friend class EventBus;
  static constexpr size_t kMaxQueued = 10000;
  void push(const std::string& type, const std::string& frame);
  void close();

  const std::set<std::string> eventTypes_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::string> frames_;
  bool closed_ = false;
};

class EventBus {
 public:
  ~EventBus() { closeAll(); }

  // Adds `eventType` and `timestamp` to `payload` and hands it to every subscriber.
  void publish(const std::string& eventType, nlohmann::json payload);

  // Errors: nullptr when `maxSubscribers` streams are already open, or after `closeAll`.
  std::shared_ptr<Subscription> subscribe(std::set<std::string> eventTypes);
  void unsubscribe(const std::shared_ptr<Subscription>& subscription);
  // Ends every stream (shutdown).
  void closeAll();

  size_t maxSubscribers = 64;

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<Subscription>> subscribers_;
  bool closed_ = false;
};

}  // namespace agora::services
