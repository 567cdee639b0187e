#include "slave/agent.hpp"

#include <glog/logging.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "common/base/ids.hpp"
#include "common/resources/domain.hpp"
#include "slave/resource_probe.hpp"
#include "common/base/task_states.hpp"

namespace agora::slave {

namespace {
constexpr size_t kMaxCompletedTasks = 1000;
constexpr std::chrono::milliseconds kTickInterval{250};

}  // namespace

Agent::Agent(EventLoop& loop, zmq::context_t& context, AgentOptions options, Metrics& metrics)
    : loop_(loop),
      context_(context),
      options_(std::move(options)),
      metrics_(metrics),
      executorEndpoint_(executorEndpoint(options_.workDir)) {}

Agent::~Agent() {
  for (auto& [key, task] : tasks_) {
    unwatchExecutor(task);
  }
  if (executors_) {
    loop_.unwatchSocket(executors_->socket());
  }
}

StatusOr<std::unique_ptr<Agent>> Agent::create(EventLoop& loop, zmq::context_t& context,
                                               AgentOptions options, Metrics& metrics) {
  std::unique_ptr<Agent> agent(new Agent(loop, context, std::move(options), metrics));
  AGORA_RETURN_IF_ERROR(agent->initialize());
  return agent;
}

Status Agent::initialize() {
  std::error_code error;
  std::filesystem::create_directories(sandboxesRoot(options_.workDir), error);
  if (error) {
    return Status::io("cannot create " + sandboxesRoot(options_.workDir) + ": " + error.message());
  }
  auto resources = agentResources(options_.resources, options_.workDir);
  if (!resources.isOk()) {
    return resources.status();
  }
  resources_ = *resources;
  auto attributes = parseAttributes(options_.attributes);
  if (!attributes.isOk()) {
    return attributes.status().withContext("invalid --attributes");
  }
  info_.set_hostname(options_.hostname);
  info_.set_port(options_.port);
  if (options_.ip != "0.0.0.0") {
    info_.set_ip(options_.ip);  // Matched against maintenance machine ids.
  }
  resources_.toProto(info_.mutable_resources());
  auto domain = parseDomain(options_.domain);
  if (!domain.isOk()) {
    return domain.status().withContext("invalid --domain");
  }
  if (domain->has_fault_domain()) {
    *info_.mutable_domain() = *domain;
  }
  for (auto& attribute : *attributes) {
    *info_.add_attributes() = std::move(attribute);
  }

  auto store = openRocksDbStore(options_.workDir + "/checkpoint");
  if (!store.isOk()) {
    return store.status().withContext("cannot open the agent checkpoint");
  }
  store_ = std::move(store).value();
  checkpoint_ = std::make_unique<Checkpoint>(*store_);
  auto updates = StatusUpdateManager::create(
      *store_, [this](const v1::FrameworkID& frameworkId, const v1::TaskStatus& status) {
        sendToMaster(frameworkId, status);
      });
  if (!updates.isOk()) {
    return updates.status();
  }
  updates_ = std::move(updates).value();

  link_ = std::make_unique<MasterLink>(
      loop_, context_, options_.master, metrics_,
      MasterLink::Handlers{
          .registration = [this] { return registrationCall(); },
          .onRegistered = [this](const v1::AgentID& id,
                                 bool reregistered) { return onRegistered(id, reregistered); },
          .onDisconnected = [this] { onMasterDisconnected(); },
          .onRefused = [this](const std::string&) { onRefused(); },
          // Executors were shut down by the master's ShutdownFramework messages; the agent
          // stops (a restart with the same work dir would be refused again).
          .onGone = [this](const std::string&) { loop_.stop(); },
          .onEvent = [this](const internal::AgentEvent& event) { onMasterEvent(event); },
          .fillHeartbeat =
              [this](internal::AgentCall::Heartbeat* heartbeat) {
                *heartbeat->mutable_usage() = containerUsage();
              },
      });
  AGORA_RETURN_IF_ERROR(recover());
  return bindExecutorSocket();
}

Status Agent::recover() {
  auto agent = checkpoint_->loadAgent();
  if (!agent.isOk()) {
    return agent.status();
  }
  if (agent->has_value()) {
    link_->setAgentId((*agent)->info().id());
    LOG(INFO) << "Recovered agent id " << (*agent)->info().id().value();
  }
  AGORA_RETURN_IF_ERROR(recoverVolumes());
  auto tasks = checkpoint_->loadTasks();
  if (!tasks.isOk()) {
    return tasks.status();
  }
  std::vector<TaskKey> done;
  for (auto& checkpoint : *tasks) {
    TaskKey key = keyOf(checkpoint);
    frameworks_[key.first] = checkpoint.framework();
    TaskRecord& task = tasks_[key];
    task.checkpoint = std::move(checkpoint);
    if (task.checkpoint.has_latest_status()) {
      task.statuses.push_back(task.checkpoint.latest_status());
    }
    task.state = isTerminalState(task.checkpoint.state()) ? TaskRecord::State::kTerminal
                                                     : TaskRecord::State::kRecovering;
    LOG(INFO) << "Recovered task " << key.second << " of framework " << key.first << " in "
              << v1::TaskState_Name(task.checkpoint.state()) << " (" << stateName(task.state)
              << ")";
    if (task.state == TaskRecord::State::kTerminal &&
        updates_->pending(key.first, key.second).empty()) {
      done.push_back(key);  // Its terminal update was acknowledged just before a crash.
    }
  }
  for (const TaskKey& key : done) {
    completeTask(key);
  }
  return Status::ok();
}

void Agent::start() {
  for (auto& [key, task] : tasks_) {
    if (task.state == TaskRecord::State::kRecovering) {
      watchExecutor(task);
    }
  }
  reregisterTimer_ =
      loop_.runAfter(options_.executorReregisterTimeout, [this] { onReregisterTimeout(); });
  tickTimer_ = loop_.runEvery(kTickInterval, [this] {
    updates_->tick(loop_.now());
    updateGauges();
    // Executors that exit after their task completed here are no longer watched; reap
    // them so they do not linger as zombies.
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  });
  if (options_.executorZygote) {
    zygote_ = std::make_unique<ExecutorZygote>(
        loop_,
        ExecutorZygoteOptions{.executorPath = options_.executorPath, .workDir = options_.workDir});
    zygote_->start();
  }
  link_->start();
}

const char* Agent::stateName(TaskRecord::State state) {
  switch (state) {
    case TaskRecord::State::kLaunching:
      return "LAUNCHING";
    case TaskRecord::State::kRecovering:
      return "RECOVERING";
    case TaskRecord::State::kRunning:
      return "RUNNING";
    case TaskRecord::State::kTerminal:
      return "TERMINAL";
  }
  return "?";
}

void Agent::transitionTo(TaskRecord& task, TaskRecord::State next) {
  if (task.state == next) {
    return;
  }
  // A terminal record never goes back: later executor messages are only acknowledged.
  CHECK(task.state != TaskRecord::State::kTerminal)
      << "task " << task.checkpoint.task().task_id().value() << " left TERMINAL";
  LOG(INFO) << "Task " << task.checkpoint.task().task_id().value() << " " << stateName(task.state)
            << " -> " << stateName(next);
  task.state = next;
}

Agent::TaskRecord* Agent::findTask(const TaskKey& key) {
  auto it = tasks_.find(key);
  return it == tasks_.end() ? nullptr : &it->second;
}

Agent::TaskKey Agent::keyOf(const internal::TaskCheckpoint& task) {
  return TaskKey{task.framework().id().value(), task.task().task_id().value()};
}

internal::AgentCall Agent::registrationCall() const {
  internal::AgentCall call;
  v1::AgentInfo info = info_;
  if (link_->agentId().value().empty()) {
    *call.mutable_register_()->mutable_info() = info;
    return call;
  }
  *info.mutable_id() = link_->agentId();
  *call.mutable_agent_id() = link_->agentId();
  auto* reregister = call.mutable_reregister();
  *reregister->mutable_info() = info;
  std::set<std::string> frameworks;
  // Every task the agent still holds, terminal ones included while their terminal update
  // is unacknowledged, so the master can match the updates that follow.
  for (const auto& [key, record] : tasks_) {
    const auto& cp = record.checkpoint;
    v1::Task* task = reregister->add_tasks();
    task->set_name(cp.task().name());
    *task->mutable_task_id() = cp.task().task_id();
    *task->mutable_framework_id() = cp.framework().id();
    *task->mutable_agent_id() = link_->agentId();
    task->set_state(cp.state());
    *task->mutable_resources() = cp.task().resources();
    if (cp.has_latest_status()) {
      *task->add_statuses() = cp.latest_status();
    }
    *task->mutable_labels() = cp.task().labels();
    task->set_role(!cp.role().empty()              ? cp.role()
                   : cp.framework().roles_size() > 0 ? cp.framework().roles(0)
                                                     : cp.framework().role());
    *task->mutable_command() = cp.task().command();
    if (cp.has_executor()) {
      *task->mutable_executor_id() = cp.executor().executor_id();
    }
    if (frameworks.insert(key.first).second) {
      *reregister->add_frameworks() = cp.framework();
    }
  }
  return call;
}

Status Agent::onRegistered(const v1::AgentID& id, bool reregistered) {
  if (id.value() != link_->agentId().value()) {
    internal::AgentCheckpoint agent;
    *agent.mutable_info() = info_;
    *agent.mutable_info()->mutable_id() = id;
    // Checkpoint before acting as the agent `id`, so a restart reregisters with it.
    AGORA_RETURN_IF_ERROR(checkpoint_->saveAgent(agent));
  }
  metrics_.set("slave/registered", 1);
  loop_.post([this] { updates_->setConnected(true, loop_.now()); });
  return Status::ok();
}

void Agent::onMasterDisconnected() {
  metrics_.set("slave/registered", 0);
  updates_->setConnected(false, loop_.now());
}

void Agent::onRefused() {
  Status cleared = checkpoint_->clearAgent();
  if (!cleared.isOk()) {
    LOG(ERROR) << cleared.message();
  }
  forgetVolumes();
}

void Agent::onMasterEvent(const internal::AgentEvent& event) {
  switch (event.event_case()) {
    case internal::AgentEvent::kRunTask:
      onRunTask(event.run_task());
      return;
    case internal::AgentEvent::kRunTaskGroup:
      onRunTaskGroup(event.run_task_group());
      return;
    case internal::AgentEvent::kKillTask:
      onKillTask(event.kill_task());
      return;
    case internal::AgentEvent::kStatusUpdateAck:
      onStatusUpdateAck(event.status_update_ack());
      return;
    case internal::AgentEvent::kShutdownFramework:
      onShutdownFramework(event.shutdown_framework().framework_id());
      return;
    case internal::AgentEvent::kCheckpointResources:
      onCheckpointResources(event.checkpoint_resources());
      return;
    default:
      LOG(WARNING) << "Dropping an unexpected AgentEvent (case " << event.event_case()
                   << ") from the master";
      metrics_.increment("slave/invalid_messages");
      return;
  }
}

void Agent::sendToMaster(const v1::FrameworkID& frameworkId, const v1::TaskStatus& status) {
  internal::AgentCall call;
  auto* update = call.mutable_status_update();
  *update->mutable_framework_id() = frameworkId;
  *update->mutable_status() = status;
  // The id may have changed (refused, registered anew) since the update was checkpointed.
  *update->mutable_status()->mutable_agent_id() = link_->agentId();
  link_->send(std::move(call));
}

void Agent::onStatusUpdateAck(const internal::AgentEvent::StatusUpdateAck& ack) {
  auto acked = updates_->acknowledge(ack.framework_id(), ack.task_id(), ack.uuid(), loop_.now());
  if (!acked.isOk()) {
    LOG(ERROR) << acked.status().message();
    return;
  }
  if (!acked->has_value()) {
    return;
  }
  VLOG(1) << "Master acknowledged " << v1::TaskState_Name((*acked)->state()) << " of task "
          << ack.task_id().value();
  TaskKey key{ack.framework_id().value(), ack.task_id().value()};
  if (isTerminalState((*acked)->state()) && findTask(key) != nullptr) {
    completeTask(key);
  }
}

void Agent::completeTask(const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) {
    return;
  }
  Status removed = checkpoint_->removeTask(key.first, key.second);
  if (!removed.isOk()) {
    LOG(ERROR) << removed.message();
    return;  // Retried by the next acknowledgement or restart.
  }
  LOG(INFO) << "Task " << key.second << " of framework " << key.first << " is done ("
            << v1::TaskState_Name(it->second.checkpoint.state()) << ")";
  unwatchExecutor(it->second);
  std::optional<TaskRecord::DeferredRun> deferred = std::move(it->second.deferredRun);
  completed_.push_back(
      CompletedTask{std::move(it->second.checkpoint), std::move(it->second.statuses)});
  if (completed_.size() > kMaxCompletedTasks) {
    completed_.pop_front();
  }
  tasks_.erase(it);
  if (deferred) {
    onRunTask(deferred->run);
    TaskRecord* next = findTask(key);
    if (deferred->kill && next != nullptr) {
      killTask(*next, *deferred->kill);
    }
  }
}

void Agent::updateGauges() {
  size_t running = 0;
  for (const auto& [key, task] : tasks_) {
    if (task.checkpoint.state() == v1::TASK_RUNNING) {
      ++running;
    }
  }
  metrics_.set("slave/tasks_active", static_cast<double>(tasks_.size()));
  metrics_.set("slave/tasks_running", static_cast<double>(running));
  metrics_.set("slave/tasks_completed", static_cast<double>(completed_.size()));
  metrics_.set("slave/status_updates_pending", static_cast<double>(updates_->pendingCount()));
  metrics_.set("slave/loop_max_stall_ms", loop_.takeMaxCallbackMillis());
}

}  // namespace agora::slave
