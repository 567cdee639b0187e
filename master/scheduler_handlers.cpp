// Master handlers for the scheduler protocol (SUBSCRIBE, ACCEPT, DECLINE, KILL, ...), and
// framework liveness and removal.
#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "common/base/task_states.hpp"
#include "master/master.hpp"
#include "master/validation.hpp"

namespace agora::master {

using v1::scheduler::Call;
using v1::scheduler::Event;

namespace {

// The tasks an operation launches (none for a reservation or volume operation).
const google::protobuf::RepeatedPtrField<v1::TaskInfo>& tasksOf(const Call::Operation& op) {
  return op.has_launch_group() ? op.launch_group().task_group().tasks() : op.launch().task_infos();
}

// What the registry keeps of a framework: enough to recover it and reach its connection.
internal::FrameworkRecord frameworkRecord(const v1::FrameworkInfo& info, double registeredAt,
                                          const std::string& identity) {
  internal::FrameworkRecord record;
  *record.mutable_info() = info;
  record.set_registered_at(registeredAt);
  record.set_zmq_identity(identity);
  return record;
}

}  // namespace

void Master::onSchedulerCall(const std::string& identity, const Call& call) {
  if (call.call_case() == Call::kSubscribe) {
    onSubscribe(identity, call.subscribe());
    return;
  }
  auto mapped = frameworkIdentities_.find(identity);
  auto framework = mapped == frameworkIdentities_.end() ? frameworks_.end()
                                                        : frameworks_.find(mapped->second);
  if (framework == frameworks_.end() || mapped->second != call.framework_id().value() ||
      framework->second->state != FrameworkState::kConnected) {
    sendError(identity,
              "framework '" + call.framework_id().value() +
                  "' is not subscribed on this connection; SUBSCRIBE again with its id",
              true);
    return;
  }
  FrameworkEntry& entry = *framework->second;
  entry.lastHeard = loop_.now();
  switch (call.call_case()) {
    case Call::kHeartbeat: {
      Event event;
      event.mutable_heartbeat();
      sendToFramework(entry, event);
      break;
    }
    case Call::kAccept:
      onAccept(entry, call.accept());
      break;
    case Call::kDecline:
      onDecline(entry, call.decline());
      break;
    case Call::kRevive:
      allocator_.revive(entry.id, {call.revive().roles().begin(), call.revive().roles().end()});
      scheduleAllocation();
      break;
    case Call::kSuppress:
      allocator_.suppress(entry.id,
                          {call.suppress().roles().begin(), call.suppress().roles().end()});
      break;
    case Call::kKill:
      onKill(entry, call.kill());
      break;
    case Call::kAcknowledge:
      onAcknowledge(entry, call.acknowledge());
      break;
    case Call::kReconcile:
      onReconcile(entry, call.reconcile());
      break;
    case Call::kMessage:
      LOG(WARNING) << "Framework " << entry.id
                   << " sent MESSAGE; the command executor does not take messages";
      break;
    case Call::kTeardown:
      removeFramework(entry.id, "sent TEARDOWN");
      break;
    case Call::kAcceptInverseOffers:
      onInverseOfferAnswer(entry, call.accept_inverse_offers().inverse_offer_ids(),
                           call.accept_inverse_offers().filters(), true);
      break;
    case Call::kDeclineInverseOffers:
      onInverseOfferAnswer(entry, call.decline_inverse_offers().inverse_offer_ids(),
                           call.decline_inverse_offers().filters(), false);
      break;
    default:
      dropInvalid(identity, "scheduler call without a payload");
  }
}

bool Master::sendError(const std::string& identity, const std::string& message, bool resubscribe) {
  v1::Envelope envelope;
  auto* error = envelope.mutable_event()->mutable_error();
  error->set_message(message);
  error->set_resubscribe(resubscribe);
  return router_.send(identity, envelope);
}

void Master::sendToFramework(const FrameworkEntry& framework, const Event& event) {
  if (framework.state != FrameworkState::kConnected) {
    return;
  }
  if (!router_.sendEncoded(framework.identity,
                           encodeEnvelopeBody(v1::Envelope::kEventFieldNumber, event))) {
    metrics_.increment("master/dropped_messages");
  }
}

FrameworkEntry& Master::addFramework(const v1::FrameworkInfo& info, double registeredTime) {
  auto framework = std::make_unique<FrameworkEntry>();
  framework->id = info.id().value();
  framework->info = info;
  framework->registeredTime = registeredTime;
  framework->lastHeard = loop_.now();
  setFrameworkRoles(*framework);
  FrameworkEntry& entry = *framework;
  frameworks_[entry.id] = std::move(framework);
  return entry;
}

void Master::setFrameworkRoles(FrameworkEntry& framework) {
  const v1::FrameworkInfo& info = framework.info;
  framework.roles.assign(info.roles().begin(), info.roles().end());
  if (framework.roles.empty()) {
    framework.roles.push_back(info.role().empty() ? std::string(Resources::kUnreservedRole)
                                                  : info.role());
  }
  allocator_.addFramework(framework.id, framework.roles,
                          framework.hasCapability(v1::FrameworkInfo::Capability::REGION_AWARE));
}

void Master::onSubscribe(const std::string& identity, const Call::Subscribe& call) {
  v1::FrameworkInfo info = call.framework_info();
  if (auto error = validateFrameworkInfo(info)) {
    sendError(identity, "SUBSCRIBE refused: " + *error, false);
    metrics_.increment("master/invalid_calls");
    return;
  }
  const std::string& requestedId = info.id().value();
  if (!requestedId.empty() && removedFrameworks_.count(requestedId)) {
    sendError(identity, "framework " + requestedId + " has been removed", false);
    return;
  }
  FrameworkEntry* framework = nullptr;
  auto existing = requestedId.empty() ? frameworks_.end() : frameworks_.find(requestedId);
  if (existing != frameworks_.end()) {
    framework = existing->second.get();
    framework->info = info;
    // A re-subscription may change the roles (Mesos: UPDATE_FRAMEWORK does the same).
    setFrameworkRoles(*framework);
  } else {
    if (requestedId.empty()) {
      info.mutable_id()->set_value("F" + newUuid());
    }
    internal::FrameworkRecord record = frameworkRecord(info, wallSeconds(), identity);
    if (Status s = registrar_->saveFramework(record); !s.isOk()) {
      sendError(identity, "SUBSCRIBE failed: " + s.message(), true);
      return;
    }
    framework = &addFramework(info, record.registered_at());
    framework->recordedIdentity = identity;
    LOG(INFO) << "Added framework " << framework->id << " (" << info.name() << ") in "
              << framework->roles.size() << " role(s), first " << framework->roles.front();
  }
  if (!framework->identity.empty() && framework->identity != identity) {
    frameworkIdentities_.erase(framework->identity);
    // Offers made to the old connection may never be answered.
    rescindOffersOf(framework->offers);
  }
  if (framework->recordedIdentity != identity) {
    // Another connection (the scheduler restarted): record it, so a master restart can find
    // it. Not fatal: the framework then re-subscribes at its next call instead.
    if (Status s = registrar_->saveFramework(
            frameworkRecord(framework->info, framework->registeredTime, identity));
        s.isOk()) {
      framework->recordedIdentity = identity;
    } else {
      LOG(WARNING) << "Cannot record the connection of framework " << framework->id
                   << " (a restarted master will wait for its next call): " << s.message();
    }
  }
  loop_.cancel(framework->failoverTimer);
  framework->failoverTimer = 0;
  framework->identity = identity;
  frameworkIdentities_[identity] = framework->id;
  framework->lastHeard = loop_.now();
  framework->transitionTo(FrameworkState::kConnected);
  allocator_.activateFramework(framework->id);
  Event event;
  auto* subscribed = event.mutable_subscribed();
  subscribed->mutable_framework_id()->set_value(framework->id);
  subscribed->set_heartbeat_interval_seconds(options_.frameworkHeartbeatInterval.count());
  subscribed->mutable_master_id()->set_value(masterId_);
  if (options_.domain.has_fault_domain()) {
    *subscribed->mutable_master_domain() = options_.domain;
  }
  sendToFramework(*framework, event);
  scheduleAllocation();
}

void Master::onAccept(FrameworkEntry& framework, const Call::Accept& call) {
  // Validate the offers: they exist, belong to the framework, and are on one agent.
  std::string error;
  std::string agentId;
  std::string role;
  Resources offered;
  std::set<std::string> seen;
  for (const auto& offerId : call.offer_ids()) {
    if (!seen.insert(offerId.value()).second) {
      error = "offer " + offerId.value() + " is listed twice";
      break;
    }
    auto offer = offers_.find(offerId.value());
    if (offer == offers_.end() || offer->second.frameworkId != framework.id) {
      error = "offer " + offerId.value() + " is not outstanding for this framework";
      break;
    }
    if (!agentId.empty() && agentId != offer->second.agentId) {
      error = "offers span more than one agent";
      break;
    }
    if (!role.empty() && role != offer->second.role) {
      error = "offers are allocated to more than one role";
      break;
    }
    agentId = offer->second.agentId;
    role = offer->second.role;
    offered += offer->second.resources;
  }
  if (call.offer_ids_size() == 0) {
    error = "ACCEPT names no offers";
  }
  std::optional<double> refuseSecs = refuseSeconds(call.filters());
  if (error.empty() && !refuseSecs) {
    error = "filters.refuse_seconds must be between 0 and one year of seconds";
  }
  std::optional<Seconds> refuse = Seconds(refuseSecs.value_or(5.0));
  if (!error.empty()) {
    LOG(WARNING) << "Framework " << framework.id << ": invalid ACCEPT: " << error;
    metrics_.increment("master/invalid_calls");
    for (const auto& op : call.operations()) {
      for (const auto& task : tasksOf(op)) {
        sendUpdate(framework,
                   masterStatus(task.task_id(), agentId,
                                framework.partitionAware() ? v1::TASK_DROPPED : v1::TASK_LOST,
                                v1::TaskStatus::REASON_INVALID_OFFERS, error));
      }
    }
    // Offers that were valid go back to the pool.
    for (const auto& offerId : call.offer_ids()) {
      auto offer = offers_.find(offerId.value());
      if (offer != offers_.end() && offer->second.frameworkId == framework.id) {
        removeOffer(offerId.value(), std::nullopt);
      }
    }
    return;
  }
  for (const auto& offerId : call.offer_ids()) {
    offers_.at(offerId.value()).resources = Resources();  // Now accounted for below.
    removeOffer(offerId.value(), std::nullopt);
  }
  AgentEntry& agent = *agents_.at(agentId);
  // Ids used earlier in this ACCEPT; ids of active tasks are looked up in `tasks_` (copying
  // the framework's task ids here would make every ACCEPT O(tasks)).
  std::set<std::string> usedIds;
  Resources remaining = offered;
  for (const auto& op : call.operations()) {
    if (op.has_reserve() || op.has_unreserve()) {
      const auto& resources = op.has_reserve() ? op.reserve().resources()
                                               : op.unreserve().resources();
      if (auto invalid = changeReservationsInOffer(framework, agent, role, resources,
                                                   op.has_reserve(), &remaining)) {
        LOG(WARNING) << "Framework " << framework.id << ": invalid "
                     << (op.has_reserve() ? "RESERVE" : "UNRESERVE") << ": " << *invalid;
        metrics_.increment("master/invalid_operations");
      }
      continue;
    }
    if (op.has_create() || op.has_destroy()) {
      if (auto invalid = changeVolumesInOffer(framework, agent, role, op, &remaining)) {
        LOG(WARNING) << "Framework " << framework.id << ": invalid "
                     << (op.has_create() ? "CREATE" : "DESTROY") << ": " << *invalid;
        metrics_.increment("master/invalid_operations");
      }
      continue;
    }
    if (op.has_launch_group()) {
      launchGroupInOffer(framework, agent, role, op.launch_group(), &remaining, &usedIds);
      continue;
    }
    for (const auto& task : op.launch().task_infos()) {
      Error invalid = tasks_.count({framework.id, task.task_id().value()})
                          ? Error("task_id '" + task.task_id().value() +
                                  "' is already in use by this framework")
                          : validateTask(task, remaining, usedIds);
      if (invalid) {
        LOG(WARNING) << "Framework " << framework.id << ": invalid task: " << *invalid;
        metrics_.increment("master/invalid_tasks");
        sendUpdate(framework, masterStatus(task.task_id(), agentId, v1::TASK_ERROR,
                                           v1::TaskStatus::REASON_TASK_INVALID, *invalid));
        continue;
      }
      Resources resources = *Resources::fromProto(task.resources());
      remaining -= resources;
      usedIds.insert(task.task_id().value());
      launchTask(framework, agent, role, task, resources);
    }
  }
  // What no task took goes back at once, filtered for this framework for `refuse`.
  allocator_.recover(framework.id, role, agentId, remaining,
                     loop_.now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       *refuse));
  scheduleAllocation();
}

