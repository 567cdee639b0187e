// Master handlers for the agent protocol: registration, re-registration, heartbeats,
// status updates, and agent health.
#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "common/base/task_states.hpp"
#include "master/master.hpp"
#include "master/validation.hpp"

namespace agora::master {

void Master::onAgentCall(const std::string& identity, const internal::AgentCall& call) {
  switch (call.call_case()) {
    case internal::AgentCall::kRegister:
      onRegisterAgent(identity, call.register_());
      return;
    case internal::AgentCall::kReregister:
      onReregisterAgent(identity, call.reregister());
      return;
    default:
      break;
  }
  AgentEntry* agent = agentByIdentity(identity, call.agent_id().value());
  if (agent == nullptr) {
    // The master restarted or marked the agent unreachable: ask it to re-register.
    sendReregisterRequest(identity);
    return;
  }
  agent->lastHeard = loop_.now();
  switch (call.call_case()) {
    case internal::AgentCall::kStatusUpdate:
      onStatusUpdate(*agent, call.status_update());
      break;
    case internal::AgentCall::kHeartbeat:
      agent->usage = call.heartbeat().usage();
      onAgentHeartbeat(*agent);
      break;
    case internal::AgentCall::kPong:
      onAgentHeartbeat(*agent);
      break;
    default:
      dropInvalid(identity, "agent call without a known payload");
  }
}

AgentEntry* Master::agentByIdentity(const std::string& identity, const std::string& claimedId) {
  auto mapped = agentIdentities_.find(identity);
  if (mapped == agentIdentities_.end() || mapped->second != claimedId) {
    return nullptr;
  }
  auto agent = agents_.find(mapped->second);
  if (agent == agents_.end() || agent->second->state != AgentState::kRegistered) {
    return nullptr;
  }
  return agent->second.get();
}

void Master::sendToAgent(const AgentEntry& agent, const internal::AgentEvent& event) {
  if (!router_.sendEncoded(agent.identity,
                           encodeEnvelopeBody(v1::Envelope::kAgentEventFieldNumber, event))) {
    metrics_.increment("master/dropped_messages");
    VLOG(1) << "Could not send to agent " << agent.id;
  }
}

namespace {
// How long an agent asked to re-register has to answer before it is asked again.
constexpr std::chrono::seconds kReregisterRequestInterval{1};
}  // namespace

bool Master::sendReregisterRequest(const std::string& identity) {
  TimePoint now = loop_.now();
  auto asked = reregisterAsked_.find(identity);
  if (asked != reregisterAsked_.end() && now - asked->second < kReregisterRequestInterval) {
    return true;  // Its re-registration is on its way.
  }
  v1::Envelope envelope;
  envelope.mutable_agent_event()->mutable_reregister_request();
  if (!router_.send(identity, envelope)) {
    return false;
  }
  reregisterAsked_[identity] = now;
  return true;
}

void Master::onRegisterAgent(const std::string& identity,
                             const internal::AgentCall::Register& call) {
  if (auto error = validateAgentInfo(call.info())) {
    dropInvalid(identity, "invalid agent registration: " + *error);
    return;
  }
  if (onDownMachine(call.info())) {
    refuseDownAgent(identity, call.info());
    return;
  }
  // A retried Register from a connection we already admitted gets the same answer; one
  // still waiting for its registry write gets it when the write is done.
  auto known = agentIdentities_.find(identity);
  if (known != agentIdentities_.end()) {
    sendRegistered(*agents_.at(known->second));
    return;
  }
  if (pendingAdmissions_.count(identity)) {
    return;
  }
  auto agent = std::make_unique<AgentEntry>();
  agent->id = "S" + newUuid();
  agent->info = call.info();
  agent->info.mutable_id()->set_value(agent->id);
  agent->setTotal(*Resources::fromProto(call.info().resources()));
  agent->registeredTime = wallSeconds();
  if (pendingAdmissions_.empty()) {
    // After the messages already queued on the loop, so a burst shares one write.
    loop_.post([this] { flushAdmissions(); });
  }
  pendingAdmissions_[identity] = std::move(agent);
}

void Master::flushAdmissions() {
  std::map<std::string, std::unique_ptr<AgentEntry>> admitted;
  admitted.swap(pendingAdmissions_);
  std::vector<internal::AgentRecord> records;
  for (const auto& [identity, agent] : admitted) {
    agent->identity = identity;  // Recorded with the agent (see AgentRecord.zmq_identity).
    agent->recordedIdentity = identity;
    records.push_back(agentRecord(*agent));
  }
  if (Status s = registrar_->saveAgents(records); !s.isOk()) {
    LOG(ERROR) << "Cannot admit " << records.size() << " agents: " << s.message();
    return;  // They retry their registration.
  }
  metrics_.increment("registrar/writes");
  for (auto& [identity, agent] : admitted) {
    LOG(INFO) << "Admitted agent " << agent->id << " at " << agent->httpAddress() << " with "
              << agent->total.toString();
    AgentEntry& entry = *agent;
    agents_[entry.id] = std::move(agent);
    activateAgent(entry, identity);
    sendRegistered(entry);
  }
}

void Master::sendRegistered(const AgentEntry& agent) {
  internal::AgentEvent event;
  auto* registered = event.mutable_registered();
  registered->mutable_agent_id()->set_value(agent.id);
  registered->mutable_master_id()->set_value(masterId_);
  registered->set_ping_timeout_seconds(options_.agentPingTimeout.count() *
                                       options_.maxAgentPingTimeouts);
  sendToAgent(agent, event);
  sendCheckpointedResources(agent);
}

internal::AgentRecord Master::agentRecord(const AgentEntry& agent, double unreachableSince) const {
  internal::AgentRecord record;
  *record.mutable_info() = agent.info;
  record.set_registered_at(agent.registeredTime);
  record.set_unreachable_since(unreachableSince);
  agent.reservations.toProto(record.mutable_reservations());
  agent.volumes.toProto(record.mutable_volumes());
  if (agent.draining()) {
    *record.mutable_drain_info() = agent.drain;
  }
  record.set_deactivated(agent.deactivated);
  record.set_zmq_identity(agent.identity);
  return record;
}

void Master::activateAgent(AgentEntry& agent, const std::string& identity) {
  if (!agent.identity.empty()) {
    agentIdentities_.erase(agent.identity);
  }
  agent.identity = identity;
  agentIdentities_[identity] = agent.id;
  agent.lastHeard = loop_.now();
  agent.transitionTo(AgentState::kRegistered);
  if (!allocator_.hasAgent(agent.id)) {
    addToAllocator(agent);
  }
  if (agent.deactivated) {
    allocator_.deactivateAgent(agent.id);
  }
  scheduleAllocation();
}

void Master::addToAllocator(const AgentEntry& agent) {
  DrfAllocator::Used used;
  for (const TaskKey& key : agent.tasks) {
    auto task = tasks_.find(key);
    if (task != tasks_.end() && !isTerminalState(task->second.task.state())) {
      used[{key.first, task->second.task.role()}] += task->second.resources;
    }
  }
  allocator_.addAgent(agent.id, agent.total, used,
                      agent.info.domain().fault_domain().region().name());
}

void Master::onReregisterAgent(const std::string& identity,
                               const internal::AgentCall::Reregister& call) {
  const std::string& agentId = call.info().id().value();
  if (goneAgents_.count(agentId)) {
    refuseGoneAgent(identity, agentId);
    return;
  }
  if (onDownMachine(call.info())) {
    refuseDownAgent(identity, call.info());  // Before the lookup: it keeps its checkpoint.
    return;
  }
  auto it = agents_.find(agentId);
  if (it == agents_.end()) {
    internal::AgentEvent event;
    event.mutable_refused()->set_message("agent " + agentId + " is not in the registry");
    v1::Envelope envelope;
    *envelope.mutable_agent_event() = event;
    router_.send(identity, envelope);
    LOG(WARNING) << "Refused re-registration of unknown agent " << agentId;
    return;
  }
  if (auto error = validateAgentInfo(call.info())) {
    dropInvalid(identity, "invalid agent re-registration: " + *error);
    return;
  }
  AgentEntry& agent = *it->second;
  reregisterAsked_.erase(identity);
  bool wasRegistered = agent.state == AgentState::kRegistered && agent.identity == identity;
  if (!wasRegistered) {
    if (agent.state == AgentState::kUnreachable) {
      if (Status s = registrar_->saveAgent(agentRecord(agent)); !s.isOk()) {
        LOG(ERROR) << "Cannot re-admit agent " << agentId << ": " << s.message();
        return;
      }
    }
    for (const auto& info : call.frameworks()) {
      if (!frameworks_.count(info.id().value()) && !removedFrameworks_.count(info.id().value())) {
        FrameworkEntry& framework = addFramework(info, wallSeconds());
        allocator_.deactivateFramework(framework.id);
        std::string id = framework.id;
        framework.failoverTimer = loop_.runAfter(Seconds(boundedSeconds(info.failover_timeout())), [this, id] {
          removeFramework(id, "did not re-subscribe within its failover_timeout");
        });
      }
    }
    // Reconcile: tasks the agent no longer has are gone; tasks it has are (re)adopted.
    std::set<TaskKey> reported;
    for (const v1::Task& task : call.tasks()) {
      reported.insert({task.framework_id().value(), task.task_id().value()});
    }
    for (const TaskKey& key : std::set<TaskKey>(agent.tasks)) {
      if (!reported.count(key) && tasks_.count(key)) {
        auto framework = frameworks_.find(key.first);
        v1::TaskStatus status =
            masterStatus(tasks_.at(key).task.task_id(), agentId,
                         framework != frameworks_.end() && framework->second->partitionAware()
                             ? v1::TASK_GONE
                             : v1::TASK_LOST,
                         v1::TaskStatus::REASON_AGENT_RESTARTED,
                         "Task is not on agent " + agentId + " any more");
        updateTask(key, status);
        if (framework != frameworks_.end()) {
          sendUpdate(*framework->second, status);
        }
      }
    }
    agent.info.mutable_attributes()->CopyFrom(call.info().attributes());
    agent.info.set_hostname(call.info().hostname());
    agent.info.set_port(call.info().port());
    agent.info.set_ip(call.info().ip());
    agent.unacknowledged.clear();
    for (const v1::Task& task : call.tasks()) {
      adoptReportedTask(agent, task);
      // The agent lists terminal tasks while their update is unacknowledged (drain waits).
      if (isTerminalState(task.state()) && task.statuses_size() > 0 &&
          !task.statuses(task.statuses_size() - 1).uuid().empty() &&
          frameworks_.count(task.framework_id().value())) {
        agent.unacknowledged[{task.framework_id().value(), task.task_id().value()}] =
            task.statuses(task.statuses_size() - 1).uuid();
      }
    }
    allocator_.removeAgent(agentId);
    activateAgent(agent, identity);
    if (agent.identity != agent.recordedIdentity) {
      // A new connection (the agent restarted): record it, so a master restart can find it.
      if (registrar_->saveAgent(agentRecord(agent)).isOk()) {
        agent.recordedIdentity = agent.identity;
      }
    }
    // A drain survives a master restart and a partition: what the agent still runs is
    // killed (marked here, sent with the other missed kills).
    killTasksForDrain(agent, /*send=*/false);
    resendWhatTheAgentMissed(agent, call);
    checkDrained(agent);
  }
  internal::AgentEvent event;
  auto* reregistered = event.mutable_reregistered();
  reregistered->mutable_agent_id()->set_value(agentId);
  reregistered->mutable_master_id()->set_value(masterId_);
  reregistered->set_ping_timeout_seconds(options_.agentPingTimeout.count() *
                                         options_.maxAgentPingTimeouts);
  sendToAgent(agent, event);
  sendCheckpointedResources(agent);
}

void Master::resendWhatTheAgentMissed(const AgentEntry& agent,
                                      const internal::AgentCall::Reregister& call) {
  // Frameworks removed while the agent was away: their tasks must not keep running.
  std::set<std::string> removed;
  for (const v1::Task& task : call.tasks()) {
    if (removedFrameworks_.count(task.framework_id().value())) {
      removed.insert(task.framework_id().value());
    }
  }
  for (const std::string& frameworkId : removed) {
    internal::AgentEvent event;
    event.mutable_shutdown_framework()->mutable_framework_id()->set_value(frameworkId);
    sendToAgent(agent, event);
  }
  // Kills requested while the agent was disconnected.
  for (const TaskKey& key : agent.tasks) {
    auto task = tasks_.find(key);
    if (task == tasks_.end() || !task->second.killRequested ||
        isTerminalState(task->second.task.state())) {
      continue;
    }
    internal::AgentEvent event;
    auto* kill = event.mutable_kill_task();
    kill->mutable_framework_id()->set_value(key.first);
    kill->mutable_task_id()->set_value(key.second);
    if (task->second.killPolicy.has_grace_period_seconds()) {
      *kill->mutable_kill_policy() = task->second.killPolicy;
    }
    sendToAgent(agent, event);
  }
}

void Master::adoptReportedTask(AgentEntry& agent, const v1::Task& reported) {
  TaskKey key{reported.framework_id().value(), reported.task_id().value()};
  auto framework = frameworks_.find(key.first);
  if (framework == frameworks_.end()) {
    return;  // Torn down: the agent is told to shut it down below.
  }
  auto existing = tasks_.find(key);
  bool wasUnreachable =
      existing != tasks_.end() && existing->second.task.state() == v1::TASK_UNREACHABLE;
  if (existing == tasks_.end() && isTerminalState(reported.state())) {
    // Ended while nobody was watching; its terminal update follows and is forwarded.
    auto& completed = framework->second->completedTasks;
    bool known = std::any_of(completed.begin(), completed.end(), [&](const v1::Task& t) {
      return t.task_id().value() == key.second;
    });
    if (!known) {
      completed.push_back(reported);
      completed.back().mutable_agent_id()->set_value(agent.id);
    }
    return;
  }
  if (existing == tasks_.end()) {
    TaskEntry entry;
    entry.task = reported;
    entry.task.mutable_agent_id()->set_value(agent.id);
    entry.task.clear_statuses();
    for (const v1::TaskStatus& status : reported.statuses()) {
      recordStatus(entry.task, status);
    }
    auto resources = Resources::fromProto(reported.resources());
    entry.resources = resources.isOk() ? *resources : Resources();
    // Agents report the role a task was launched for (RunTask carries it).
    if (entry.task.role().empty()) {
      entry.task.set_role(framework->second->roles.front());
    }
    framework->second->tasks[key] = &addTaskEntry(key, std::move(entry));
    agent.tasks.insert(key);
    return;
  }
  if (wasUnreachable && reported.statuses_size() > 0) {
    // The partition healed: tell the framework the task's real state.
    v1::TaskStatus status = reported.statuses(reported.statuses_size() - 1);
    status.clear_uuid();
    status.set_source(v1::TaskStatus::SOURCE_MASTER);
    status.set_reason(v1::TaskStatus::REASON_AGENT_REREGISTERED);
    status.set_timestamp(wallSeconds());
    setTaskState(existing->second, status.state());
    recordTaskStatus(existing->second, status);
    sendUpdate(*framework->second, status);
  }
}

void Master::onAgentHeartbeat(AgentEntry& agent) {
  internal::AgentEvent event;
  event.mutable_ping();
  sendToAgent(agent, event);
}

void Master::onStatusUpdate(AgentEntry& agent, const internal::AgentCall::StatusUpdate& call) {
  const v1::TaskStatus& status = call.status();
  TaskKey key{call.framework_id().value(), status.task_id().value()};
  metrics_.increment("master/status_updates");
  auto framework = frameworks_.find(key.first);
  updateTask(key, status);
  if (framework == frameworks_.end()) {
    // Nobody will acknowledge it: do so on the framework's behalf so the agent stops
    // retrying.
    LOG(INFO) << "Acknowledging update " << v1::TaskState_Name(status.state()) << " of task "
              << key.second << " for removed framework " << key.first;
    internal::AgentEvent event;
    auto* ack = event.mutable_status_update_ack();
    *ack->mutable_framework_id() = call.framework_id();
    *ack->mutable_task_id() = status.task_id();
    ack->set_uuid(status.uuid());
    sendToAgent(agent, event);
    return;
  }
  v1::TaskStatus forwarded = status;
  forwarded.mutable_agent_id()->set_value(agent.id);
  if (agent.draining() && forwarded.reason() == v1::TaskStatus::REASON_UNKNOWN &&
      (status.state() == v1::TASK_KILLING || status.state() == v1::TASK_KILLED)) {
    forwarded.set_reason(v1::TaskStatus::REASON_AGENT_DRAINING);
  }
  if (isTerminalState(status.state()) && !status.uuid().empty()) {
    agent.unacknowledged[key] = status.uuid();
  }
  sendUpdate(*framework->second, forwarded);
  checkDrained(agent);
}

void Master::checkAgentHealth() {
  TimePoint now = loop_.now();
  std::erase_if(reregisterAsked_, [now](const auto& asked) {
    return now - asked.second >= kReregisterRequestInterval;
  });
  auto limit = options_.agentPingTimeout * options_.maxAgentPingTimeouts;
  for (auto& [id, agent] : agents_) {
    if (agent->state == AgentState::kRegistered && now - agent->lastHeard > limit) {
      markUnreachable(*agent, "missed " + std::to_string(options_.maxAgentPingTimeouts) +
                                  " heartbeat periods");
    }
  }
}

void Master::markUnreachable(AgentEntry& agent, const std::string& why) {
  LOG(WARNING) << "Agent " << agent.id << " is unreachable: " << why;
  if (Status s = registrar_->saveAgent(agentRecord(agent, wallSeconds())); !s.isOk()) {
    LOG(ERROR) << "Cannot record agent " << agent.id << " as unreachable: " << s.message();
  }
  agent.transitionTo(AgentState::kUnreachable);
  agentIdentities_.erase(agent.identity);
  agent.identity.clear();
  rescindOffersOf(agent.offers);
  allocator_.removeAgent(agent.id);
  for (const TaskKey& key : agent.tasks) {
    auto task = tasks_.find(key);
    auto framework = frameworks_.find(key.first);
    if (task == tasks_.end() || isTerminalState(task->second.task.state()) ||
        framework == frameworks_.end()) {
      continue;
    }
    bool partitionAware = framework->second->partitionAware();
    v1::TaskStatus status = masterStatus(
        task->second.task.task_id(), agent.id,
        partitionAware ? v1::TASK_UNREACHABLE : v1::TASK_LOST,
        v1::TaskStatus::REASON_AGENT_DISCONNECTED, "Agent " + agent.id + " " + why);
    // Non-partition-aware frameworks see TASK_LOST, but the master keeps the task as
    // unreachable so it can be reconciled if the agent comes back.
    setTaskState(task->second, v1::TASK_UNREACHABLE);
    recordTaskStatus(task->second, status);
    sendUpdate(*framework->second, status);
  }
  for (auto& [fid, framework] : frameworks_) {
    v1::scheduler::Event event;
    event.mutable_failure()->mutable_agent_id()->set_value(agent.id);
    sendToFramework(*framework, event);
  }
  metrics_.increment("master/slave_unreachable_completed");
}

}  // namespace agora::master
