// Agent handlers for the master's task commands: run, kill, shutdown framework, and the
// path every status update takes into the checkpoint.
#include <glog/logging.h>

#include <filesystem>
#include <fstream>

#include "common/base/ids.hpp"
#include "slave/agent.hpp"
#include "slave/executor_launcher.hpp"
#include "common/base/task_states.hpp"

namespace agora::slave {

namespace {

// Why a RunTask cannot be run at all, or nullopt.
std::optional<std::string> validateRunTask(const internal::AgentEvent::RunTask& run) {
  if (!isSafePathComponent(run.framework().id().value())) {
    return "framework id '" + run.framework().id().value() + "' is empty or not a path name";
  }
  if (!isSafePathComponent(run.task().task_id().value())) {
    return "task id '" + run.task().task_id().value() + "' is empty or not a path name";
  }
  return std::nullopt;
}

Status writeTaskInfo(const std::string& path, const v1::TaskInfo& task) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !task.SerializeToOstream(&out)) {
    return Status::io("cannot write " + path);
  }
  out.close();
  return out ? Status::ok() : Status::io("cannot write " + path);
}

}  // namespace

void Agent::onRunTask(const internal::AgentEvent::RunTask& run) {
  const std::string& frameworkId = run.framework().id().value();
  const std::string& taskId = run.task().task_id().value();
  if (auto invalid = validateRunTask(run)) {
    LOG(WARNING) << "Dropping RunTask from the master: " << *invalid;
    metrics_.increment("slave/invalid_messages");
    if (!run.framework().id().value().empty() && !taskId.empty()) {
      reportFromAgent(run.framework().id(), run.task().task_id(), v1::TASK_ERROR,
                      v1::TaskStatus::REASON_TASK_INVALID, *invalid);
    }
    return;
  }
  if (auto missing = missingVolume(run.task())) {
    LOG(WARNING) << "Refusing task " << taskId << " of framework " << frameworkId << ": "
                 << *missing;
    reportFromAgent(run.framework().id(), run.task().task_id(), v1::TASK_ERROR,
                    v1::TaskStatus::REASON_TASK_INVALID, *missing);
    return;
  }
  TaskKey key{frameworkId, taskId};
  if (TaskRecord* existing = findTask(key)) {
    if (existing->state == TaskRecord::State::kTerminal) {
      // The framework reused the id of a task that ended (the master already forgot it)
      // before the agent got the acknowledgement of its terminal update. Both runs share
      // one record and one update queue, so the new one starts once the old one is done.
      LOG(INFO) << "Deferring RunTask for task " << taskId << " of framework " << frameworkId
                << " until its previous run is acknowledged";
      existing->deferredRun = TaskRecord::DeferredRun{.run = run, .kill = std::nullopt};
      return;
    }
    LOG(INFO) << "Ignoring a duplicate RunTask for task " << taskId << " of framework "
              << frameworkId;
    return;
  }
  admitTask(run.framework(), run.task(), run.role(), nullptr);
}

void Agent::admitTask(const v1::FrameworkInfo& framework, const v1::TaskInfo& info,
                      const std::string& role, const v1::ExecutorInfo* pod) {
  const std::string& frameworkId = framework.id().value();
  const std::string& taskId = info.task_id().value();
  TaskRecord record;
  record.checkpoint.mutable_framework()->CopyFrom(framework);
  record.checkpoint.mutable_task()->CopyFrom(info);
  *record.checkpoint.mutable_task()->mutable_agent_id() = link_->agentId();
  record.checkpoint.set_sandbox(sandboxPath(options_.workDir, frameworkId, taskId));
  record.checkpoint.set_state(v1::TASK_STAGING);
  record.checkpoint.set_role(role);
  if (pod != nullptr) {
    *record.checkpoint.mutable_executor() = *pod;
  }
  LOG(INFO) << "Running task " << taskId << " (" << info.name() << ") of framework " << frameworkId
            << " in " << record.checkpoint.sandbox();
  TaskKey key{frameworkId, taskId};
  TaskRecord& task = tasks_.emplace(key, std::move(record)).first->second;
  // The executor starts while the task's checkpoint is synced. If the agent dies before the
  // sync, the restarted agent has no record of the task and tells its executor to kill it
  // (onUnknownTasksExecutor): the task is lost, as when the agent dies before a launch.
  launchExecutor(task);  // Never erases the record (only an acknowledged end does).
  Status saved = checkpoint_->saveTask(task.checkpoint);
  if (!saved.isOk()) {
    // Forgotten, so its executor is told to kill it when it subscribes (see above).
    LOG(ERROR) << "Cannot run task " << taskId << ": " << saved.message();
    unwatchExecutor(task);
    tasks_.erase(key);
    reportFromAgent(framework.id(), info.task_id(), v1::TASK_FAILED,
                    v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, saved.message());
    return;
  }
  frameworks_[frameworkId] = framework;
}