void Master::launchGroupInOffer(FrameworkEntry& framework, AgentEntry& agent,
                                const std::string& role, const Call::Operation::LaunchGroup& launch,
                                Resources* remaining, std::set<std::string>* usedIds) {
  const v1::TaskGroupInfo& group = launch.task_group();
  Error invalid = validateTaskGroup(launch.executor(), group);
  if (!invalid) {
    invalid = podInUse(framework, agent, launch.executor().executor_id().value());
  }
  // All or nothing: each task is checked against what the ones before it left.
  Resources left = *remaining;
  std::set<std::string> ids = *usedIds;
  for (int i = 0; !invalid && i < group.tasks_size(); ++i) {
    const v1::TaskInfo& task = group.tasks(i);
    invalid =
        tasks_.count({framework.id, task.task_id().value()})
            ? Error("task_id '" + task.task_id().value() + "' is already in use by this framework")
            : validateTask(task, left, ids);
    if (!invalid) {
      left -= *Resources::fromProto(task.resources());
      ids.insert(task.task_id().value());
    }
  }
  if (invalid) {
    LOG(WARNING) << "Framework " << framework.id << ": invalid task group: " << *invalid;
    metrics_.increment("master/invalid_tasks", group.tasks_size());
    for (const auto& task : group.tasks()) {
      sendUpdate(framework, masterStatus(task.task_id(), agent.id, v1::TASK_ERROR,
                                         v1::TaskStatus::REASON_TASK_INVALID,
                                         "Invalid task group: " + *invalid));
    }
    return;
  }
  *remaining = std::move(left);
  *usedIds = std::move(ids);
  launchTaskGroup(framework, agent, role, launch.executor(), group);
}

