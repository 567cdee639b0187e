// `Executor`: the `agora-executor` process's actor. Runs one task's command and reports
// its states to the agent over the executor protocol (proto/agora/internal/executor.proto).
//
// A task with an image runs as an OCI container (ContainerRunner): the executor is a child
// subreaper, so the container's init is its child and is supervised the same way; kills go
// through runc; an OOM kill is reported as TASK_FAILED with
// REASON_CONTAINER_LIMITATION_MEMORY.
//
// Before the command (or container) starts, the command's `uris` are fetched into the
// sandbox on a worker thread (fetcher.hpp), between STARTING and RUNNING; a failed fetch is
// TASK_FAILED with REASON_CONTAINER_LAUNCH_FAILED and a message naming the URI and cause.
//
// It connects a DEALER (identity "<framework id>/<task id>") to the agent's ipc endpoint,
// subscribes (again whenever the agent has been silent for 2 s: the agent may have
// restarted), heartbeats every 500 ms, and retries every update each second until the
// agent acknowledges its uuid. It reports STARTING, RUNNING, then the terminal state; a
// kill request sends SIGTERM to the command's process group (TASK_KILLING) and SIGKILL
// after the grace period. A task with a `health_check` is checked while it runs (see
// health_checker.hpp): each change of health is a TASK_RUNNING update with `healthy` set,
// and a task that fails its check too often is killed, its terminal update carrying
// `healthy = false` (as Mesos' executors do). It stops its loop only once the terminal
// update is acknowledged, so a task that ends while the agent is down is still reported
// with its real status.
//
// Thread-safety: loop thread only. Owns its socket and the child process.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <zmq.hpp>

#include "agora/internal/executor.pb.h"
#include "common/event/event_loop.hpp"
#include "common/transport/sockets.hpp"
#include "slave/executor/container_runner.hpp"
#include "slave/executor/health_checker.hpp"

namespace agora::slave {

struct ExecutorOptions {
  std::string agentEndpoint;
  std::string frameworkId;
  std::string taskId;
  std::string sandbox;
  // The serialized `TaskInfo` written by the agent.
  std::string taskPath;
  std::string hostname;
  // With no word from any agent for this long, the task is killed and the executor exits.
  std::chrono::duration<double> agentTimeout{3600.0};
  std::chrono::duration<double> heartbeatInterval{0.5};
  std::chrono::duration<double> resubscribeAfter{2.0};
  std::chrono::duration<double> retryInterval{1.0};
  // The executor's own environment, from which the task inherits the basics.
  std::map<std::string, std::string> inheritedEnvironment;
  // For tasks with an image (see ContainerRunner): the agent's image store and runc state
  // directories, and the registries spoken to over plain HTTP.
  std::string imageStore;
  std::string runcRoot;
  std::string cniDir;
  std::set<std::string> insecureRegistries;
  std::string registryCredentials;  // A Docker config.json, or empty.
  int64_t imageStoreMaxMb = 0;
  bool copyRootfs = false;
  std::vector<std::string> allowedHostPaths;
  std::string podDir;  // Set for a task of a pod.
};

class Executor {
 public:
  // Reads the TaskInfo. Errors name the file.
  static StatusOr<std::unique_ptr<Executor>> create(EventLoop& loop, zmq::context_t& context,
                                                    ExecutorOptions options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Connects, subscribes and launches the command. REQUIRES: on the loop thread, once.
  void start();

  // The process exit code once the loop stopped: 0 after the terminal update was
  // acknowledged, 1 when the agent was never heard from in time.
  int exitCode() const { return exitCode_; }

 private:
  enum class State {
    kStarting,  // Not launched yet.
    kRunning,   // The command runs.
    kKilling,   // SIGTERM sent; SIGKILL follows after the grace period.
    kExited,    // Terminal update sent; waiting for its acknowledgement.
    kDone,      // Acknowledged (or gave up): the loop is stopping.
  };
  struct Pending {
    v1::TaskStatus status;
    EventLoop::Clock::time_point lastSent;
  };

  Executor(EventLoop& loop, zmq::context_t& context, ExecutorOptions options);
  static const char* stateName(State state);
  void transitionTo(State next);

  // Reports STARTING, fetches the command's URIs (on a worker thread) if it has any, then
  // starts the task.
  void launch();
  void startFetching();
  void onFetched(const Status& fetched);
  // The command, or the container for a task with an image.
  void startTask();
  // Tasks with an image: prepared on a worker thread (pull, unpack), then started.
  void launchContainer();
  void onContainerPrepared(const Status& prepared);
  void watchChild(pid_t pid, int pidfd);
  void signalTask(int signal);
  void onChildExited();
  // The command's environment (also the health check's).
  std::map<std::string, std::string> commandEnvironment() const;
  void startHealthChecks();
  void onHealthChanged(bool healthy, const std::string& message);
  void onUnhealthy(const std::string& lastFailure);
  void onReadable();
  void onEvent(const internal::ExecutorEvent& event);
  void onAcknowledged(const std::string& uuid);
  // `why`: set when the agent kills on its own (a task of the pod failed).
  void onKill(const v1::KillPolicy& policy, const std::string& why);
  void onTick();
  void report(v1::TaskState state, v1::TaskStatus::Reason reason, const std::string& message,
              std::optional<int> exitCode = std::nullopt,
              std::optional<bool> healthy = std::nullopt);
  void subscribe();
  void send(internal::ExecutorCall call);
  void finish(int exitCode);

  EventLoop& loop_;
  const ExecutorOptions options_;
  v1::TaskInfo task_;
  DealerSocket socket_;
  State state_ = State::kStarting;
  std::deque<Pending> unacknowledged_;
  bool killRequested_ = false;
  std::string killMessage_;  // Why the agent killed the task, when it said.
  pid_t child_ = -1;
  int pidfd_ = -1;
  std::unique_ptr<ContainerRunner> container_;
  std::unique_ptr<HealthChecker> healthChecker_;
  bool killedUnhealthy_ = false;  // The health checker asked for the kill.
  // Fetches URIs, then (tasks with an image) prepares the container; one at a time.
  std::thread preparer_;
  std::atomic<bool> cancelFetch_{false};  // Aborts a download in progress.
  EventLoop::Clock::time_point lastHeard_;
  EventLoop::Clock::time_point lastSubscribe_;
  EventLoop::TimerId tickTimer_ = 0;
  EventLoop::TimerId graceTimer_ = 0;
  int exitCode_ = 0;
};

}  // namespace agora::slave