void Agent::onRunTaskGroup(const internal::AgentEvent::RunTaskGroup& run) {
  const v1::FrameworkInfo& framework = run.framework();
  const std::string& executorId = run.executor().executor_id().value();
  // All or none: every task is checked before any is checkpointed.
  std::optional<std::string> invalid;
  if (!isSafePathComponent(framework.id().value()) || !isSafePathComponent(executorId)) {
    invalid = "framework id '" + framework.id().value() + "' or executor id '" + executorId +
              "' is empty or not a path name";
  }
  for (int i = 0; !invalid && i < run.task_group().tasks_size(); ++i) {
    invalid = whyTaskCannotJoinPod(framework, run.task_group().tasks(i));
  }
  std::string podDir = podPath(options_.workDir, framework.id().value(), executorId);
  if (!invalid) {
    Status written = writePodGroup(podDir, run.task_group());
    if (!written.isOk()) invalid = written.message();
  }
  if (invalid) {
    LOG(WARNING) << "Refusing pod " << executorId << " of framework " << framework.id().value()
                 << ": " << *invalid;
    for (const auto& task : run.task_group().tasks()) {
      if (!task.task_id().value().empty() && !framework.id().value().empty()) {
        reportFromAgent(framework.id(), task.task_id(), v1::TASK_ERROR,
                        v1::TaskStatus::REASON_TASK_INVALID, "Invalid task group: " + *invalid);
      }
    }
    return;
  }
  LOG(INFO) << "Running pod " << executorId << " of framework " << framework.id().value() << " ("
            << run.task_group().tasks_size() << " tasks) in " << podDir;
  for (const auto& task : run.task_group().tasks()) {
    admitTask(framework, task, run.role(), &run.executor());
  }
}

std::optional<std::string> Agent::whyTaskCannotJoinPod(const v1::FrameworkInfo& framework,
                                                       const v1::TaskInfo& task) const {
  internal::AgentEvent::RunTask single;
  *single.mutable_framework() = framework;
  *single.mutable_task() = task;
  if (auto invalid = validateRunTask(single)) return invalid;
  if (auto missing = missingVolume(task)) return missing;
  if (tasks_.count(TaskKey{framework.id().value(), task.task_id().value()}) > 0) {
    return "task '" + task.task_id().value() + "' is already known to this agent";
  }
  if (Status containerizer = checkContainerizer(task); !containerizer.isOk()) {
    return containerizer.message();
  }
  return std::nullopt;
}

Status Agent::writePodGroup(const std::string& podDir, const v1::TaskGroupInfo& group) const {
  std::error_code error;
  std::filesystem::create_directories(podDir + "/shared", error);
  if (error) {
    return Status::io("cannot create the pod directory " + podDir + ": " + error.message());
  }
  std::ofstream out(podDir + "/group.pb", std::ios::binary | std::ios::trunc);
  if (!out || !group.SerializeToOstream(&out)) {
    return Status::io("cannot write " + podDir + "/group.pb");
  }
  return Status::ok();
}

Status Agent::checkContainerizer(const v1::TaskInfo& task) const {
  bool image = !task.container().image().reference().empty();
  const char* needed = image ? "oci" : "posix";
  if (options_.containerizers.count(needed) == 0) {
    return Status::error(StatusCode::kFailedPrecondition,
                         std::string("task ") + (image ? "names an image" : "has no image") +
                             " but this agent has no '" + needed +
                             "' containerizer (--containerizers)");
  }
  return Status::ok();
}