Error Master::podInUse(const FrameworkEntry& framework, const AgentEntry& agent,
                       const std::string& executorId) const {
  // The agent's tasks, not the framework's: a pod lives on one agent, and an
  // agent holds far fewer tasks than a big framework.
  for (const TaskKey& key : agent.tasks) {
    auto task = tasks_.find(key);
    if (key.first == framework.id && task != tasks_.end() &&
        task->second.task.executor_id().value() == executorId &&
        !isTerminalState(task->second.task.state())) {
      return "executor_id '" + executorId + "' names a live pod of this framework (task '" +
             key.second + "')";
    }
  }
  return std::nullopt;
}

void Master::onDecline(FrameworkEntry& framework, const Call::Decline& call) {
  std::optional<double> refuseSecs = refuseSeconds(call.filters());
  if (!refuseSecs) {
    LOG(WARNING) << "Framework " << framework.id << ": DECLINE with an invalid refuse_seconds; "
                 << "using 5";
    metrics_.increment("master/invalid_calls");
  }
  Seconds refuse{refuseSecs.value_or(5.0)};
  for (const auto& offerId : call.offer_ids()) {
    auto offer = offers_.find(offerId.value());
    if (offer == offers_.end() || offer->second.frameworkId != framework.id) {
      LOG(WARNING) << "Framework " << framework.id << " declined unknown offer "
                   << offerId.value();
      continue;
    }
    removeOffer(offerId.value(), refuse);
  }
  scheduleAllocation();
}

