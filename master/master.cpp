#include "master/master.hpp"

#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "common/state/state_store.hpp"
#include "master/validation.hpp"

namespace agora::master {

StatusOr<std::unique_ptr<Master>> Master::create(EventLoop& loop, zmq::context_t& context,
                                                 MasterOptions options) {
  auto store = openRocksDbStore(options.workDir + "/registry");
  if (!store.isOk()) {
    return store.status().withContext("cannot open the registry");
  }
  auto registrar = std::make_unique<Registrar>(std::move(store).value());
  std::unique_ptr<Master> master(
      new Master(loop, context, std::move(options), std::move(registrar)));
  AGORA_RETURN_IF_ERROR(master->recover());
  AGORA_RETURN_IF_ERROR(master->bind());
  return master;
}

Master::Master(EventLoop& loop, zmq::context_t& context, MasterOptions options,
               std::unique_ptr<Registrar> registrar)
    : loop_(loop),
      options_(std::move(options)),
      registrar_(std::move(registrar)),
      router_(context),
      masterId_(newUuid()),
      startTime_(wallSeconds()) {
  allocator_.setLocalRegion(options_.domain.fault_domain().region().name());
  weights_ = options_.weights;
  for (const auto& [role, weight] : weights_) {
    allocator_.setWeight(role, weight);
  }
}

Status Master::recover() {
  auto recovered = registrar_->recover();
  if (!recovered.isOk()) {
    return recovered.status().withContext("cannot recover the registry");
  }
  if (recovered->master && options_.zmqPort == 0) {
    options_.zmqPort = recovered->master->zmq_port();
  }
  applyRecoveredRoles(*recovered);
  if (recovered->maintenance) {
    maintenance_ = *recovered->maintenance;
  }
  if (recovered->gone) {
    goneAgents_.insert(recovered->gone->agent_ids().begin(), recovered->gone->agent_ids().end());
  }
  TimePoint now = loop_.now();
  for (const auto& record : recovered->agents) {
    auto agent = std::make_unique<AgentEntry>();
    agent->id = record.info().id().value();
    agent->info = record.info();
    agent->registeredTime = record.registered_at();
    auto total = Resources::fromProto(record.info().resources());
    auto reservations = Resources::fromProto(record.reservations());
    agent->reservations = reservations.isOk() ? *reservations : Resources();
    auto volumes = Resources::fromProto(record.volumes());
    agent->volumes = volumes.isOk() ? *volumes : Resources();
    agent->setTotal(total.isOk() ? *total : Resources());
    agent->lastHeard = now;
    agent->drain = record.drain_info();
    agent->deactivated = record.deactivated();
    // Not in `agentIdentities_` until it re-registers; only used to ask it to (below).
    agent->identity = record.zmq_identity();
    agent->recordedIdentity = record.zmq_identity();
    if (!agent->identity.empty()) {
      agentsToAsk_.push_back(agent->id);
    }
    agents_[agent->id] = std::move(agent);
  }
  for (const auto& record : recovered->frameworks) {
    FrameworkEntry& framework = addFramework(record.info(), record.registered_at());
    allocator_.deactivateFramework(framework.id);
    // Asked to SUBSCRIBE on this connection (below); `identity` is set when it does.
    framework.recordedIdentity = record.zmq_identity();
    if (!framework.recordedIdentity.empty()) {
      frameworksToAsk_.push_back(framework.id);
    }
    // A recovered framework has `failover_timeout` from now to re-subscribe.
    std::string id = framework.id;
    framework.failoverTimer = loop_.runAfter(Seconds(boundedSeconds(record.info().failover_timeout())), [this, id] {
      removeFramework(id, "did not re-subscribe within its failover_timeout after a master "
                          "restart");
    });
  }
  LOG(INFO) << "Recovered " << recovered->agents.size() << " agents and "
            << recovered->frameworks.size() << " frameworks from the registry";
  // Agents and frameworks keep their connections across a master restart: ask each to come
  // back as soon as it has reconnected (ZeroMQ retries every 100 ms), not at its next
  // heartbeat.
  if (!agentsToAsk_.empty() || !frameworksToAsk_.empty()) {
    askRecoveredPeersTimer_ =
        loop_.runEvery(std::chrono::milliseconds(100), [this] { askRecoveredPeersBack(); });
  }
  // Agents that do not come back are reported unreachable.
  loop_.runAfter(options_.agentReregisterTimeout, [this] {
    loop_.cancel(askRecoveredPeersTimer_);
    for (auto& [id, agent] : agents_) {
      if (agent->state == AgentState::kRecovered) {
        markUnreachable(*agent, "did not re-register after the master restarted");
      }
    }
  });
  return Status::ok();
}

void Master::askRecoveredPeersBack() {
  // Only the agents not asked yet: at 10,000 agents a walk over all of them every 100 ms is
  // a cost of its own while they come back.
  std::erase_if(agentsToAsk_, [this](const std::string& id) {
    auto agent = agents_.find(id);
    if (agent == agents_.end() || agent->second->state != AgentState::kRecovered) {
      return true;  // Back already, or gone.
    }
    // Fails at once while the agent has not reconnected yet (ROUTER_MANDATORY).
    return sendReregisterRequest(agent->second->identity);
  });
  std::erase_if(frameworksToAsk_, [this](const std::string& id) {
    auto framework = frameworks_.find(id);
    if (framework == frameworks_.end() || framework->second->state == FrameworkState::kConnected) {
      return true;
    }
    return sendError(framework->second->recordedIdentity,
                     "the master restarted: SUBSCRIBE again with framework id " + id, true);
  });
  if (agentsToAsk_.empty() && frameworksToAsk_.empty()) {
    loop_.cancel(askRecoveredPeersTimer_);
  }
}

Status Master::bind() {
  auto bound = router_.bind("tcp://" + options_.ip + ":" + std::to_string(options_.zmqPort));
  if (!bound.isOk() && options_.zmqPort != 0) {
    LOG(WARNING) << "Cannot reuse ZeroMQ port " << options_.zmqPort << " ("
                 << bound.status().message() << "); binding any free port";
    bound = router_.bind("tcp://" + options_.ip + ":0");
  }
  if (!bound.isOk()) {
    return bound.status();
  }
  zmqEndpoint_ = *bound;
  int port = std::atoi(zmqEndpoint_.substr(zmqEndpoint_.rfind(':') + 1).c_str());
  internal::MasterRecord record;
  record.mutable_master_id()->set_value(masterId_);
  record.set_zmq_port(port);
  AGORA_RETURN_IF_ERROR(registrar_->saveMaster(record));
  loop_.watchSocket(router_.socket(), [this] { onReadable(); });
  double pingPeriod = std::max(0.05, options_.agentPingTimeout.count());
  loop_.runEvery(Seconds(pingPeriod), [this] { checkAgentHealth(); });
  loop_.runEvery(options_.frameworkHeartbeatInterval, [this] { checkFrameworkHealth(); });
  loop_.runEvery(options_.allocationInterval,
                 [this] { runAllocation(DrfAllocator::Scope::kAll); });
  LOG(INFO) << "Master " << masterId_ << " listening for agents and frameworks on "
            << zmqEndpoint_;
  return Status::ok();
}

void Master::onReadable() {
  // Bound the turn so timers, posted work and the next allocation pass wait for at most a
  // few milliseconds under a flood (the socket stays readable: the next poll comes back).
  // By time, not count: the longer the turn, the more one allocation pass and one offer
  // message per framework cover.
  constexpr auto kTurn = std::chrono::milliseconds(5);
  auto deadline = std::chrono::steady_clock::now() + kTurn;
  for (int i = 1; (i % 16 != 0) || std::chrono::steady_clock::now() < deadline; ++i) {
    auto received = router_.receive();
    if (!received) {
      return;
    }
    if (!received->isOk()) {
      dropInvalid("?", received->status().message());
      continue;
    }
    metrics_.increment("master/messages_received");
    dispatch((*received)->identity, (*received)->envelope);
  }
}

void Master::dropInvalid(const std::string& identity, const std::string& reason) {
  LOG(WARNING) << "Dropping message from '" << identity << "': " << reason;
  metrics_.increment("master/invalid_messages");
}

void Master::dispatch(const std::string& identity, const v1::Envelope& envelope) {
  switch (envelope.body_case()) {
    case v1::Envelope::kCall:
      onSchedulerCall(identity, envelope.call());
      break;
    case v1::Envelope::kAgentCall:
      onAgentCall(identity, envelope.agent_call());
      break;
    default:
      dropInvalid(identity, "unexpected envelope body " + std::to_string(envelope.body_case()));
  }
}

}  // namespace agora::master
