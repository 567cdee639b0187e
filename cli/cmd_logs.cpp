// `agora logs TASK_ID [--stderr] [-f]`: finds the task's sandbox through the master and
// its agent, prints the file, and with -f follows it until the task is terminal.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/commands.hpp"
#include "cli/views.hpp"

namespace agora::cli {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);
// Reads tried after the task ended before giving up on an unreachable agent.
constexpr int kDrainAttempts = 20;

struct TaskLocation {
  std::string state;
  std::string agentAddress;
  std::string sandbox;
};

// The task's current state as the master reports it.
StatusOr<nlohmann::json> findTask(const Cluster& cluster, const std::string& taskId) {
  auto reply = cluster.masterJson("/tasks?task_id=" + urlEncode(taskId));
  if (!reply.isOk()) {
    return reply.status();
  }
  for (const auto& task : arrayField(*reply, "tasks")) {
    if (field(task, "id") == taskId) {
      return task;
    }
  }
  return Status::notFound("the master knows no task '" + taskId + "'");
}

StatusOr<TaskLocation> locate(const Cluster& cluster, const std::string& taskId) {
  auto task = findTask(cluster, taskId);
  if (!task.isOk()) {
    return task.status();
  }
  auto state = cluster.masterJson("/state");
  if (!state.isOk()) {
    return state.status();
  }
  auto agent = agentHttpAddress(*state, field(*task, "slave_id"));
  if (!agent.isOk()) {
    return agent.status().withContext("task " + taskId);
  }
  auto agentState = cluster.agentJson(*agent, "/state");
  if (!agentState.isOk()) {
    return agentState.status();
  }
  auto sandbox = sandboxDirectory(*agentState, field(*task, "framework_id"), taskId);
  if (!sandbox.isOk()) {
    return sandbox.status().withContext("agent " + *agent);
  }
  return TaskLocation{field(*task, "state"), *agent, *sandbox};
}

}  // namespace

int logsCommand(const CliArgs& args, const Cluster& cluster) {
  const std::string& taskId = args.logs.taskId;
  auto where = locate(cluster, taskId);
  if (!where.isOk()) {
    return fail(where.status().message());
  }
  std::string name = args.logs.stderrFile ? "stderr" : "stdout";
  std::FILE* out = args.logs.stderrFile ? stderr : stdout;
  SandboxFile file(parseHostPort(where->agentAddress).value(), where->sandbox + "/" + name);
  bool terminal = isTerminalStateName(where->state);
  bool warned = false;
  int failedDrains = 0;
  while (true) {
    auto copied = file.copyNew(out);
    if (!copied.isOk()) {
      StatusCode code = copied.status().code();
      bool transient = code == StatusCode::kUnavailable || code == StatusCode::kNotFound;
      if (!args.logs.follow || !transient) {
        return fail(code == StatusCode::kNotFound ? "task " + taskId + " has no " + name + " file"
                                                  : copied.status().message());
      }
      if (!warned) {  // Following across an agent restart: say so once, keep trying.
        std::fprintf(stderr, "agora: %s; retrying\n", copied.status().message().c_str());
        warned = true;
      }
    }
    if (!args.logs.follow) {
      return 0;
    }
    if (terminal && copied.isOk()) {
      return 0;  // The file of a terminal task is drained by this last read.
    }
    if (terminal && ++failedDrains >= kDrainAttempts) {
      return fail("task " + taskId + " ended but its " + name +
                  " could not be read to the end: " + copied.status().message());
    }
    std::this_thread::sleep_for(kPollInterval);
    auto task = findTask(cluster, taskId);
    terminal = task.isOk() && isTerminalStateName(field(*task, "state"));
  }
}

}  // namespace agora::cli
