// `Agent`: the agent daemon's actor. A thin router between the master (`MasterLink`), the
// executors (a ROUTER on `executorEndpoint(work_dir)`), the checkpoint and the
// `StatusUpdateManager`.
//
// Handlers live in several files by concern: agent.cpp (construction, recovery, master
// events, acknowledgements), agent_tasks.cpp (run, kill, shutdown), agent_executors.cpp
// (executor protocol and executor liveness), agent_state.cpp (`/state` JSON).
//
// Thread-safety: every method must run on the loop thread (HTTP handlers use
// `EventLoop::runSync`). The agent owns its store, sockets and task records.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "agora/internal/agent.pb.h"
#include "agora/internal/executor.pb.h"
#include "agora/internal/registry.pb.h"
#include "common/event/event_loop.hpp"
#include "common/metrics/metrics.hpp"
#include "common/resources/resources.hpp"
#include "common/state/state_store.hpp"
#include "common/transport/sockets.hpp"
#include "slave/checkpoint.hpp"
#include "slave/executor_launcher.hpp"
#include "slave/executor_zygote.hpp"
#include "slave/master_link.hpp"
#include "slave/options.hpp"
#include "slave/status_update_manager.hpp"

namespace agora::slave {

class Agent {
 public:
  // Opens the checkpoint under `<work_dir>/checkpoint`, recovers the agent id, tasks and
  // pending updates, and binds the executor socket. Errors name the cause (another agent
  // holds the work_dir, invalid --resources, ...).
  static StatusOr<std::unique_ptr<Agent>> create(EventLoop& loop, zmq::context_t& context,
                                                 AgentOptions options, Metrics& metrics);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Starts talking to the master and the recovery timers. REQUIRES: on the loop thread.
  void start();

  // The agent's `/state` document (docs/contracts.md). REQUIRES: on the loop thread.
  nlohmann::json stateJson() const;
  // What `/monitor/statistics` reports on, gathered on the loop (the cgroups are read off
  // it): one entry per active task.
  struct MonitoredTask {
    std::string frameworkId;
    std::string taskId;
    std::string name;
    std::string sandbox;
    bool container = false;  // Runs in an OCI container (has cgroups of its own).
    double cpus = 0;
    double memMb = 0;
  };
  std::vector<MonitoredTask> monitoredTasks() const;
  // The running containers' usage summed (cgroups), for the master's /state.
  internal::ContainerUsage containerUsage() const;

  const AgentOptions& options() const { return options_; }

 private:
  // One task this agent runs, from RunTask (or recovery) until the master acknowledges
  // its terminal update.
  struct TaskRecord {
    enum class State {
      kLaunching,   // Checkpointed, executor spawned, not subscribed yet.
      kRecovering,  // Recovered from the checkpoint; waiting for its executor to subscribe.
      kRunning,     // Its executor is subscribed.
      kTerminal,    // Terminal state recorded; waiting for the master's acknowledgement.
    };
    internal::TaskCheckpoint checkpoint;
    State state = State::kLaunching;
    std::set<std::string> seenUuids;           // Updates already checkpointed (dedupe retries).
    std::optional<v1::KillPolicy> killPolicy;  // Set once a kill was requested.
    std::string killMessage;  // Why (e.g. the pod task that failed), for a re-sent kill.
    int pidfd = -1;                            // Watches the executor's exit.
    std::vector<v1::TaskStatus> statuses;      // History for `/state` (this run of the agent).
    // A RunTask that reuses this task's id while this (terminal) run still waits for the
    // acknowledgement of its last update; launched by `completeTask()`. Not checkpointed:
    // after a restart the master finds it missing on reregistration and reports it lost.
    struct DeferredRun {
      internal::AgentEvent::RunTask run;
      std::optional<v1::KillPolicy> kill;  // A KillTask that arrived for it meanwhile.
    };
    std::optional<DeferredRun> deferredRun;
  };
  using TaskKey = std::pair<std::string, std::string>;  // (framework id, task id)

  Agent(EventLoop& loop, zmq::context_t& context, AgentOptions options, Metrics& metrics);
  Status initialize();
  Status recover();
  static const char* stateName(TaskRecord::State state);
  void transitionTo(TaskRecord& task, TaskRecord::State next);

  // Master side (agent.cpp).
  internal::AgentCall registrationCall() const;
  Status onRegistered(const v1::AgentID& id, bool reregistered);
  void onMasterDisconnected();
  void onRefused();
  void onMasterEvent(const internal::AgentEvent& event);
  void onStatusUpdateAck(const internal::AgentEvent::StatusUpdateAck& ack);
  void completeTask(const TaskKey& key);
  void sendToMaster(const v1::FrameworkID& frameworkId, const v1::TaskStatus& status);
  void updateGauges();

  // Persistent volumes (volumes.cpp).
  Status recoverVolumes();
  void onCheckpointResources(const internal::AgentEvent::CheckpointResources& event);
  // After a refused re-registration the volumes belong to no agent the master knows: they
  // are forgotten, but their data is left on disk (only DESTROY deletes data).
  void forgetVolumes();
  // Why the task cannot use the volumes in its resources (one is not on this agent).
  std::optional<std::string> missingVolume(const v1::TaskInfo& task) const;
  // Makes each volume of the task appear at `<sandbox>/<container_path>`.
  Status linkVolumes(const v1::TaskInfo& task, const std::string& sandbox) const;
  // A plain process of a pod: its `parent_sandbox` volumes as links into the
  // pod's shared directory (containers mount them instead).
  Status linkPodVolumes(const v1::TaskInfo& task, const std::string& sandbox,
                        const std::string& podDir) const;

