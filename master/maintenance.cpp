// Maintenance primitives (Mesos' maintenance.md): the schedule, DRAINING and DOWN machines,
// and the removal of the agents of a machine the operator takes down. Inverse offers are in
// inverse_offers.cpp.
#include <glog/logging.h>

#include "common/base/task_states.hpp"
#include "master/maintenance_requests.hpp"
#include "master/master.hpp"

namespace agora::master {

namespace {
std::string describe(const v1::MachineID& machine) { return machineJson(machine).dump(); }
}  // namespace

const v1::MachineID* Master::scheduledMachine(const v1::AgentInfo& agent) const {
  for (const auto& window : maintenance_.windows()) {
    for (const auto& machine : window.machine_ids()) {
      if (machineMatches(machine, agent)) {
        return &machine;
      }
    }
  }
  return nullptr;
}

bool Master::isMachineDown(const v1::MachineID& machine) const {
  std::string key = machineKey(machine);
  for (const auto& down : maintenance_.down_machines()) {
    if (machineKey(down) == key) {
      return true;
    }
  }
  return false;
}

bool Master::onDownMachine(const v1::AgentInfo& agent) const {
  for (const auto& down : maintenance_.down_machines()) {
    if (machineMatches(down, agent)) {
      return true;
    }
  }
  return false;
}

std::optional<v1::Unavailability> Master::unavailabilityOf(const AgentEntry& agent) const {
  for (const auto& window : maintenance_.windows()) {
    for (const auto& machine : window.machine_ids()) {
      if (machineMatches(machine, agent.info)) {
        return window.unavailability();
      }
    }
  }
  return std::nullopt;
}

void Master::refuseDownAgent(const std::string& identity, const v1::AgentInfo& agent) {
  LOG(INFO) << "Refusing agent " << agent.id().value() << " on " << agent.hostname()
            << ": its machine is DOWN for maintenance";
  internal::AgentEvent event;
  event.mutable_refused()->set_message("the agent's machine (" + agent.hostname() +
                                       ") is DOWN for maintenance; it may register again "
                                       "after POST /machine/up");
  event.mutable_refused()->set_machine_down(true);
  v1::Envelope envelope;
  *envelope.mutable_agent_event() = event;
  router_.send(identity, envelope);
  metrics_.increment("master/agents_refused_machine_down");
}

void Master::refuseGoneAgent(const std::string& identity, const std::string& agentId) {
  internal::AgentEvent event;
  event.mutable_refused()->set_message("agent " + agentId +
                                       " was marked gone by the operator; it shuts down");
  event.mutable_refused()->set_gone(true);
  v1::Envelope envelope;
  *envelope.mutable_agent_event() = event;
  router_.send(identity, envelope);
  metrics_.increment("master/agents_refused_gone");
}

Status Master::markAgentGone(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) {
    return goneAgents_.count(agentId) ? Status::ok()  // Already gone: nothing to do.
                                      : Status::notFound("unknown agent '" + agentId + "'");
  }
  internal::GoneAgents record;
  for (const std::string& id : goneAgents_) record.add_agent_ids(id);
  record.add_agent_ids(agentId);
  // Durable first: a gone agent must stay gone across a master restart.
  AGORA_RETURN_IF_ERROR(registrar_->saveGoneAgents(record));
  goneAgents_.insert(agentId);
  removeAgentByOperator(*it->second, "marked gone by the operator", /*gone=*/true);
  return Status::ok();
}

Status Master::saveMaintenance() {
  if (Status s = registrar_->saveMaintenance(maintenance_); !s.isOk()) {
    return Status::unavailable("cannot persist the maintenance schedule: " + s.message());
  }
  metrics_.increment("registrar/writes");
  return Status::ok();
}

nlohmann::json Master::maintenanceScheduleJson() const {
  internal::MaintenanceRecord windows;
  *windows.mutable_windows() = maintenance_.windows();
  return scheduleJson(windows);
}

