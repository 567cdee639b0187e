// `MasterLink`: the agent's connection to the master (docs/contracts.md, "Liveness").
//
// Finds the master's ZeroMQ endpoint over HTTP (retrying every second while the master is
// unreachable), connects a DEALER with a fresh identity, and sends `Register` or
// `Reregister` (built by the agent) every second until the master answers. Once
// registered it heartbeats every `ping_timeout_seconds / 5`; silence for
// `ping_timeout_seconds` means the master is lost: it rediscovers, connects a NEW dealer
// with a new identity and reregisters. `reregister_request` and `refused` are handled
// here too; every other event goes to the agent.
//
// Thread-safety: loop thread only, except that discovery runs a short-lived helper thread
// whose result is posted back to the loop. Owns its socket; not copyable.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "agora/internal/agent.pb.h"
#include "common/event/event_loop.hpp"
#include "common/http/http.hpp"
#include "common/metrics/metrics.hpp"
#include "common/transport/sockets.hpp"

namespace agora::slave {

class MasterLink {
 public:
  struct Handlers {
    // The `Register` or `Reregister` call to send now (called on every attempt).
    std::function<internal::AgentCall()> registration;
    // The master (re)admitted the agent. An error (the id could not be checkpointed) keeps
    // the link registering.
    std::function<Status(const v1::AgentID& id, bool reregistered)> onRegistered;
    // Registration is gone (master lost, or it asked for reregistration): stop sending.
    std::function<void()> onDisconnected;
    // The master refused the agent id: the agent forgets it and registers anew.
    std::function<void(const std::string& message)> onRefused;
    // The operator marked the agent gone: it must shut down (its id is refused for good).
    std::function<void(const std::string& message)> onGone;
    // run_task, kill_task, status_update_ack, shutdown_framework.
    std::function<void(const internal::AgentEvent& event)> onEvent;
    // Fills each heartbeat (the containers' usage). Optional.
    std::function<void(internal::AgentCall::Heartbeat* heartbeat)> fillHeartbeat;
  };

  MasterLink(EventLoop& loop, zmq::context_t& context, HostPort master, Metrics& metrics,
             Handlers handlers);
  ~MasterLink();
  MasterLink(const MasterLink&) = delete;
  MasterLink& operator=(const MasterLink&) = delete;

  // Starts discovery. REQUIRES: on the loop thread, once.
  void start();

  // Sends `call` with `agent_id` set. False when not registered (or the send failed).
  bool send(internal::AgentCall call);

  bool registered() const { return state_ == State::kRegistered; }
  const HostPort& master() const { return master_; }
  // The id the master gave (empty before the first registration, and after `refused`).
  const v1::AgentID& agentId() const { return agentId_; }
  void setAgentId(const v1::AgentID& id) { agentId_ = id; }

 private:
  enum class State { kIdle, kDiscovering, kRegistering, kRegistered };
  static const char* stateName(State state);
  void transitionTo(State next);

  void discover();
  void onDiscovered(const StatusOr<std::string>& endpoint);
  void connect(const std::string& endpoint);
  void startRegistering();
  void onRegistrationTimer();
  void sendRegistration();
  void onReadable();
  void handleEvent(const internal::AgentEvent& event);
  void onRegistered(const v1::AgentID& id, double pingTimeoutSeconds, bool reregistered);
  void onHeartbeatTimer();
  void loseMaster(const std::string& why);
  void cancelTimers();

  EventLoop& loop_;
  zmq::context_t& context_;
  const HostPort master_;
  Metrics& metrics_;
  Handlers handlers_;

  State state_ = State::kIdle;
  std::unique_ptr<DealerSocket> socket_;
  std::string endpoint_;
  v1::AgentID agentId_;
  std::thread discoverer_;
  bool discovering_ = false;
  int registrationAttempts_ = 0;
  std::chrono::duration<double> pingTimeout_{15.0};
  EventLoop::Clock::time_point lastHeard_;
  EventLoop::TimerId registrationTimer_ = 0;
  EventLoop::TimerId heartbeatTimer_ = 0;
  EventLoop::TimerId retryTimer_ = 0;
};

}  // namespace agora::slave
