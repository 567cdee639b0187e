#include "common/event/event_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include <glog/logging.h>

namespace agora {

EventLoop::EventLoop() : loopThread_(std::this_thread::get_id()) {
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  PCHECK(wakeFd_ >= 0) << "eventfd";
}

EventLoop::~EventLoop() { close(wakeFd_); }

void EventLoop::post(Callback fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  ssize_t ignored = write(wakeFd_, &one, sizeof(one));
  (void)ignored;
}

EventLoop::TimerId EventLoop::runAfter(std::chrono::duration<double> delay, Callback fn) {
  TimerId id = nextTimerId_++;
  auto due = Clock::now() + std::chrono::duration_cast<Clock::duration>(delay);
  timers_[id] = Timer{due, std::chrono::duration<double>::zero(), std::move(fn)};
  schedule_.emplace(due, id);
  return id;
}

EventLoop::TimerId EventLoop::runEvery(std::chrono::duration<double> period, Callback fn) {
  TimerId id = runAfter(period, std::move(fn));
  timers_[id].period = period;
  return id;
}

void EventLoop::cancel(TimerId id) { timers_.erase(id); }

void EventLoop::watchSocket(zmq::socket_t* socket, Callback onReadable) {
  watches_.push_back(Watch{socket, -1, std::move(onReadable), nextWatchId_++});
}

void EventLoop::unwatchSocket(zmq::socket_t* socket) {
  std::erase_if(watches_, [socket](const Watch& w) { return w.socket == socket; });
}

void EventLoop::watchFd(int fd, Callback onReadable) {
  watches_.push_back(Watch{nullptr, fd, std::move(onReadable), nextWatchId_++});
}

bool EventLoop::stillWatched(uint64_t id) const {
  return std::any_of(watches_.begin(), watches_.end(), [id](const Watch& w) { return w.id == id; });
}

void EventLoop::unwatchFd(int fd) {
  std::erase_if(watches_, [fd](const Watch& w) { return w.socket == nullptr && w.fd == fd; });
}

void EventLoop::stop() {
  stopRequested_.store(true);
  uint64_t one = 1;
  ssize_t ignored = write(wakeFd_, &one, sizeof(one));
  (void)ignored;
}

double EventLoop::takeMaxCallbackMillis() {
  double max = maxCallbackMillis_;
  maxCallbackMillis_ = 0;
  return max;
}

void EventLoop::timed(const Callback& fn) {
  auto start = Clock::now();
  fn();
  double millis = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  maxCallbackMillis_ = std::max(maxCallbackMillis_, millis);
}

std::chrono::milliseconds EventLoop::pollTimeout() const {
  // Skip schedule entries of cancelled timers lazily: they only shorten one poll.
  if (schedule_.empty()) {
    return std::chrono::milliseconds(1000);
  }
  auto wait = schedule_.begin()->first - Clock::now();
  auto millis = std::chrono::ceil<std::chrono::milliseconds>(wait);
  return std::clamp(millis, std::chrono::milliseconds(0), std::chrono::milliseconds(1000));
}

void EventLoop::runDueTimers() {
  auto now = Clock::now();
  while (!schedule_.empty() && schedule_.begin()->first <= now) {
    auto [due, id] = *schedule_.begin();
    schedule_.erase(schedule_.begin());
    auto timer = timers_.find(id);
    if (timer == timers_.end() || timer->second.due != due) {
      continue;  // Cancelled, or rescheduled.
    }
    Callback fn = timer->second.fn;
    if (timer->second.period.count() > 0) {
      timer->second.due = now + std::chrono::duration_cast<Clock::duration>(timer->second.period);
      schedule_.emplace(timer->second.due, id);
    } else {
      timers_.erase(timer);
    }
    timed(fn);
  }
}

void EventLoop::drainPosted() {
  uint64_t count;
  ssize_t ignored = read(wakeFd_, &count, sizeof(count));
  (void)ignored;
  std::vector<Callback> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(posted_);
  }
  stopping_ = stopping_ || stopRequested_.load();
  for (auto& fn : batch) {
    timed(fn);
  }
}

void EventLoop::run() {
  loopThread_ = std::this_thread::get_id();
  std::vector<zmq::pollitem_t> items;
  while (!stopping_) {
    items.clear();
    items.push_back(zmq::pollitem_t{nullptr, wakeFd_, ZMQ_POLLIN, 0});
    // Copy: callbacks may add or remove watches.
    std::vector<Watch> watches = watches_;
    for (const Watch& w : watches) {
      if (w.socket != nullptr) {
        items.push_back(zmq::pollitem_t{w.socket->handle(), 0, ZMQ_POLLIN, 0});
      } else {
        items.push_back(zmq::pollitem_t{nullptr, w.fd, ZMQ_POLLIN, 0});
      }
    }
    try {
      zmq::poll(items.data(), items.size(), pollTimeout());
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) {
        LOG(ERROR) << "zmq poll failed: " << e.what();
      }
      continue;
    }
    if (items[0].revents & ZMQ_POLLIN) {
      drainPosted();
    }
    for (size_t i = 0; i < watches.size() && !stopping_; ++i) {
      // An earlier callback of this round may have removed this watch (and closed its fd,
      // whose number a new watch may already reuse): its readiness is stale.
      if ((items[i + 1].revents & ZMQ_POLLIN) && stillWatched(watches[i].id)) {
        timed(watches[i].fn);
      }
    }
    runDueTimers();
    stopping_ = stopping_ || stopRequested_.load();
  }
}

}  // namespace agora