void Agent::launchExecutor(TaskRecord& task) {
  const auto& cp = task.checkpoint;
  ExecutorLaunch launch{
      .executorPath = options_.executorPath,
      .agentEndpoint = executorEndpoint_,
      .frameworkId = cp.framework().id().value(),
      .taskId = cp.task().task_id().value(),
      .sandbox = cp.sandbox(),
      .taskPath = cp.sandbox() + "/task.pb",
      .hostname = options_.hostname,
      .imageStore = imageStorePath(options_.workDir),
      .runcRoot = runcRootPath(options_.workDir),
      .cniDir = options_.cniLeaseDir,
      .insecureRegistries = options_.insecureRegistries,
      .registryCredentials = options_.registryCredentials,
      .imageStoreMaxMb = options_.imageStoreMaxMb,
      .copyRootfs = options_.copyRootfs,
      .allowedHostPaths = options_.allowedHostPaths,
      .podDir = cp.has_executor() ? podPath(options_.workDir, cp.framework().id().value(),
                                            cp.executor().executor_id().value())
                                  : "",
  };
  std::error_code error;
  std::filesystem::create_directories(launch.sandbox, error);
  Status prepared =
      error ? Status::io("cannot create sandbox " + launch.sandbox + ": " + error.message())
            : writeTaskInfo(launch.taskPath, cp.task());
  if (prepared.isOk()) {
    prepared = checkContainerizer(cp.task());
  }
  if (prepared.isOk()) {
    prepared = linkVolumes(cp.task(), launch.sandbox);
  }
  if (prepared.isOk()) {
    prepared = linkPodVolumes(cp.task(), launch.sandbox, launch.podDir);
  }
  TaskKey key = keyOf(cp);
  if (!prepared.isOk()) {
    executorStarted(key, prepared);
    return;
  }
  if (zygote_ &&
      zygote_->requestExecutor(executorArguments(launch),
                               [this, key, launch](const ExecutorZygote::Forked& forked) {
                                 onExecutorForked(key, launch, forked);
                               })) {
    return;  // Its pid comes back on the loop.
  }
  executorStarted(key, spawnExecutor(launch));
}

void Agent::onExecutorForked(const TaskKey& key, const ExecutorLaunch& launch,
                             const ExecutorZygote::Forked& forked) {
  switch (forked.outcome) {
    case ExecutorZygote::Outcome::kForked:
      executorStarted(key, forked.pid, forked.pidfd);
      return;
    case ExecutorZygote::Outcome::kNotStarted: {
      TaskRecord* task = findTask(key);
      if (task != nullptr && task->state != TaskRecord::State::kTerminal) {
        LOG(WARNING) << "Spawning the executor of task " << key.second << ": " << forked.why;
        executorStarted(key, spawnExecutor(launch));
      }
      return;
    }
    case ExecutorZygote::Outcome::kUnknown:
      executorStarted(key, Status::unavailable(forked.why));
      return;
  }
}

void Agent::executorStarted(const TaskKey& key, const StatusOr<pid_t>& pid, int pidfd) {
  TaskRecord* task = findTask(key);
  if (task == nullptr) {
    // Records go only after a terminal update is acknowledged, which needs an executor:
    // not expected between a launch and its pid, so only logged.
    LOG(WARNING) << "Executor " << (pid.isOk() ? std::to_string(*pid) : "-") << " of task "
                 << key.second << " started, but the agent no longer knows the task";
    if (pidfd >= 0) close(pidfd);
    return;
  }
  const auto& cp = task->checkpoint;
  if (!pid.isOk()) {
    if (pidfd >= 0) close(pidfd);
    LOG(WARNING) << "Cannot launch task " << key.second << ": " << pid.status().message();
    metrics_.increment("slave/container_launch_errors");
    reportFromAgent(cp.framework().id(), cp.task().task_id(), v1::TASK_FAILED,
                    v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
                    "Failed to launch the executor: " + pid.status().message());
    return;
  }
  // A forked executor may have subscribed (and its pid been saved) before its pid came back.
  if (cp.executor_pid() != *pid) {
    task->checkpoint.set_executor_pid(*pid);
    Status saved = checkpoint_->saveTask(task->checkpoint);
    if (!saved.isOk()) {
      // Not fatal: recovery waits for the executor to subscribe even without its pid.
      LOG(ERROR) << saved.message();
    }
  }
  LOG(INFO) << "Started executor " << *pid << " for task " << key.second;
  watchExecutor(*task, pidfd);
}

void Agent::onKillTask(const internal::AgentEvent::KillTask& kill) {
  TaskRecord* task = findTask(TaskKey{kill.framework_id().value(), kill.task_id().value()});
  if (task == nullptr) {
    LOG(WARNING) << "Asked to kill unknown task " << kill.task_id().value() << " of framework "
                 << kill.framework_id().value() << "; reporting it lost";
    reportFromAgent(kill.framework_id(), kill.task_id(), v1::TASK_LOST,
                    v1::TaskStatus::REASON_TASK_UNKNOWN, "Task is unknown to the agent");
    return;
  }
  if (task->deferredRun) {
    // The kill is for the run that waits behind this terminal one: kill it once launched.
    task->deferredRun->kill = kill.has_kill_policy() ? kill.kill_policy()
                                                     : task->deferredRun->run.task().kill_policy();
    return;
  }
  v1::KillPolicy policy =
      kill.has_kill_policy() ? kill.kill_policy() : task->checkpoint.task().kill_policy();
  killTask(*task, policy);
  if (task->checkpoint.has_executor()) {
    // Mesos' default executor: killing one task of a pod kills the pod.
    killPod(*task, "Killed with task " + kill.task_id().value() + " of its pod");
  }
}