  // Tasks (agent_tasks.cpp).
  void onRunTask(const internal::AgentEvent::RunTask& run);
  // A pod: every task is validated before any runs; each gets its own executor,
  // and they share `<work_dir>/pods/<framework>/<executor id>` (group.pb, the
  // shared directory and the network namespace, see
  // slave/executor/pod_network.hpp).
  void onRunTaskGroup(const internal::AgentEvent::RunTaskGroup& run);
  Status writePodGroup(const std::string& podDir, const v1::TaskGroupInfo& group) const;
  std::optional<std::string> whyTaskCannotJoinPod(const v1::FrameworkInfo& framework,
                                                  const v1::TaskInfo& task) const;
  // Checkpoints a valid task (of the pod `pod`, when set) and launches its
  // executor.
  void admitTask(const v1::FrameworkInfo& framework, const v1::TaskInfo& info,
                 const std::string& role, const v1::ExecutorInfo* pod);
  void launchExecutor(TaskRecord& task);
  // The zygote's answer for the executor of task `key`: spawns one if none was started.
  void onExecutorForked(const TaskKey& key, const ExecutorLaunch& launch,
                        const ExecutorZygote::Forked& forked);
  // Records the executor of task `key` (checkpoints and watches its pid, through `pidfd`
  // when given: it is taken over), or fails the task with the reason it could not start.
  void executorStarted(const TaskKey& key, const StatusOr<pid_t>& pid, int pidfd = -1);
  // The containerizer the task needs (oci for an image, posix otherwise) is
  // enabled.
  Status checkContainerizer(const v1::TaskInfo& task) const;
  void onKillTask(const internal::AgentEvent::KillTask& kill);
  // `message`: why, when the framework did not ask (the TASK_KILLED update says
  // it).
  void killTask(TaskRecord& task, const v1::KillPolicy& policy, const std::string& message = "");
  // Kills the other live tasks of `cause`'s pod.
  void killPod(const TaskRecord& cause, const std::string& message);
  void onShutdownFramework(const v1::FrameworkID& frameworkId);
  // The executor of a container task is gone without cleaning up: kill and remove the
  // container, unmount its rootfs, release its network (agent_containers.cpp).
  void destroyOrphanedContainer(const TaskRecord& task);
  // Checkpoints `status` (with the task's new state, when the task is known)
  // and queues it for the master. False when the checkpoint write failed.
  bool recordUpdate(const v1::FrameworkID& frameworkId, v1::TaskStatus status);
  // An update the agent itself generates (source AGENT, fresh uuid).
  void reportFromAgent(const v1::FrameworkID& frameworkId, const v1::TaskID& taskId,
                       v1::TaskState state, v1::TaskStatus::Reason reason,
                       const std::string& message);

  // Executors (agent_executors.cpp).
  Status bindExecutorSocket();
  void onExecutorReadable();
  void onExecutorCall(const std::string& identity, const internal::ExecutorCall& call);
  // A call from the executor of a task the agent does not know (or completed already).
  void onUnknownTasksExecutor(const std::string& identity, const TaskKey& key,
                              const internal::ExecutorCall& call);
  void onExecutorSubscribe(const std::string& identity, TaskRecord& task,
                           const internal::ExecutorCall::Subscribe& subscribe);
  void onExecutorUpdate(const std::string& identity, TaskRecord& task,
                        const v1::TaskStatus& status);
  void acknowledgeExecutor(const std::string& identity, const v1::TaskStatus& status);
  void sendToExecutor(const std::string& identity, internal::ExecutorEvent event);
  // Watches the task's executor for its exit, through `pidfd` when given (taken over; it
  // holds even for an executor that exited already), else one opened on its pid.
  void watchExecutor(TaskRecord& task, int pidfd = -1);
  void unwatchExecutor(TaskRecord& task);
  void onExecutorExited(const TaskKey& key);
  void onReregisterTimeout();

  // `/state` (agent_state.cpp).
  nlohmann::json taskJson(const internal::TaskCheckpoint& task,
                          const std::vector<v1::TaskStatus>& statuses) const;

  TaskRecord* findTask(const TaskKey& key);
  static TaskKey keyOf(const internal::TaskCheckpoint& task);
  static std::string identityOf(const TaskKey& key) { return key.first + "/" + key.second; }

  EventLoop& loop_;
  zmq::context_t& context_;
  const AgentOptions options_;
  Metrics& metrics_;
  const std::string executorEndpoint_;

  v1::AgentInfo info_;  // Without id; the id lives in `link_`.
  Resources resources_;
  // Persistent volumes the master told this agent about (checkpointed).
  Resources volumes_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Checkpoint> checkpoint_;
  std::unique_ptr<StatusUpdateManager> updates_;
  std::unique_ptr<MasterLink> link_;
  std::unique_ptr<RouterSocket> executors_;
  std::unique_ptr<ExecutorZygote> zygote_;  // Null with --executor_zygote=false.

  std::map<TaskKey, TaskRecord> tasks_;
  // Tasks whose terminal update the master acknowledged, newest last (bounded).
  struct CompletedTask {
    internal::TaskCheckpoint checkpoint;
    std::vector<v1::TaskStatus> statuses;
  };
  std::deque<CompletedTask> completed_;
  std::map<std::string, v1::FrameworkInfo> frameworks_;
  EventLoop::TimerId tickTimer_ = 0;
  EventLoop::TimerId reregisterTimer_ = 0;
};

}  // namespace agora::slave
