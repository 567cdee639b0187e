// `DriverImpl`: the actor behind `SchedulerDriver` (see include/agora/sdk/scheduler_driver.hpp
// for the behaviour). Its state machine:
//
//   kIdle -> kDiscovering -> kSubscribing -> kSubscribed
//                 ^               |               |
//                 +---------------+---------------+   (master lost: silence, no SUBSCRIBED)
//   any -> kStopped                                    (stop(), or a fatal Event.error)
//
// Thread-safety: `start()`, `join()`, `stop()`, `post()`, `frameworkId()` may be called
// from any thread. Every other member runs on the loop thread, which alone touches the
// socket and the protocol state.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "agora/sdk/scheduler_driver.hpp"
#include "common/event/event_loop.hpp"
#include "common/http/http.hpp"
#include "common/transport/sockets.hpp"
#include "frameworks/sdk/src/update_filter.hpp"

namespace agora::sdk {

class DriverImpl {
 public:
  DriverImpl(SchedulerDriver* owner, Scheduler* scheduler, DriverOptions options);
  ~DriverImpl();

  Status start();
  Status join();
  void stop(FailoverMode mode);
  std::optional<v1::FrameworkID> frameworkId() const;
  // Never changes after construction: safe from any thread.
  const DriverOptions& options() const { return options_; }

  // Sends `call` from the loop thread if subscribed; drops it with a warning otherwise.
  // `what` names the call in that warning.
  void sendWhenSubscribed(std::string what, v1::scheduler::Call call);
  // Explicit acknowledgement (remembered so a retried update is re-acknowledged).
  void acknowledge(v1::TaskStatus status);

 private:
  enum class State { kIdle, kDiscovering, kSubscribing, kSubscribed, kStopped };
  static const char* stateName(State state);
  void transitionTo(State next);

  // Connection lifecycle (driver_impl.cpp).
  void discover();
  void connect(const std::string& endpoint);
  void subscribe();
  void onSubscribeTimeout();
  void onHeartbeatTick();
  void masterLost(const std::string& why);
  void dropConnection();
  void shutdown(FailoverMode mode, Status status);
  void cancelTimers();
  bool send(v1::scheduler::Call call);
  void setFrameworkId(const v1::FrameworkID& id);

  // Events from the master (driver_events.cpp).
  void onReadable();
  void onEvent(const v1::scheduler::Event& event);
  void onSubscribed(const v1::scheduler::Event::Subscribed& subscribed);
  void onUpdate(const v1::TaskStatus& status);
  void onError(const v1::scheduler::Event::Error& error);
  void sendAcknowledgement(const v1::TaskStatus& status);

  SchedulerDriver* owner_;
  Scheduler* scheduler_;
  DriverOptions options_;
  HostPort master_;

  EventLoop loop_;
  std::thread thread_;
  std::atomic<bool> started_{false};
  std::mutex joinMutex_;  // Serializes join() callers.

  // Loop-thread state.
  zmq::context_t context_{1};
  std::unique_ptr<DealerSocket> dealer_;
  State state_ = State::kIdle;
  std::optional<v1::FrameworkID> id_;
  DriverOptions::Seconds heartbeatInterval_{0};
  EventLoop::Clock::time_point lastHeard_;
  EventLoop::TimerId retryTimer_ = 0;
  EventLoop::TimerId heartbeatTimer_ = 0;
  UpdateFilter updates_;
  Status fatal_;  // Read by join() after the thread ended.

  // A copy of `id_` for `frameworkId()` on other threads; the only lock in the driver.
  mutable std::mutex idMutex_;
  std::optional<v1::FrameworkID> publishedId_;  // GUARDED_BY(idMutex_)
};

}  // namespace agora::sdk