void Agent::killPod(const TaskRecord& cause, const std::string& message) {
  const std::string& frameworkId = cause.checkpoint.framework().id().value();
  const std::string& executorId = cause.checkpoint.executor().executor_id().value();
  for (auto& [key, task] : tasks_) {
    if (&task != &cause && key.first == frameworkId && task.checkpoint.has_executor() &&
        task.checkpoint.executor().executor_id().value() == executorId) {
      killTask(task, task.checkpoint.task().kill_policy(), message);
    }
  }
}

void Agent::killTask(TaskRecord& task, const v1::KillPolicy& policy, const std::string& message) {
  if (task.state == TaskRecord::State::kTerminal) {
    VLOG(1) << "Task " << task.checkpoint.task().task_id().value() << " already terminated";
    return;
  }
  LOG(INFO) << "Killing task " << task.checkpoint.task().task_id().value();
  // Remembered so the kill is (re)sent when the executor subscribes.
  task.killPolicy = policy;
  task.killMessage = message;
  internal::ExecutorEvent event;
  *event.mutable_kill()->mutable_kill_policy() = policy;
  event.mutable_kill()->set_message(message);
  sendToExecutor(identityOf(keyOf(task.checkpoint)), std::move(event));
}

void Agent::onShutdownFramework(const v1::FrameworkID& frameworkId) {
  LOG(INFO) << "Shutting down framework " << frameworkId.value();
  for (auto& [key, task] : tasks_) {
    if (key.first == frameworkId.value()) {
      task.deferredRun.reset();
      killTask(task, task.checkpoint.task().kill_policy());
    }
  }
}

bool Agent::recordUpdate(const v1::FrameworkID& frameworkId, v1::TaskStatus status) {
  *status.mutable_agent_id() = link_->agentId();
  TaskKey key{frameworkId.value(), status.task_id().value()};
  TaskRecord* task = findTask(key);
  WriteBatch batch;
  internal::TaskCheckpoint updated;
  if (task != nullptr) {
    updated = task->checkpoint;
    updated.set_state(status.state());
    *updated.mutable_latest_status() = status;
    Checkpoint::putTask(batch, updated);
  }
  Status added = updates_->add(frameworkId, status, loop_.now(), std::move(batch));
  if (!added.isOk()) {
    LOG(ERROR) << "Cannot record " << v1::TaskState_Name(status.state()) << " of task "
               << key.second << ": " << added.message();
    return false;
  }
  LOG(INFO) << "Task " << key.second << " of framework " << key.first << " is "
            << v1::TaskState_Name(status.state())
            << (status.message().empty() ? "" : ": " + status.message());
  if (isTerminalState(status.state())) {
    metrics_.increment("slave/tasks_" + [&] {
      std::string name = v1::TaskState_Name(status.state()).substr(5);
      for (char& c : name) {
        c = static_cast<char>(std::tolower(c));
      }
      return name;
    }());
  }
  if (task != nullptr) {
    task->checkpoint = std::move(updated);
    task->statuses.push_back(status);
    task->seenUuids.insert(status.uuid());
    if (isTerminalState(status.state()) && task->state != TaskRecord::State::kTerminal) {
      transitionTo(*task, TaskRecord::State::kTerminal);
      if (task->checkpoint.has_executor() && status.state() != v1::TASK_FINISHED) {
        // One task of a pod failed (or was killed): the pod goes with it.
        killPod(*task, "Killed because task " + key.second + " of its pod is " +
                           v1::TaskState_Name(status.state()));
      }
    }
  }
  return true;
}

void Agent::reportFromAgent(const v1::FrameworkID& frameworkId, const v1::TaskID& taskId,
                            v1::TaskState state, v1::TaskStatus::Reason reason,
                            const std::string& message) {
  v1::TaskStatus status;
  *status.mutable_task_id() = taskId;
  status.set_state(state);
  status.set_source(v1::TaskStatus::SOURCE_AGENT);
  status.set_reason(reason);
  status.set_message(message);
  status.set_timestamp(wallSeconds());
  status.set_uuid(newUuidBytes());
  if (!recordUpdate(frameworkId, std::move(status))) {
    // The checkpoint is failing; retry so the update is not lost while the agent lives.
    loop_.runAfter(std::chrono::seconds(1), [this, frameworkId, taskId, state, reason, message] {
      reportFromAgent(frameworkId, taskId, state, reason, message);
    });
  }
}

}  // namespace agora::slave
