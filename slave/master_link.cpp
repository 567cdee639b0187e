#include "slave/master_link.hpp"

#include <glog/logging.h>

#include "common/base/ids.hpp"

namespace agora::slave {

namespace {
// Registration attempts on one connection before the master is looked up again (it may
// have restarted on another port before answering).
constexpr int kAttemptsPerConnection = 10;
constexpr double kDefaultPingTimeoutSeconds = 15.0;
}  // namespace

MasterLink::MasterLink(EventLoop& loop, zmq::context_t& context, HostPort master, Metrics& metrics,
                       Handlers handlers)
    : loop_(loop),
      context_(context),
      master_(std::move(master)),
      metrics_(metrics),
      handlers_(std::move(handlers)) {}

MasterLink::~MasterLink() {
  if (discoverer_.joinable()) {
    discoverer_.join();
  }
  if (socket_) {
    loop_.unwatchSocket(socket_->socket());
  }
}

const char* MasterLink::stateName(State state) {
  switch (state) {
    case State::kIdle:
      return "IDLE";
    case State::kDiscovering:
      return "DISCOVERING";
    case State::kRegistering:
      return "REGISTERING";
    case State::kRegistered:
      return "REGISTERED";
  }
  return "?";
}

void MasterLink::transitionTo(State next) {
  if (next == state_) {
    return;
  }
  LOG(INFO) << "Master link " << stateName(state_) << " -> " << stateName(next);
  state_ = next;
}

void MasterLink::start() { discover(); }

void MasterLink::cancelTimers() {
  loop_.cancel(registrationTimer_);
  loop_.cancel(heartbeatTimer_);
  loop_.cancel(retryTimer_);
  registrationTimer_ = heartbeatTimer_ = retryTimer_ = 0;
}

void MasterLink::discover() {
  cancelTimers();
  if (socket_) {
    // Safe here: no other watch refers to this socket, and a new one is created after
    // discovery (with a new identity, so the master sees a new connection).
    loop_.unwatchSocket(socket_->socket());
    socket_.reset();
  }
  transitionTo(State::kDiscovering);
  if (discovering_) {
    return;
  }
  discovering_ = true;
  if (discoverer_.joinable()) {
    discoverer_.join();  // Finished: it posted its result before `discovering_` was reset.
  }
  // The HTTP request can block for seconds; keep it off the loop.
  discoverer_ = std::thread([this, master = master_] {
    StatusOr<std::string> endpoint = discoverMasterEndpoint(master);
    loop_.post([this, endpoint] { onDiscovered(endpoint); });
  });
}

void MasterLink::onDiscovered(const StatusOr<std::string>& endpoint) {
  discovering_ = false;
  if (state_ != State::kDiscovering) {
    return;
  }
  if (!endpoint.isOk()) {
    LOG(INFO) << "Master at " << master_.toString()
              << " is not reachable, retrying in 1 second: " << endpoint.status().message();
    retryTimer_ = loop_.runAfter(std::chrono::seconds(1), [this] { discover(); });
    return;
  }
  connect(*endpoint);
}

void MasterLink::connect(const std::string& endpoint) {
  endpoint_ = endpoint;
  socket_ = std::make_unique<DealerSocket>(context_, "agent-" + newUuid());
  Status connected = socket_->connect(endpoint);
  if (!connected.isOk()) {
    LOG(WARNING) << "Cannot connect to the master: " << connected.message();
    socket_.reset();
    retryTimer_ = loop_.runAfter(std::chrono::seconds(1), [this] { discover(); });
    return;
  }
  loop_.watchSocket(socket_->socket(), [this] { onReadable(); });
  LOG(INFO) << "Connected to the master at " << endpoint << " as " << socket_->identity();
  startRegistering();
}

void MasterLink::startRegistering() {
  cancelTimers();
  transitionTo(State::kRegistering);
  registrationAttempts_ = 0;
  sendRegistration();
  registrationTimer_ = loop_.runEvery(std::chrono::seconds(1), [this] { onRegistrationTimer(); });
}

void MasterLink::onRegistrationTimer() {
  if (++registrationAttempts_ >= kAttemptsPerConnection) {
    LOG(WARNING) << "No answer from the master at " << endpoint_ << " after "
                 << registrationAttempts_ << " attempts; looking it up again";
    discover();
    return;
  }
  sendRegistration();
}

void MasterLink::sendRegistration() {
  if (!socket_) {
    return;
  }
  internal::AgentCall call = handlers_.registration();
  LOG(INFO) << (call.has_reregister() ? "Reregistering" : "Registering") << " with the master"
            << (agentId_.value().empty() ? "" : " as " + agentId_.value());
  v1::Envelope envelope;
  *envelope.mutable_agent_call() = std::move(call);
  socket_->send(envelope);
}

bool MasterLink::send(internal::AgentCall call) {
  if (state_ != State::kRegistered || !socket_) {
    return false;
  }
  *call.mutable_agent_id() = agentId_;
  v1::Envelope envelope;
  *envelope.mutable_agent_call() = std::move(call);
  return socket_->send(envelope);
}

void MasterLink::onReadable() {
  while (socket_) {
    auto received = socket_->receive();
    if (!received) {
      return;
    }
    if (!received->isOk()) {
      LOG(WARNING) << "Dropping a malformed message from the master at " << endpoint_ << ": "
                   << received->status().message();
      metrics_.increment("slave/invalid_messages");
      continue;
    }
    if (!(*received)->has_agent_event()) {
      LOG(WARNING) << "Dropping a message from the master at " << endpoint_
                   << ": not an AgentEvent";
      metrics_.increment("slave/invalid_messages");
      continue;
    }
    lastHeard_ = loop_.now();
    handleEvent((*received)->agent_event());
  }
}

void MasterLink::handleEvent(const internal::AgentEvent& event) {
  switch (event.event_case()) {
    case internal::AgentEvent::kRegistered:
      onRegistered(event.registered().agent_id(), event.registered().ping_timeout_seconds(), false);
      return;
    case internal::AgentEvent::kReregistered:
      onRegistered(event.reregistered().agent_id(), event.reregistered().ping_timeout_seconds(),
                   true);
      return;
    case internal::AgentEvent::kPing:
      return;  // `lastHeard_` is already updated.
    case internal::AgentEvent::kReregisterRequest:
      LOG(INFO) << "The master asked this agent to reregister";
      if (state_ == State::kRegistered) {
        handlers_.onDisconnected();
      }
      startRegistering();
      return;
    case internal::AgentEvent::kRefused:
      if (event.refused().gone()) {
        LOG(ERROR) << "The master refused agent " << agentId_.value() << " for good: "
                   << event.refused().message();
        handlers_.onGone(event.refused().message());
        return;
      }
      if (event.refused().machine_down()) {
        // Kept out while the machine is DOWN: keep the id and the checkpoint, and keep
        // retrying (the registration timer) until the operator brings the machine up.
        LOG(WARNING) << "The master refused agent " << agentId_.value() << ": "
                     << event.refused().message();
        if (state_ == State::kRegistered) {
          handlers_.onDisconnected();
          startRegistering();
        }
        return;
      }
      LOG(WARNING) << "The master refused agent " << agentId_.value() << ": "
                   << event.refused().message() << "; registering as a new agent";
      if (state_ == State::kRegistered) {
        handlers_.onDisconnected();
      }
      agentId_.Clear();
      handlers_.onRefused(event.refused().message());
      startRegistering();
      return;
    case internal::AgentEvent::EVENT_NOT_SET:
      LOG(WARNING) << "Dropping an AgentEvent without payload from the master at " << endpoint_;
      metrics_.increment("slave/invalid_messages");
      return;
    default:
      handlers_.onEvent(event);
      return;
  }
}

void MasterLink::onRegistered(const v1::AgentID& id, double pingTimeoutSeconds, bool reregistered) {
  if (id.value().empty()) {
    LOG(WARNING) << "Dropping a registration answer without an agent id from " << endpoint_;
    metrics_.increment("slave/invalid_messages");
    return;
  }
  if (state_ == State::kRegistered && id.value() == agentId_.value()) {
    return;  // An answer to a retried registration.
  }
  Status accepted = handlers_.onRegistered(id, reregistered);
  if (!accepted.isOk()) {
    LOG(ERROR) << "Cannot complete registration: " << accepted.message();
    return;
  }
  agentId_ = id;
  pingTimeout_ = std::chrono::duration<double>(pingTimeoutSeconds > 0 ? pingTimeoutSeconds
                                                                      : kDefaultPingTimeoutSeconds);
  cancelTimers();
  transitionTo(State::kRegistered);
  LOG(INFO) << (reregistered ? "Reregistered" : "Registered") << " with the master as "
            << id.value() << " (ping timeout " << pingTimeout_.count() << "s)";
  lastHeard_ = loop_.now();
  heartbeatTimer_ = loop_.runEvery(pingTimeout_ / 5, [this] { onHeartbeatTimer(); });
}

void MasterLink::onHeartbeatTimer() {
  if (loop_.now() - lastHeard_ > pingTimeout_) {
    loseMaster("no ping for " + std::to_string(pingTimeout_.count()) + " seconds");
    return;
  }
  internal::AgentCall call;
  auto* heartbeat = call.mutable_heartbeat();
  if (handlers_.fillHeartbeat) handlers_.fillHeartbeat(heartbeat);
  send(std::move(call));
}

void MasterLink::loseMaster(const std::string& why) {
  LOG(WARNING) << "Lost the master at " << endpoint_ << ": " << why;
  handlers_.onDisconnected();
  discover();
}

}  // namespace agora::slave
