// Agent side of the executor protocol (proto/agora/internal/executor.proto): subscriptions,
// status updates (checkpointed before they are acknowledged), heartbeats, executor exits
// and the re-subscription deadline after an agent restart.
#include <glog/logging.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/base/ids.hpp"
#include "slave/agent.hpp"
#include "slave/executor_launcher.hpp"
#include "common/base/task_states.hpp"

namespace agora::slave {

namespace {

// Why an executor message is malformed, or nullopt. The identity must name the task the
// message is about ("<framework id>/<task id>").
std::optional<std::string> validateExecutorCall(const std::string& identity,
                                                const internal::ExecutorCall& call) {
  if (call.call_case() == internal::ExecutorCall::CALL_NOT_SET) {
    return "ExecutorCall without payload";
  }
  if (identity != call.framework_id().value() + "/" + call.task_id().value()) {
    return "identity does not match framework '" + call.framework_id().value() + "' task '" +
           call.task_id().value() + "'";
  }
  if (call.has_update()) {
    const auto& status = call.update().status();
    if (status.uuid().empty()) {
      return "update without uuid";
    }
    if (status.task_id().value() != call.task_id().value()) {
      return "update for another task '" + status.task_id().value() + "'";
    }
  }
  return std::nullopt;
}

}  // namespace

Status Agent::bindExecutorSocket() {
  executors_ = std::make_unique<RouterSocket>(context_);
  std::string path = executorEndpoint_.substr(std::string("ipc://").size());
  // A socket file left by a killed agent would make the bind fail or leave it unreachable.
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  auto bound = executors_->bind(executorEndpoint_);
  if (!bound.isOk()) {
    return bound.status().withContext("cannot bind the executor socket");
  }
  LOG(INFO) << "Executors connect to " << executorEndpoint_;
  loop_.watchSocket(executors_->socket(), [this] { onExecutorReadable(); });
  return Status::ok();
}

void Agent::onExecutorReadable() {
  while (true) {
    auto received = executors_->receive();
    if (!received) {
      return;
    }
    if (!received->isOk()) {
      LOG(WARNING) << "Dropping a malformed message on the executor socket: "
                   << received->status().message();
      metrics_.increment("slave/invalid_messages");
      continue;
    }
    const RoutedEnvelope& routed = **received;
    if (!routed.envelope.has_executor_call()) {
      LOG(WARNING) << "Dropping a message from executor '" << routed.identity
                   << "': not an ExecutorCall";
      metrics_.increment("slave/invalid_messages");
      continue;
    }
    onExecutorCall(routed.identity, routed.envelope.executor_call());
  }
}

void Agent::onExecutorCall(const std::string& identity, const internal::ExecutorCall& call) {
  if (auto invalid = validateExecutorCall(identity, call)) {
    LOG(WARNING) << "Dropping a message from executor '" << identity << "': " << *invalid;
    metrics_.increment("slave/invalid_messages");
    return;
  }
  TaskKey key{call.framework_id().value(), call.task_id().value()};
  TaskRecord* task = findTask(key);
  if (task == nullptr) {
    onUnknownTasksExecutor(identity, key, call);
    return;
  }
  switch (call.call_case()) {
    case internal::ExecutorCall::kSubscribe:
      onExecutorSubscribe(identity, *task, call.subscribe());
      return;
    case internal::ExecutorCall::kUpdate:
      onExecutorUpdate(identity, *task, call.update().status());
      return;
    case internal::ExecutorCall::kHeartbeat: {
      // Not answered before the executor (re)subscribes to this agent: an executor that
      // hears nothing for a while subscribes again, and a restarted agent needs that.
      // (Answering made an agent that restarted within the executor's silence window wait
      // for a subscription forever.)
      if (task->state == TaskRecord::State::kRecovering) {
        return;
      }
      internal::ExecutorEvent event;
      event.mutable_heartbeat();
      sendToExecutor(identity, std::move(event));
      return;
    }
    default:
      return;  // Rejected by validation.
  }
}

void Agent::onUnknownTasksExecutor(const std::string& identity, const TaskKey& key,
                                   const internal::ExecutorCall& call) {
  bool completed = std::any_of(completed_.begin(), completed_.end(),
                               [&](const auto& done) { return keyOf(done.checkpoint) == key; });
  if (call.has_update()) {
    // A completed task's acknowledgement was lost, or an unknown one reports its end after
    // the kill below: either way nothing is forwarded, and the executor may finish.
    acknowledgeExecutor(identity, call.update().status());
    return;
  }
  if (!call.has_subscribe() || completed) {
    return;
  }
  // An executor of a task this agent has no record of (its launch was lost with an agent
  // crash, or the work directory was wiped): nobody will ever hear of its task, so it is
  // told to end it rather than run unseen until its --agent_timeout.
  LOG(WARNING) << "Executor " << call.subscribe().executor_pid() << " runs task " << key.second
               << " of framework " << key.first << ", which this agent does not know; killing it";
  metrics_.increment("slave/unknown_executors_killed");
  internal::ExecutorEvent event;
  event.mutable_kill()->set_message("Killed: the agent has no record of task " + key.second);
  sendToExecutor(identity, std::move(event));
}

void Agent::onExecutorSubscribe(const std::string& identity, TaskRecord& task,
                                const internal::ExecutorCall::Subscribe& subscribe) {
  LOG(INFO) << "Executor " << subscribe.executor_pid() << " of task "
            << task.checkpoint.task().task_id().value() << " subscribed";
  if (subscribe.executor_pid() > 0 && subscribe.executor_pid() != task.checkpoint.executor_pid()) {
    unwatchExecutor(task);
    task.checkpoint.set_executor_pid(subscribe.executor_pid());
    Status saved = checkpoint_->saveTask(task.checkpoint);
    if (!saved.isOk()) {
      LOG(ERROR) << saved.message();
    }
  }
  if (task.state == TaskRecord::State::kLaunching || task.state == TaskRecord::State::kRecovering) {
    transitionTo(task, TaskRecord::State::kRunning);
  }
  watchExecutor(task);
  internal::ExecutorEvent subscribed;
  subscribed.mutable_subscribed();
  sendToExecutor(identity, std::move(subscribed));
  for (const auto& status : subscribe.unacknowledged_updates()) {
    if (status.uuid().empty() ||
        status.task_id().value() != task.checkpoint.task().task_id().value()) {
      LOG(WARNING) << "Dropping an invalid unacknowledged update from executor '" << identity
                   << "'";
      metrics_.increment("slave/invalid_messages");
      continue;
    }
    onExecutorUpdate(identity, task, status);
  }
  if (task.killPolicy && task.state != TaskRecord::State::kTerminal) {
    killTask(task, *task.killPolicy, task.killMessage);
  }
}

void Agent::onExecutorUpdate(const std::string& identity, TaskRecord& task,
                             const v1::TaskStatus& status) {
  const auto& key = keyOf(task.checkpoint);
  if (task.seenUuids.count(status.uuid()) > 0 ||
      updates_->contains(key.first, key.second, status.uuid())) {
    acknowledgeExecutor(identity, status);  // A retry: already checkpointed.
    return;
  }
  if (task.state == TaskRecord::State::kTerminal) {
    // After a terminal state nothing may follow (a stale retry after an agent restart).
    LOG(WARNING) << "Ignoring " << v1::TaskState_Name(status.state()) << " of task " << key.second
                 << ": the task already is " << v1::TaskState_Name(task.checkpoint.state());
    acknowledgeExecutor(identity, status);
    return;
  }
  // Checkpoint first: the acknowledgement lets the executor forget the update.
  if (recordUpdate(task.checkpoint.framework().id(), status)) {
    acknowledgeExecutor(identity, status);
  }
}

void Agent::acknowledgeExecutor(const std::string& identity, const v1::TaskStatus& status) {
  internal::ExecutorEvent event;
  *event.mutable_acknowledged()->mutable_task_id() = status.task_id();
  event.mutable_acknowledged()->set_uuid(status.uuid());
  sendToExecutor(identity, std::move(event));
}

void Agent::sendToExecutor(const std::string& identity, internal::ExecutorEvent event) {
  v1::Envelope envelope;
  *envelope.mutable_executor_event() = std::move(event);
  if (!executors_->send(identity, envelope)) {
    VLOG(1) << "Executor '" << identity << "' is not connected";
  }
}

void Agent::watchExecutor(TaskRecord& task, int pidfd) {
  pid_t pid = task.checkpoint.executor_pid();
  if (task.pidfd >= 0 || pid <= 0) {
    if (pidfd >= 0) close(pidfd);
    return;
  }
  int fd = pidfd >= 0 ? pidfd : static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    VLOG(1) << "pidfd_open(" << pid << ") failed: " << std::strerror(errno);
    return;  // Already gone: the re-subscription deadline or the exit path handles it.
  }
  task.pidfd = fd;
  TaskKey key = keyOf(task.checkpoint);
  loop_.watchFd(fd, [this, key] { onExecutorExited(key); });
}