void Master::onKill(FrameworkEntry& framework, const Call::Kill& call) {
  TaskKey key{framework.id, call.task_id().value()};
  auto task = tasks_.find(key);
  if (task == tasks_.end() || isTerminalState(task->second.task.state())) {
    sendUpdate(framework, masterStatus(call.task_id(), call.agent_id().value(), v1::TASK_LOST,
                                       v1::TaskStatus::REASON_TASK_UNKNOWN,
                                       "Attempted to kill an unknown task"));
    return;
  }
  auto agent = agents_.find(task->second.task.agent_id().value());
  task->second.killRequested = true;
  if (call.kill_policy().has_grace_period_seconds() &&
      validateSeconds("kill_policy.grace_period_seconds",
                      call.kill_policy().grace_period_seconds())) {
    // A bad grace period must not turn into a timer; the task's own policy applies.
    LOG(WARNING) << "Framework " << framework.id << ": KILL of " << key.second
                 << " with an invalid grace period; using the task's kill policy";
    metrics_.increment("master/invalid_calls");
  } else if (call.has_kill_policy()) {
    task->second.killPolicy = call.kill_policy();
  }
  if (agent == agents_.end() || agent->second->state != AgentState::kRegistered) {
    LOG(INFO) << "Kill of task " << key.second
              << " deferred: its agent is not connected (sent when it re-registers)";
    return;
  }
  internal::AgentEvent event;
  auto* kill = event.mutable_kill_task();
  kill->mutable_framework_id()->set_value(framework.id);
  *kill->mutable_task_id() = call.task_id();
  if (task->second.killPolicy.has_grace_period_seconds()) {
    *kill->mutable_kill_policy() = task->second.killPolicy;
  }
  sendToAgent(*agent->second, event);
}

