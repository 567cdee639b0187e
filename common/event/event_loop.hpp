// A single-threaded event loop: ZeroMQ sockets, file descriptors, timers and closures
// posted from other threads (the libprocess / Envoy dispatcher idea, in one small class).
//
// Thread-safety: `post()`, `stop()` and `runSync()` may be called from any thread.
// Everything else must be called on the loop thread (the one running `run()`), or before
// `run()` starts. Callbacks run on the loop thread, one at a time, so the state they touch
// needs no lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <zmq.hpp>

namespace agora {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = uint64_t;
  using Callback = std::function<void()>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs `fn` on the loop thread soon. Thread-safe.
  void post(Callback fn);

  // Runs `fn` once after `delay`. Returns an id for `cancel()`.
  TimerId runAfter(std::chrono::duration<double> delay, Callback fn);
  // Runs `fn` every `period` until cancelled.
  TimerId runEvery(std::chrono::duration<double> period, Callback fn);
  // Cancelling an id that already fired (or 0) is a no-op.
  void cancel(TimerId id);

  // Calls `onReadable` whenever the socket has messages. The socket must outlive the watch.
  void watchSocket(zmq::socket_t* socket, Callback onReadable);
  void unwatchSocket(zmq::socket_t* socket);
  void watchFd(int fd, Callback onReadable);
  void unwatchFd(int fd);

  // Runs until `stop()`.
  void run();
  // Thread-safe and async-signal-safe (a signal handler may call it: it only sets an atomic
  // flag and writes to an eventfd, no lock, no allocation); `run()` returns after the
  // callback in progress.
  void stop();

  Clock::time_point now() const { return Clock::now(); }
  bool inLoopThread() const { return std::this_thread::get_id() == loopThread_; }

  // Runs `fn` on the loop and waits for its result, for callers on other threads (HTTP
  // handlers). Returns nullopt when the loop does not answer within `timeout`.
  template <typename F>
  auto runSync(F fn, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      -> std::optional<decltype(fn())> {
    using R = decltype(fn());
    auto promise = std::make_shared<std::promise<R>>();
    auto future = promise->get_future();
    post([promise, fn = std::move(fn)]() mutable { promise->set_value(fn()); });
    if (future.wait_for(timeout) != std::future_status::ready) {
      return std::nullopt;
    }
    return future.get();
  }

  // The longest a single callback took, in milliseconds, since the last call (for the
  // `master_loop_max_stall_ms` figure).
  double takeMaxCallbackMillis();

 private:
  struct Timer {
    Clock::time_point due;
    std::chrono::duration<double> period;  // Zero for one-shot timers.
    Callback fn;
  };
  struct Watch {
    zmq::socket_t* socket = nullptr;
    int fd = -1;
    Callback fn;
    uint64_t id = 0;  // Unique: an fd number is reused as soon as it is closed.
  };
  bool stillWatched(uint64_t id) const;

  void runDueTimers();
  void drainPosted();
  std::chrono::milliseconds pollTimeout() const;
  void timed(const Callback& fn);

  int wakeFd_ = -1;
  std::thread::id loopThread_;
  bool stopping_ = false;
  std::mutex mutex_;
  std::vector<Callback> posted_;  // GUARDED_BY(mutex_)
  std::atomic<bool> stopRequested_{false};

  TimerId nextTimerId_ = 1;
  std::map<TimerId, Timer> timers_;
  std::multimap<Clock::time_point, TimerId> schedule_;
  std::vector<Watch> watches_;
  uint64_t nextWatchId_ = 1;
  double maxCallbackMillis_ = 0;
};

}  // namespace agora