void Agent::unwatchExecutor(TaskRecord& task) {
  if (task.pidfd < 0) {
    return;
  }
  loop_.unwatchFd(task.pidfd);
  close(task.pidfd);
  task.pidfd = -1;
}

void Agent::onExecutorExited(const TaskKey& key) {
  TaskRecord* task = findTask(key);
  if (task == nullptr) {
    return;
  }
  pid_t pid = task->checkpoint.executor_pid();
  unwatchExecutor(*task);
  int status = 0;
  // Reaps our own children; executors adopted from a previous agent run are not ours.
  waitpid(pid, &status, WNOHANG);
  if (task->state == TaskRecord::State::kTerminal ||
      task->state == TaskRecord::State::kRecovering) {
    VLOG(1) << "Executor " << pid << " of task " << key.second << " exited";
    return;  // Normal end, or left to the re-subscription deadline.
  }
  LOG(WARNING) << "Executor " << pid << " of task " << key.second
               << " exited before reporting a terminal state";
  destroyOrphanedContainer(*task);
  reportFromAgent(task->checkpoint.framework().id(), task->checkpoint.task().task_id(),
                  v1::TASK_FAILED, v1::TaskStatus::REASON_EXECUTOR_TERMINATED,
                  "Executor (pid " + std::to_string(pid) + ") terminated unexpectedly");
}

void Agent::onReregisterTimeout() {
  reregisterTimer_ = 0;
  bool waiting = false;
  for (auto& [key, task] : tasks_) {
    if (task.state != TaskRecord::State::kRecovering) {
      continue;
    }
    if (executorAlive(task.checkpoint.executor_pid(), key.second)) {
      LOG(WARNING) << "Executor " << task.checkpoint.executor_pid() << " of task " << key.second
                   << " is alive but has not subscribed yet; waiting";
      waiting = true;
      continue;
    }
    LOG(WARNING) << "Executor of task " << key.second << " did not reregister within "
                 << options_.executorReregisterTimeout.count() << "s";
    unwatchExecutor(task);
    destroyOrphanedContainer(task);
    reportFromAgent(task.checkpoint.framework().id(), task.checkpoint.task().task_id(),
                    v1::TASK_FAILED, v1::TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT,
                    "Executor was lost while the agent was down (it did not reregister within " +
                        std::to_string(options_.executorReregisterTimeout.count()) + "s)");
  }
  if (waiting) {
    reregisterTimer_ =
        loop_.runAfter(options_.executorReregisterTimeout, [this] { onReregisterTimeout(); });
  }
}

}  // namespace agora::slave