void Master::onAcknowledge(FrameworkEntry& framework, const Call::Acknowledge& call) {
  auto agent = agents_.find(call.agent_id().value());
  if (agent == agents_.end() || agent->second->state != AgentState::kRegistered) {
    VLOG(1) << "Acknowledgement for agent " << call.agent_id().value()
            << " dropped: agent not connected (it will retry the update)";
    return;
  }
  internal::AgentEvent event;
  auto* ack = event.mutable_status_update_ack();
  ack->mutable_framework_id()->set_value(framework.id);
  *ack->mutable_task_id() = call.task_id();
  ack->set_uuid(call.uuid());
  sendToAgent(*agent->second, event);
  auto& unacknowledged = agent->second->unacknowledged;
  auto pending = unacknowledged.find({framework.id, call.task_id().value()});
  if (pending != unacknowledged.end() && pending->second == call.uuid()) {
    unacknowledged.erase(pending);
    checkDrained(*agent->second);
  }
}

void Master::onReconcile(FrameworkEntry& framework, const Call::Reconcile& call) {
  auto answer = [&](const v1::TaskID& taskId, const std::string& agentId) {
    auto task = tasks_.find({framework.id, taskId.value()});
    if (task != tasks_.end()) {
      const v1::Task& t = task->second.task;
      v1::TaskState state = t.state();
      if (state == v1::TASK_UNREACHABLE && !framework.partitionAware()) {
        state = v1::TASK_LOST;
      }
      v1::TaskStatus status = masterStatus(taskId, t.agent_id().value(), state,
                                           v1::TaskStatus::REASON_RECONCILIATION, "");
      if (t.statuses_size() > 0) {
        status.set_message(t.statuses(t.statuses_size() - 1).message());
        if (t.statuses(t.statuses_size() - 1).has_exit_code()) {
          status.set_exit_code(t.statuses(t.statuses_size() - 1).exit_code());
        }
      }
      sendUpdate(framework, status);
      return;
    }
    for (const auto& done : framework.completedTasks) {
      if (done.task_id().value() == taskId.value()) {
        sendUpdate(framework, masterStatus(taskId, done.agent_id().value(), done.state(),
                                           v1::TaskStatus::REASON_RECONCILIATION, ""));
        return;
      }
    }
    auto agent = agents_.find(agentId);
    v1::TaskState state = !framework.partitionAware()                        ? v1::TASK_LOST
                          : agent == agents_.end()                           ? v1::TASK_UNKNOWN
                          : agent->second->state == AgentState::kUnreachable ? v1::TASK_UNREACHABLE
                                                                             : v1::TASK_GONE;
    sendUpdate(framework, masterStatus(taskId, agentId, state,
                                       v1::TaskStatus::REASON_RECONCILIATION,
                                       "Task is unknown to the master"));
  };
  if (call.tasks_size() == 0) {
    for (const auto& [key, entry] : framework.tasks) {
      const v1::Task& task = entry->task;
      answer(task.task_id(), task.agent_id().value());
    }
    return;
  }
  for (const auto& task : call.tasks()) {
    answer(task.task_id(), task.agent_id().value());
  }
}