nlohmann::json Master::maintenanceStatusJson() const {
  nlohmann::json draining = nlohmann::json::array();
  nlohmann::json down = nlohmann::json::array();
  for (const auto& window : maintenance_.windows()) {
    for (const auto& machine : window.machine_ids()) {
      if (isMachineDown(machine)) {
        down.push_back(machineJson(machine));
        continue;
      }
      nlohmann::json statuses = nlohmann::json::array();
      auto answers = inverseOfferStatuses_.find(machineKey(machine));
      if (answers != inverseOfferStatuses_.end()) {
        for (const auto& [frameworkId, status] : answers->second) {
          statuses.push_back(
              {{"framework_id", {{"value", frameworkId}}},
               {"status", status.status},
               {"timestamp", {{"nanoseconds", static_cast<int64_t>(status.timestamp * 1e9)}}}});
        }
      }
      draining.push_back({{"id", machineJson(machine)}, {"statuses", statuses}});
    }
  }
  return {{"draining_machines", draining}, {"down_machines", down}};
}

Status Master::updateMaintenanceSchedule(const internal::MaintenanceRecord& schedule) {
  std::map<std::string, std::string> before;  // machine key -> serialized unavailability
  for (const auto& window : maintenance_.windows()) {
    for (const auto& machine : window.machine_ids()) {
      before[machineKey(machine)] = window.unavailability().SerializeAsString();
    }
  }
  std::map<std::string, std::string> after;
  for (const auto& window : schedule.windows()) {
    for (const auto& machine : window.machine_ids()) {
      after[machineKey(machine)] = window.unavailability().SerializeAsString();
    }
  }
  for (const auto& down : maintenance_.down_machines()) {
    if (!after.count(machineKey(down))) {
      return Status::invalid("machine " + describe(down) +
                             " is DOWN and cannot be removed from the schedule; bring it up "
                             "first (POST /machine/up)");
    }
  }
  std::map<std::string, std::optional<v1::Unavailability>> agentsBefore;
  for (const auto& [id, agent] : agents_) {
    agentsBefore[id] = unavailabilityOf(*agent);
  }
  internal::MaintenanceRecord previous = maintenance_;
  *maintenance_.mutable_windows() = schedule.windows();
  if (Status s = saveMaintenance(); !s.isOk()) {
    maintenance_ = previous;
    return s;
  }
  std::set<std::string> changed;
  for (const auto& [key, unavailability] : before) {
    auto now = after.find(key);
    if (now == after.end() || now->second != unavailability) {
      changed.insert(key);
    }
  }
  rescindInverseOffersOn(changed);
  // Outstanding offers must carry the agent's new unavailability: offer them again.
  for (const auto& [id, agent] : agents_) {
    auto now = unavailabilityOf(*agent);
    const auto& was = agentsBefore[id];
    if (now.has_value() != was.has_value() ||
        (now && now->SerializeAsString() != was->SerializeAsString())) {
      rescindOffersOf(agent->offers);
    }
  }
  LOG(INFO) << "Maintenance schedule updated: " << maintenance_.windows_size() << " windows";
  scheduleAllocation();
  return Status::ok();
}

Status Master::machinesDown(const std::vector<v1::MachineID>& machines) {
  std::set<std::string> scheduled;
  for (const auto& window : maintenance_.windows()) {
    for (const auto& machine : window.machine_ids()) {
      scheduled.insert(machineKey(machine));
    }
  }
  std::set<std::string> keys;
  for (const auto& machine : machines) {
    if (!scheduled.count(machineKey(machine))) {
      return Status::invalid("machine " + describe(machine) +
                             " is not in the maintenance schedule");
    }
    if (isMachineDown(machine)) {
      return Status::invalid("machine " + describe(machine) + " is already DOWN");
    }
    keys.insert(machineKey(machine));
  }
  internal::MaintenanceRecord previous = maintenance_;
  for (const auto& machine : machines) {
    *maintenance_.add_down_machines() = machine;
  }
  if (Status s = saveMaintenance(); !s.isOk()) {
    maintenance_ = previous;
    return s;
  }
  rescindInverseOffersOn(keys);
  std::vector<std::string> removed;
  for (const auto& [id, agent] : agents_) {
    if (onDownMachine(agent->info)) {
      removed.push_back(id);
    }
  }
  for (const std::string& id : removed) {
    removeAgentByOperator(*agents_.at(id), "its machine is DOWN for maintenance",
                          /*gone=*/false);
  }
  LOG(INFO) << machines.size() << " machines DOWN; removed " << removed.size() << " agents";
  return Status::ok();
}

