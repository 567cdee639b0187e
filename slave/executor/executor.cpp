#include "slave/executor/executor.hpp"

#include <glog/logging.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/base/ids.hpp"
#include "common/base/task_states.hpp"
#include "slave/executor/command_launcher.hpp"
#include "slave/executor/fetcher.hpp"
#include "slave/executor/task_environment.hpp"

namespace agora::slave {

namespace {
constexpr double kDefaultGracePeriodSeconds = 3.0;
}  // namespace

Executor::Executor(EventLoop& loop, zmq::context_t& context, ExecutorOptions options)
    : loop_(loop),
      options_(std::move(options)),
      socket_(context, options_.frameworkId + "/" + options_.taskId) {}

Executor::~Executor() {
  cancelFetch_ = true;
  if (preparer_.joinable()) {
    preparer_.join();
  }
  loop_.unwatchSocket(socket_.socket());
  if (pidfd_ >= 0) {
    loop_.unwatchFd(pidfd_);
    close(pidfd_);
  }
}

StatusOr<std::unique_ptr<Executor>> Executor::create(EventLoop& loop, zmq::context_t& context,
                                                     ExecutorOptions options) {
  std::unique_ptr<Executor> executor(new Executor(loop, context, std::move(options)));
  std::ifstream in(executor->options_.taskPath, std::ios::binary);
  if (!in || !executor->task_.ParseFromIstream(&in)) {
    return Status::io("cannot read the TaskInfo from " + executor->options_.taskPath);
  }
  if (executor->task_.task_id().value() != executor->options_.taskId) {
    return Status::invalid(executor->options_.taskPath + " describes task '" +
                           executor->task_.task_id().value() + "', not '" +
                           executor->options_.taskId + "'");
  }
  return executor;
}

const char* Executor::stateName(State state) {
  switch (state) {
    case State::kStarting:
      return "STARTING";
    case State::kRunning:
      return "RUNNING";
    case State::kKilling:
      return "KILLING";
    case State::kExited:
      return "EXITED";
    case State::kDone:
      return "DONE";
  }
  return "?";
}

void Executor::transitionTo(State next) {
  if (next == state_) {
    return;
  }
  LOG(INFO) << "Executor " << stateName(state_) << " -> " << stateName(next);
  state_ = next;
}

void Executor::start() {
  Status connected = socket_.connect(options_.agentEndpoint);
  if (!connected.isOk()) {
    // Not fatal: the agent timeout ends an executor that never reaches an agent.
    LOG(ERROR) << connected.message();
  }
  loop_.watchSocket(socket_.socket(), [this] { onReadable(); });
  lastHeard_ = loop_.now();
  subscribe();
  tickTimer_ = loop_.runEvery(options_.heartbeatInterval, [this] { onTick(); });
  launch();
}

void Executor::launch() {
  report(v1::TASK_STARTING, v1::TaskStatus::REASON_UNKNOWN, "");
  if (task_.command().uris_size() > 0) {
    startFetching();
    return;
  }
  startTask();
}

void Executor::startFetching() {
  LOG(INFO) << "Fetching " << task_.command().uris_size() << " URI(s) into " << options_.sandbox;
  FetcherOptions fetcher;
  fetcher.sandbox = options_.sandbox;
  fetcher.cancel = &cancelFetch_;
  fetcher.progress = [](const std::string& line) { LOG(INFO) << line; };
  preparer_ = std::thread([this, fetcher = std::move(fetcher)] {
    Status fetched = fetchUris(task_.command().uris(), fetcher);
    loop_.post([this, fetched] { onFetched(fetched); });
  });
}

void Executor::onFetched(const Status& fetched) {
  preparer_.join();
  if (killRequested_) {
    transitionTo(State::kExited);
    report(v1::TASK_KILLED, v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
           killMessage_.empty() ? "Task killed while its URIs were being fetched"
                                : killMessage_ + " (while its URIs were being fetched)");
    return;
  }
  if (!fetched.isOk()) {
    LOG(WARNING) << fetched.message();
    transitionTo(State::kExited);
    // Mesos reports a failed fetch as a failed container launch.
    report(v1::TASK_FAILED, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, fetched.message());
    return;
  }
  startTask();
}

void Executor::startTask() {
  if (!task_.container().image().reference().empty()) {
    launchContainer();
    return;
  }
  auto launched = launchCommand(task_.command(), options_.sandbox, commandEnvironment());
  if (!launched.isOk()) {
    LOG(WARNING) << "Cannot launch the command: " << launched.status().message();
    transitionTo(State::kExited);
    report(v1::TASK_FAILED,
           launched.status().code() == StatusCode::kNotFound
               ? v1::TaskStatus::REASON_COMMAND_NOT_FOUND
               : v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
           launched.status().message());
    return;
  }
  LOG(INFO) << "Started the command of task " << options_.taskId << " as pid " << launched->pid;
  watchChild(launched->pid, launched->pidfd);
}

std::map<std::string, std::string> Executor::commandEnvironment() const {
  return taskEnvironment(TaskEnvironmentInput{
      .inherited = options_.inheritedEnvironment,
      .task = task_,
      .frameworkId = options_.frameworkId,
      .sandbox = options_.sandbox,
      .hostname = options_.hostname,
  });
}

void Executor::watchChild(pid_t pid, int pidfd) {
  child_ = pid;
  pidfd_ = pidfd;
  loop_.watchFd(pidfd_, [this] { onChildExited(); });
  transitionTo(State::kRunning);
  report(v1::TASK_RUNNING, v1::TaskStatus::REASON_UNKNOWN, "");
  startHealthChecks();
}

void Executor::startHealthChecks() {
  if (!task_.has_health_check()) {
    return;
  }
  HealthCheckerOptions checker{
      .check = task_.health_check(),
      .sandbox = options_.sandbox,
      .environment = commandEnvironment(),
  };
  if (container_) {
    // On a BRIDGE network the task listens on its own address, not the host's loopback.
    if (!container_->address().empty()) checker.host = container_->address();
    checker.wrapCommand = [this](const v1::CommandInfo& command) {
      return container_->execCommand(command);
    };
  }
  healthChecker_ = std::make_unique<HealthChecker>(
      loop_, std::move(checker),
      [this](bool healthy, const std::string& message) { onHealthChanged(healthy, message); },
      [this](const std::string& lastFailure) { onUnhealthy(lastFailure); });
  healthChecker_->start();
}

void Executor::onHealthChanged(bool healthy, const std::string& message) {
  if (state_ != State::kRunning) {
    return;
  }
  report(v1::TASK_RUNNING, v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, message,
         std::nullopt, healthy);
}

void Executor::onUnhealthy(const std::string& lastFailure) {
  LOG(WARNING) << "Killing task " << options_.taskId << ": its health check failed "
               << healthChecker_->consecutiveFailures() << " consecutive times";
  killedUnhealthy_ = true;
  onKill(v1::KillPolicy(), "Task killed because its health check failed " +
                               std::to_string(healthChecker_->consecutiveFailures()) +
                               " consecutive times (last: " + lastFailure + ")");
}

void Executor::launchContainer() {
  // Before `runc create`: the container's init must be re-parented to us when runc exits.
  if (Status s = oci::becomeSubreaper(); !s.isOk()) {
    transitionTo(State::kExited);
    report(v1::TASK_FAILED, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, s.message());
    return;
  }
  container_ = std::make_unique<ContainerRunner>(
      ContainerRunnerOptions{.imageStore = options_.imageStore,
                             .runcRoot = options_.runcRoot,
                             .cniDir = options_.cniDir,
                             .imageStoreMaxMb = options_.imageStoreMaxMb,
                             .allowedHostPaths = options_.allowedHostPaths,
                             .insecureRegistries = options_.insecureRegistries,
                             .registryCredentials = options_.registryCredentials,
                             .sandbox = options_.sandbox,
                             .frameworkId = options_.frameworkId,
                             .hostname = options_.hostname,
                             .podDir = options_.podDir,
                             .copyRootfs = options_.copyRootfs},
      task_);
  LOG(INFO) << "Preparing container " << container_->containerId() << " for image "
            << task_.container().image().reference();
  preparer_ = std::thread([this] {
    Status prepared = container_->prepare([](const std::string& line) { LOG(INFO) << line; });
    loop_.post([this, prepared] { onContainerPrepared(prepared); });
  });
}

void Executor::onContainerPrepared(const Status& prepared) {
  preparer_.join();
  if (killRequested_) {
    container_->cleanUp();
    transitionTo(State::kExited);
    report(v1::TASK_KILLED, v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
           killMessage_.empty() ? "Task killed while its container was being prepared"
                                : killMessage_ + " (while its container was being prepared)");
    return;
  }
  StatusOr<pid_t> pid = prepared.isOk() ? container_->start() : StatusOr<pid_t>(prepared);
  int pidfd = pid.isOk() ? static_cast<int>(syscall(SYS_pidfd_open, *pid, 0)) : -1;
  if (!pid.isOk() || pidfd < 0) {
    std::string why = pid.isOk() ? "cannot watch the container's init" : pid.status().message();
    LOG(WARNING) << "Cannot start the container: " << why;
    if (pid.isOk()) container_->kill(SIGKILL).ignoreError();
    container_->cleanUp();
    transitionTo(State::kExited);
    report(v1::TASK_FAILED, v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
           "Cannot start the container: " + why);
    return;
  }
  LOG(INFO) << "Started container " << container_->containerId() << " of task "
            << options_.taskId << "; its init is pid " << *pid;
  watchChild(*pid, pidfd);
}

void Executor::signalTask(int signal) {
  if (container_) {
    // The init is pid 1 of its namespace: it ignores SIGTERM unless it handles it, so the
    // grace period's SIGKILL also goes straight to it (we are its parent).
    container_->kill(signal).ignoreError();
    if (signal == SIGKILL && child_ > 0) ::kill(child_, SIGKILL);
    return;
  }
  ::kill(-child_, signal);
}

void Executor::onChildExited() {
  siginfo_t info{};
  if (waitid(P_PID, child_, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != child_) {
    return;  // Not exited yet (spurious wakeup).
  }
  // The whole process group goes with the command. The unreaped zombie keeps the pgid
  // from being reused until `waitpid` below. (A container's processes go with its init.)
  if (!container_) {
    kill(-child_, SIGKILL);
  }
  int status = 0;
  waitpid(child_, &status, 0);
  loop_.unwatchFd(pidfd_);
  close(pidfd_);
  pidfd_ = -1;
  loop_.cancel(graceTimer_);
  if (healthChecker_) {
    healthChecker_->stop();  // Not reset(): that would wait for a probe in flight.
  }
  ExitDescription exit = describeWaitStatus(status);
  // Mesos' executors mark the terminal update of a task killed for its health unhealthy.
  std::optional<bool> healthy = killedUnhealthy_ ? std::optional<bool>(false) : std::nullopt;
  LOG(INFO) << "Task " << options_.taskId << ": " << exit.message;
  transitionTo(State::kExited);
  if (container_) {
    bool oom = container_->oomKilled();
    container_->cleanUp(ContainerRunner::InitState::kReaped);
    if (oom && !killRequested_) {
      char limit[32];
      std::snprintf(limit, sizeof(limit), "%g", container_->memoryLimitMb());
      report(v1::TASK_FAILED, v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY,
             std::string("Memory limit exceeded: the container used more than its ") + limit +
                 " MB and was OOM-killed (" + exit.message + ")",
             exit.exitCode);
      return;
    }
  }
  if (killRequested_) {
    report(v1::TASK_KILLED, v1::TaskStatus::REASON_UNKNOWN,
           (killMessage_.empty() ? "Task killed" : killMessage_) + ": " + exit.message,
           exit.exitCode, healthy);
  } else if (exit.success) {
    report(v1::TASK_FINISHED, v1::TaskStatus::REASON_UNKNOWN, exit.message, exit.exitCode);
  } else {
    report(v1::TASK_FAILED, v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED, exit.message,
           exit.exitCode);
  }
}

void Executor::onReadable() {
  while (true) {
    auto received = socket_.receive();
    if (!received) {
      return;
    }
    if (!received->isOk() || !(*received)->has_executor_event()) {
      LOG(WARNING) << "Dropping a malformed message from the agent: "
                   << (received->isOk() ? "not an ExecutorEvent" : received->status().message());
      continue;
    }
    lastHeard_ = loop_.now();
    onEvent((*received)->executor_event());
    if (state_ == State::kDone) {
      return;
    }
  }
}

void Executor::onEvent(const internal::ExecutorEvent& event) {
  switch (event.event_case()) {
    case internal::ExecutorEvent::kSubscribed:
      LOG(INFO) << "Subscribed to the agent";
      return;
    case internal::ExecutorEvent::kAcknowledged:
      onAcknowledged(event.acknowledged().uuid());
      return;
    case internal::ExecutorEvent::kKill:
      onKill(event.kill().kill_policy(), event.kill().message());
      return;
    case internal::ExecutorEvent::kHeartbeat:
      return;
    default:
      LOG(WARNING) << "Dropping an ExecutorEvent without payload from the agent";
      return;
  }
}

void Executor::onAcknowledged(const std::string& uuid) {
  auto it = std::find_if(unacknowledged_.begin(), unacknowledged_.end(),
                         [&uuid](const Pending& p) { return p.status.uuid() == uuid; });
  if (it == unacknowledged_.end()) {
    return;  // A duplicate acknowledgement.
  }
  VLOG(1) << "Agent acknowledged " << v1::TaskState_Name(it->status.state());
  bool terminal = isTerminalState(it->status.state());
  unacknowledged_.erase(it);
  if (terminal && unacknowledged_.empty()) {
    LOG(INFO) << "The terminal update was acknowledged; exiting";
    finish(0);
  }
}

void Executor::onKill(const v1::KillPolicy& policy, const std::string& why) {
  if (!why.empty() && killMessage_.empty()) killMessage_ = why;
  // Fetching or preparing a container (on `preparer_`): the kill is reported once that
  // ends. A download is cut short; a container's preparation cannot be.
  if (state_ == State::kStarting && preparer_.joinable() && !killRequested_) {
    killRequested_ = true;
    cancelFetch_ = true;
    report(v1::TASK_KILLING, v1::TaskStatus::REASON_UNKNOWN, "Killing the task");
    return;
  }
  if (state_ != State::kRunning || child_ <= 0) {
    LOG(INFO) << "Ignoring a kill request in state " << stateName(state_);
    return;
  }
  killRequested_ = true;
  if (healthChecker_) {
    healthChecker_->stop();
  }
  double grace = policy.has_grace_period_seconds() ? policy.grace_period_seconds()
                 : task_.kill_policy().has_grace_period_seconds()
                     ? task_.kill_policy().grace_period_seconds()
                     : kDefaultGracePeriodSeconds;
  grace = std::max(grace, 0.0);
  LOG(INFO) << "Killing task " << options_.taskId << " (SIGTERM, SIGKILL after " << grace << "s)";
  transitionTo(State::kKilling);
  report(v1::TASK_KILLING, v1::TaskStatus::REASON_UNKNOWN,
         killedUnhealthy_ ? killMessage_ : "Killing the task", std::nullopt,
         killedUnhealthy_ ? std::optional<bool>(false) : std::nullopt);
  signalTask(SIGTERM);
  graceTimer_ = loop_.runAfter(std::chrono::duration<double>(grace), [this] {
    if (pidfd_ >= 0) {
      LOG(INFO) << "Grace period over; sending SIGKILL";
      signalTask(SIGKILL);
    }
  });
}

void Executor::onTick() {
  auto now = loop_.now();
  if (now - lastHeard_ > options_.agentTimeout) {
    LOG(ERROR) << "No word from the agent for " << options_.agentTimeout.count()
               << "s; killing the task and exiting";
    if (pidfd_ >= 0) {
      signalTask(SIGKILL);
    }
    finish(1);
    return;
  }
  if (now - lastHeard_ >= options_.resubscribeAfter &&
      now - lastSubscribe_ >= options_.resubscribeAfter) {
    LOG(INFO) << "No word from the agent for "
              << std::chrono::duration<double>(now - lastHeard_).count() << "s; subscribing again";
    subscribe();
  }
  internal::ExecutorCall heartbeat;
  heartbeat.mutable_heartbeat();
  send(std::move(heartbeat));
  for (auto& pending : unacknowledged_) {
    if (now - pending.lastSent >= options_.retryInterval) {
      pending.lastSent = now;
      internal::ExecutorCall call;
      *call.mutable_update()->mutable_status() = pending.status;
      send(std::move(call));
    }
  }
}

void Executor::report(v1::TaskState state, v1::TaskStatus::Reason reason,
                      const std::string& message, std::optional<int> exitCode,
                      std::optional<bool> healthy) {
  v1::TaskStatus status;
  *status.mutable_task_id() = task_.task_id();
  status.set_state(state);
  status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status.set_reason(reason);
  status.set_message(message);
  status.set_timestamp(wallSeconds());
  status.set_uuid(newUuidBytes());
  if (exitCode) {
    status.set_exit_code(*exitCode);
  }
  if (healthy) {
    status.set_healthy(*healthy);
  }
  unacknowledged_.push_back(Pending{status, loop_.now()});
  internal::ExecutorCall call;
  *call.mutable_update()->mutable_status() = std::move(status);
  send(std::move(call));
}

void Executor::subscribe() {
  lastSubscribe_ = loop_.now();
  internal::ExecutorCall call;
  auto* subscribe = call.mutable_subscribe();
  subscribe->mutable_framework_id()->set_value(options_.frameworkId);
  *subscribe->mutable_task_id() = task_.task_id();
  subscribe->set_executor_pid(static_cast<int32_t>(getpid()));
  for (const auto& pending : unacknowledged_) {
    *subscribe->add_unacknowledged_updates() = pending.status;
  }
  send(std::move(call));
}

void Executor::send(internal::ExecutorCall call) {
  call.mutable_framework_id()->set_value(options_.frameworkId);
  *call.mutable_task_id() = task_.task_id();
  v1::Envelope envelope;
  *envelope.mutable_executor_call() = std::move(call);
  if (!socket_.send(envelope)) {
    VLOG(1) << "Cannot send to the agent now";
  }
}

void Executor::finish(int exitCode) {
  exitCode_ = exitCode;
  transitionTo(State::kDone);
  loop_.cancel(tickTimer_);
  loop_.stop();
}

}  // namespace agora::slave