void Master::checkFrameworkHealth() {
  TimePoint now = loop_.now();
  auto limit = options_.frameworkHeartbeatInterval * 3;
  for (auto& [id, framework] : frameworks_) {
    if (framework->state == FrameworkState::kConnected && now - framework->lastHeard > limit) {
      disconnectFramework(*framework, "sent no heartbeat for 3 intervals");
    }
  }
}

void Master::disconnectFramework(FrameworkEntry& framework, const std::string& why) {
  LOG(INFO) << "Framework " << framework.id << " " << why << "; failover_timeout "
            << framework.info.failover_timeout() << "s";
  framework.transitionTo(FrameworkState::kDisconnected);
  frameworkIdentities_.erase(framework.identity);
  framework.identity.clear();
  rescindOffersOf(framework.offers);
  allocator_.deactivateFramework(framework.id);
  std::string id = framework.id;
  framework.failoverTimer =
      loop_.runAfter(Seconds(boundedSeconds(framework.info.failover_timeout())), [this, id] {
        removeFramework(id, "did not re-subscribe within its failover_timeout");
      });
}

void Master::removeFramework(const std::string& frameworkId, const std::string& why) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) {
    return;
  }
  FrameworkEntry& framework = *it->second;
  LOG(INFO) << "Removing framework " << frameworkId << ": " << why;
  if (Status s = registrar_->removeFramework(frameworkId); !s.isOk()) {
    LOG(ERROR) << "Cannot remove framework " << frameworkId << " from the registry: "
               << s.message();
  }
  loop_.cancel(framework.failoverTimer);
  rescindOffersOf(framework.offers);
  std::set<std::string> agentsWithTasks;
  for (const auto& [key, unused] : framework.tasks) {
    auto task = tasks_.find(key);
    if (task == tasks_.end()) {
      continue;
    }
    const std::string agentId = task->second.task.agent_id().value();
    agentsWithTasks.insert(agentId);
    auto agent = agents_.find(agentId);
    if (agent != agents_.end()) {
      agent->second->tasks.erase(key);
    }
    // The agent kills it; the framework is gone, so record it as killed here.
    setTaskState(task->second, v1::TASK_KILLED);
    recordTaskStatus(
        task->second,
        masterStatus(task->second.task.task_id(), agentId, v1::TASK_KILLED,
                     v1::TaskStatus::REASON_FRAMEWORK_REMOVED, "Framework removed: " + why));
    // Erased first: it counts the task out by its state, which a move would take along.
    framework.completedTasks.push_back(std::move(eraseTaskEntry(task).task));
  }
  for (const std::string& agentId : agentsWithTasks) {
    auto agent = agents_.find(agentId);
    if (agent != agents_.end() && agent->second->state == AgentState::kRegistered) {
      internal::AgentEvent event;
      event.mutable_shutdown_framework()->mutable_framework_id()->set_value(frameworkId);
      sendToAgent(*agent->second, event);
    }
  }
  if (!framework.identity.empty()) {
    frameworkIdentities_.erase(framework.identity);
  }
  allocator_.removeFramework(frameworkId);
  completedFrameworks_.push_back(
      CompletedFramework{framework.info, std::move(framework.completedTasks)});
  while (completedFrameworks_.size() > static_cast<size_t>(options_.maxCompletedFrameworks)) {
    completedFrameworks_.pop_front();
  }
  // Remembered so the id cannot re-subscribe and agents coming back are told to shut it
  // down; bounded, oldest forgotten first.
  removedFrameworks_.insert(frameworkId);
  removedOrder_.push_back(frameworkId);
  while (removedOrder_.size() > kMaxRemovedFrameworks) {
    removedFrameworks_.erase(removedOrder_.front());
    removedOrder_.pop_front();
  }
  frameworks_.erase(it);
  // A draining agent may have been waiting only for this framework's tasks.
  for (const std::string& agentId : agentsWithTasks) {
    auto agent = agents_.find(agentId);
    if (agent != agents_.end()) {
      checkDrained(*agent->second);
    }
  }
  scheduleAllocation();
}

}  // namespace agora::master