Status Master::machinesUp(const std::vector<v1::MachineID>& machines) {
  std::set<std::string> keys;
  for (const auto& machine : machines) {
    if (!isMachineDown(machine)) {
      return Status::invalid("machine " + describe(machine) + " is not DOWN");
    }
    keys.insert(machineKey(machine));
  }
  internal::MaintenanceRecord updated;
  for (const auto& down : maintenance_.down_machines()) {
    if (!keys.count(machineKey(down))) {
      *updated.add_down_machines() = down;
    }
  }
  // Up machines leave the schedule; windows left without machines go too.
  for (const auto& window : maintenance_.windows()) {
    internal::MaintenanceRecord::Window kept;
    *kept.mutable_unavailability() = window.unavailability();
    for (const auto& machine : window.machine_ids()) {
      if (!keys.count(machineKey(machine))) {
        *kept.add_machine_ids() = machine;
      }
    }
    if (kept.machine_ids_size() > 0) {
      *updated.add_windows() = std::move(kept);
    }
  }
  internal::MaintenanceRecord previous = maintenance_;
  maintenance_ = updated;
  if (Status s = saveMaintenance(); !s.isOk()) {
    maintenance_ = previous;
    return s;
  }
  for (const std::string& key : keys) {
    inverseOfferStatuses_.erase(key);
  }
  LOG(INFO) << machines.size() << " machines UP";
  return Status::ok();
}

void Master::removeAgentByOperator(AgentEntry& agent, const std::string& why, bool gone) {
  const std::string agentId = agent.id;
  LOG(WARNING) << "Removing agent " << agentId << ": " << why;
  rescindOffersOf(agent.offers);
  std::set<std::string> frameworksWithTasks;
  for (const TaskKey& key : std::set<TaskKey>(agent.tasks)) {
    auto task = tasks_.find(key);
    if (task == tasks_.end() || isTerminalState(task->second.task.state())) {
      continue;
    }
    frameworksWithTasks.insert(key.first);
    auto framework = frameworks_.find(key.first);
    bool partitionAware = framework != frameworks_.end() && framework->second->partitionAware();
    v1::TaskStatus status =
        masterStatus(task->second.task.task_id(), agentId,
                     partitionAware ? v1::TASK_GONE_BY_OPERATOR : v1::TASK_LOST,
                     v1::TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR,
                     "Agent " + agentId + " was removed: " + why);
    updateTask(key, status);
    if (framework != frameworks_.end()) {
      sendUpdate(*framework->second, status);
    }
  }
  if (agent.state == AgentState::kRegistered) {
    // Mesos shuts the agent down; here it kills its executors and waits to be let back.
    for (const std::string& frameworkId : frameworksWithTasks) {
      internal::AgentEvent event;
      event.mutable_shutdown_framework()->mutable_framework_id()->set_value(frameworkId);
      sendToAgent(agent, event);
    }
    if (gone) {
      refuseGoneAgent(agent.identity, agentId);
    } else {
      refuseDownAgent(agent.identity, agent.info);
    }
  }
  if (Status s = registrar_->removeAgent(agentId); !s.isOk()) {
    LOG(ERROR) << "Cannot remove agent " << agentId << " from the registry: " << s.message();
  }
  allocator_.removeAgent(agentId);
  if (!agent.identity.empty()) {
    agentIdentities_.erase(agent.identity);
  }
  for (auto& [fid, framework] : frameworks_) {
    v1::scheduler::Event event;
    event.mutable_failure()->mutable_agent_id()->set_value(agentId);
    sendToFramework(*framework, event);
  }
  agents_.erase(agentId);
  metrics_.increment("master/slave_removals_by_operator");
}

}  // namespace agora::master
