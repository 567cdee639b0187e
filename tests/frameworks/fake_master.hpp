// `FakeMaster`: plays the master's side of the scheduler protocol for SDK tests — a real
// ROUTER socket on tcp://127.0.0.1:0 watched by its own `EventLoop`, and a real HTTP server
// answering `GET /master/endpoint`. Calls are queued for the test to wait on; heartbeats
// are answered automatically unless `setAnswerHeartbeats(false)`.
//
// Thread-safety: every public method may be called from the test thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "common/event/event_loop.hpp"
#include "common/transport/sockets.hpp"

namespace agora::testing {

struct ReceivedCall {
  std::string identity;
  v1::scheduler::Call call;
};

class FakeMaster {
 public:
  FakeMaster();
  ~FakeMaster();

  // "127.0.0.1:PORT" of the HTTP server, for `DriverOptions::master`.
  std::string httpAddress() const { return "127.0.0.1:" + std::to_string(httpPort_); }

  // Waits for the next queued call that `match` accepts, dropping the ones before it.
  std::optional<ReceivedCall> waitForCall(
      const std::function<bool(const v1::scheduler::Call&)>& match,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Shorthand: the next call with this payload case.
  std::optional<ReceivedCall> waitForCall(
      v1::scheduler::Call::CallCase kind,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

  void send(const std::string& identity, const v1::scheduler::Event& event);
  // Sends raw frames `[identity][empty][payload]` (to test malformed input).
  void sendRaw(const std::string& identity, const std::string& payload);
  void setAnswerHeartbeats(bool answer);
  int heartbeatsSeen() const;

 private:
  void onReadable();

  zmq::context_t context_{1};
  EventLoop loop_;
  RouterSocket router_{context_};
  std::thread loopThread_;
  httplib::Server http_;
  std::thread httpThread_;
  int httpPort_ = 0;
  std::string zmqEndpoint_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<ReceivedCall> calls_;  // GUARDED_BY(mutex_)
  bool answerHeartbeats_ = true;    // GUARDED_BY(mutex_)
  int heartbeats_ = 0;              // GUARDED_BY(mutex_)
};

}  // namespace agora::testing
