// Automatic agent drain (Mesos 1.9 DRAIN_AGENT / REACTIVATE_AGENT): a draining agent gets
// no offers, its tasks are killed with a capped grace period, and it is DRAINED once every
// task is terminal and its terminal update acknowledged.
#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "common/base/task_states.hpp"
#include "master/master.hpp"

namespace agora::master {

namespace {
// The agent's default kill grace period (KillPolicy in common.proto).
constexpr double kDefaultGraceSeconds = 3.0;
}  // namespace

Status Master::saveAgentRecord(const AgentEntry& agent) {
  double unreachableSince = agent.state == AgentState::kUnreachable ? wallSeconds() : 0;
  if (Status s = registrar_->saveAgent(agentRecord(agent, unreachableSince)); !s.isOk()) {
    return Status::unavailable("cannot persist agent " + agent.id + ": " + s.message());
  }
  metrics_.increment("registrar/writes");
  return Status::ok();
}

Status Master::drainAgent(const std::string& agentId, const internal::DrainConfig& config) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) {
    return Status::notFound("agent '" + agentId + "' is not known");
  }
  AgentEntry& agent = *it->second;
  internal::DrainInfo previous = agent.drain;
  bool wasDeactivated = agent.deactivated;
  agent.drain.set_state(internal::DrainInfo::DRAINING);
  *agent.drain.mutable_config() = config;
  agent.deactivated = true;
  if (Status s = saveAgentRecord(agent); !s.isOk()) {
    agent.drain = previous;
    agent.deactivated = wasDeactivated;
    return s;
  }
  LOG(INFO) << "Draining agent " << agentId
            << (config.has_max_grace_period()
                    ? " (max grace " +
                          std::to_string(config.max_grace_period().nanoseconds() / 1e9) + "s)"
                    : "");
  allocator_.deactivateAgent(agentId);
  rescindOffersOf(agent.offers);
  killTasksForDrain(agent);
  checkDrained(agent);
  return Status::ok();
}

Status Master::deactivateAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) {
    return Status::notFound("agent '" + agentId + "' is not known");
  }
  AgentEntry& agent = *it->second;
  bool wasDeactivated = agent.deactivated;
  agent.deactivated = true;
  if (Status s = saveAgentRecord(agent); !s.isOk()) {
    agent.deactivated = wasDeactivated;
    return s;
  }
  LOG(INFO) << "Deactivated agent " << agentId;
  allocator_.deactivateAgent(agentId);
  rescindOffersOf(agent.offers);
  return Status::ok();
}

Status Master::reactivateAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) {
    return Status::notFound("agent '" + agentId + "' is not known");
  }
  AgentEntry& agent = *it->second;
  if (!agent.draining() && !agent.deactivated) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "agent '" + agentId + "' is not draining or deactivated");
  }
  internal::DrainInfo previous = agent.drain;
  agent.drain.Clear();
  agent.deactivated = false;
  if (Status s = saveAgentRecord(agent); !s.isOk()) {
    agent.drain = previous;
    agent.deactivated = true;
    return s;
  }
  LOG(INFO) << "Reactivated agent " << agentId;
  allocator_.activateAgent(agentId);
  scheduleAllocation();
  return Status::ok();
}

void Master::killTasksForDrain(AgentEntry& agent, bool send) {
  if (agent.drain.state() != internal::DrainInfo::DRAINING) {
    return;
  }
  const internal::DrainConfig& config = agent.drain.config();
  for (const TaskKey& key : agent.tasks) {
    auto task = tasks_.find(key);
    if (task == tasks_.end() || isTerminalState(task->second.task.state())) {
      continue;
    }
    TaskEntry& entry = task->second;
    double grace = entry.killPolicy.has_grace_period_seconds()
                       ? entry.killPolicy.grace_period_seconds()
                       : kDefaultGraceSeconds;
    if (config.has_max_grace_period()) {
      grace = std::min(grace, config.max_grace_period().nanoseconds() / 1e9);
    }
    entry.killRequested = true;
    entry.killPolicy.set_grace_period_seconds(grace);
    if (!send || agent.state != AgentState::kRegistered) {
      continue;  // Sent when the agent re-registers.
    }
    internal::AgentEvent event;
    auto* kill = event.mutable_kill_task();
    kill->mutable_framework_id()->set_value(key.first);
    kill->mutable_task_id()->set_value(key.second);
    *kill->mutable_kill_policy() = entry.killPolicy;
    sendToAgent(agent, event);
  }
}

void Master::checkDrained(AgentEntry& agent) {
  if (agent.drain.state() != internal::DrainInfo::DRAINING ||
      agent.state != AgentState::kRegistered) {
    return;
  }
  // Updates of removed frameworks will never be acknowledged by them.
  for (auto it = agent.unacknowledged.begin(); it != agent.unacknowledged.end();) {
    it = frameworks_.count(it->first.first) ? std::next(it) : agent.unacknowledged.erase(it);
  }
  if (!agent.tasks.empty() || !agent.unacknowledged.empty()) {
    return;
  }
  agent.drain.set_state(internal::DrainInfo::DRAINED);
  if (Status s = saveAgentRecord(agent); !s.isOk()) {
    LOG(ERROR) << s.message();  // Recomputed after a restart: the agent drains again.
  }
  LOG(INFO) << "Agent " << agent.id << " is DRAINED";
  if (agent.drain.config().mark_gone()) {
    // After the callers' loops over agents are done with this one.
    std::string id = agent.id;
    loop_.post([this, id] {
      if (Status s = markAgentGone(id); !s.isOk()) {
        LOG(ERROR) << "Cannot mark drained agent " << id << " gone: " << s.message();
      }
    });
  }
}

}  // namespace agora::master
