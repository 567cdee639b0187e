// Task bookkeeping: launch, status changes, completion.
#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "common/base/task_states.hpp"
#include "master/master.hpp"

namespace agora::master {

void Master::launchTask(FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
                        const v1::TaskInfo& info, const Resources& resources) {
  addLaunchedTask(framework, agent, role, info, resources, nullptr);
  internal::AgentEvent event;
  auto* run = event.mutable_run_task();
  *run->mutable_framework() = framework.info;
  *run->mutable_task() = info;
  run->set_role(role);
  run->mutable_task()->mutable_agent_id()->set_value(agent.id);
  sendToAgent(agent, event);
}

void Master::launchTaskGroup(FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
                             const v1::ExecutorInfo& executor, const v1::TaskGroupInfo& group) {
  internal::AgentEvent event;
  auto* run = event.mutable_run_task_group();
  *run->mutable_framework() = framework.info;
  *run->mutable_executor() = executor;
  run->set_role(role);
  for (const auto& info : group.tasks()) {
    addLaunchedTask(framework, agent, role, info, *Resources::fromProto(info.resources()),
                    &executor.executor_id());
    v1::TaskInfo* task = run->mutable_task_group()->add_tasks();
    *task = info;
    task->mutable_agent_id()->set_value(agent.id);
  }
  sendToAgent(agent, event);
  VLOG(1) << "Launching pod " << executor.executor_id().value() << " of framework " << framework.id
          << " (" << group.tasks_size() << " tasks) on agent " << agent.id;
}

void Master::addLaunchedTask(FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
                             const v1::TaskInfo& info, const Resources& resources,
                             const v1::ExecutorID* executorId) {
  TaskKey key{framework.id, info.task_id().value()};
  TaskEntry entry;
  v1::Task& task = entry.task;
  task.set_name(info.name());
  *task.mutable_task_id() = info.task_id();
  task.mutable_framework_id()->set_value(framework.id);
  task.mutable_agent_id()->set_value(agent.id);
  task.set_state(v1::TASK_STAGING);
  *task.mutable_resources() = info.resources();
  *task.mutable_labels() = info.labels();
  // Not the command: the agent has it, and Mesos' Task does not carry it either.
  task.set_role(role);
  if (executorId != nullptr) {
    *task.mutable_executor_id() = *executorId;
  }
  v1::TaskStatus staging =
      masterStatus(info.task_id(), agent.id, v1::TASK_STAGING, v1::TaskStatus::REASON_UNKNOWN, "");
  recordStatus(task, staging);
  entry.resources = resources;
  // The task's own policy: a drain caps its grace period (drain.cpp).
  entry.killPolicy = info.kill_policy();
  framework.tasks[key] = &addTaskEntry(key, std::move(entry));
  agent.tasks.insert(key);
  metrics_.increment("master/tasks_launched");
  VLOG(1) << "Launching task " << key.second << " of framework " << key.first << " on agent "
          << agent.id;
}

TaskEntry& Master::addTaskEntry(const TaskKey& key, TaskEntry entry) {
  auto existing = tasks_.find(key);
  if (existing != tasks_.end()) {
    (void)eraseTaskEntry(existing);  // Replaced: its counts go with it.
  }
  tasksUsed_ += entry.resources;
  if (auto framework = frameworks_.find(key.first); framework != frameworks_.end()) {
    framework->second->used += entry.resources;
  }
  ++tasksByState_[entry.task.state()];
  return tasks_.emplace(key, std::move(entry)).first->second;
}

TaskEntry Master::eraseTaskEntry(std::unordered_map<TaskKey, TaskEntry, TaskKeyHash>::iterator it) {
  tasksUsed_ -= it->second.resources;
  if (auto framework = frameworks_.find(it->first.first); framework != frameworks_.end()) {
    framework->second->used -= it->second.resources;
  }
  --tasksByState_[it->second.task.state()];
  TaskEntry erased = std::move(it->second);
  tasks_.erase(it);
  return erased;
}

void Master::recordTaskStatus(TaskEntry& entry, v1::TaskStatus status) {
  entry.json.clear();
  recordStatus(entry.task, std::move(status));
}

void Master::setTaskState(TaskEntry& entry, v1::TaskState state) {
  entry.json.clear();
  --tasksByState_[entry.task.state()];
  ++tasksByState_[state];
  entry.task.set_state(state);
}

bool Master::updateTask(const TaskKey& key, const v1::TaskStatus& status) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) {
    return false;
  }
  v1::Task& task = it->second.task;
  bool wasTerminal = isTerminalState(task.state());
  // A retried update must not move a task backwards out of a terminal state.
  if (!wasTerminal || isTerminalState(status.state())) {
    setTaskState(it->second, status.state());
  }
  const auto& statuses = task.statuses();
  bool duplicate = !status.uuid().empty() &&
                   std::any_of(statuses.begin(), statuses.end(),
                               [&](const v1::TaskStatus& s) { return s.uuid() == status.uuid(); });
  if (!duplicate) {
    recordTaskStatus(it->second, status);
    // Keep the history bounded.
    if (task.statuses_size() > 20) {
      task.mutable_statuses()->DeleteSubrange(0, task.statuses_size() - 20);
    }
  }
  if (!wasTerminal && isTerminalState(status.state())) {
    completeTask(key);
  }
  return true;
}

void Master::completeTask(const TaskKey& key) {
  auto it = tasks_.find(key);
  TaskEntry& entry = it->second;
  const std::string agentId = entry.task.agent_id().value();
  allocator_.recover(key.first, entry.task.role(), agentId, entry.resources);
  metrics_.increment(std::string("master/tasks_") +
                     [&] {
                       std::string name = v1::TaskState_Name(entry.task.state()).substr(5);
                       std::transform(name.begin(), name.end(), name.begin(), ::tolower);
                       return name;
                     }() +
                     "_total");
  auto agent = agents_.find(agentId);
  if (agent != agents_.end()) {
    agent->second->tasks.erase(key);
  }
  auto framework = frameworks_.find(key.first);
  if (framework != frameworks_.end()) {
    framework->second->tasks.erase(key);
  }
  TaskEntry erased = eraseTaskEntry(it);
  if (framework != frameworks_.end()) {
    framework->second->completedTasks.push_back(std::move(erased.task));
    while (framework->second->completedTasks.size() >
           static_cast<size_t>(options_.maxCompletedTasksPerFramework)) {
      framework->second->completedTasks.pop_front();
    }
  }
  scheduleAllocation();
}

void Master::sendUpdate(FrameworkEntry& framework, v1::TaskStatus status) {
  v1::scheduler::Event event;
  *event.mutable_update()->mutable_status() = std::move(status);
  sendToFramework(framework, event);
}

v1::TaskStatus Master::masterStatus(const v1::TaskID& taskId, const std::string& agentId,
                                    v1::TaskState state, v1::TaskStatus::Reason reason,
                                    const std::string& message) const {
  v1::TaskStatus status;
  *status.mutable_task_id() = taskId;
  status.set_state(state);
  status.set_reason(reason);
  status.set_message(message);
  status.set_source(v1::TaskStatus::SOURCE_MASTER);
  status.set_timestamp(wallSeconds());
  if (!agentId.empty()) {
    status.mutable_agent_id()->set_value(agentId);
  }
  return status;
}

}  // namespace agora::master
