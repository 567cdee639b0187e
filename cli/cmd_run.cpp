// `agora run [...] -- CMD ARGS...`: registers a framework, launches one task, streams its
// stdout/stderr live from the agent's sandbox, and exits with the task's exit status.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "cli/run_scheduler.hpp"
#include "cli/shell_quote.hpp"
#include "cli/views.hpp"
#include "common/base/ids.hpp"

namespace agora::cli {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(250);
constexpr auto kWaitingNotice = std::chrono::seconds(10);
// Reads tried after the task ended before giving up on its output.
constexpr int kDrainAttempts = 20;
constexpr int kInterruptedExit = 130;

std::string describeStatus(const v1::TaskStatus& status) {
  std::string text = v1::TaskState_Name(status.state());
  if (status.reason() != v1::TaskStatus::REASON_UNKNOWN) {
    text += " (" + v1::TaskStatus::Reason_Name(status.reason()) + ")";
  }
  if (!status.message().empty()) {
    text += ": " + status.message();
  }
  return text;
}

v1::TaskInfo makeTask(const RunArgs& run) {
  v1::TaskInfo task;
  task.set_name(run.name);
  task.mutable_task_id()->set_value("agora-run-" + newUuid().substr(0, 8));
  task.mutable_command()->set_value(joinShellCommand(run.command));
  for (const auto& [key, value] : run.env) {
    auto* variable = task.mutable_command()->mutable_environment()->add_variables();
    variable->set_name(key);
    variable->set_value(value);
  }
  for (const std::string& uri : run.fetch) {
    task.mutable_command()->add_uris()->set_value(uri);
  }
  if (!run.image.empty()) {
    task.mutable_container()->mutable_image()->set_reference(run.image);
    task.mutable_container()->set_network(run.network == "bridge" ? v1::ContainerInfo::BRIDGE
                                                                  : v1::ContainerInfo::HOST);
  }
  return task;
}

sdk::DriverOptions driverOptions(const CliArgs& args, const Cluster& cluster) {
  sdk::DriverOptions options;
  options.master = cluster.master().toString();
  options.framework.set_name("agora-run");
  options.framework.set_role(args.run.role);
  // If this process dies, the master should not keep its task around for long.
  options.framework.set_failover_timeout(10);
  const char* user = std::getenv("USER");
  options.framework.set_user(user != nullptr ? user : "root");
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  options.framework.set_hostname(host);
  return options;
}

// SIGINT/SIGTERM are blocked in every thread and taken synchronously by the streaming loop,
// so Ctrl-C becomes a KILL of the task instead of killing this process.
class InterruptWatch {
 public:
  InterruptWatch() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  bool take() {
    timespec zero{0, 0};
    return sigtimedwait(&set_, nullptr, &zero) > 0;
  }

 private:
  sigset_t set_;
};

class Streamer {
 public:
  Streamer(const Cluster& cluster, sdk::SchedulerDriver& driver, const std::string& taskId)
      : cluster_(cluster), driver_(driver), taskId_(taskId) {}

  // Copies new output to stdout/stderr. False while the sandbox or agent is unavailable.
  bool copy(const RunScheduler::Progress& progress) {
    if (!out_.has_value() && !locate(progress)) {
      return false;
    }
    auto copiedOut = out_->copyNew(stdout);
    auto copiedErr = err_->copyNew(stderr);
    bool ok = copiedOut.isOk() && copiedErr.isOk();
    if (!ok) {
      warnOnce(!copiedOut.isOk() ? copiedOut.status() : copiedErr.status());
    }
    return ok;
  }

 private:
  bool locate(const RunScheduler::Progress& progress) {
    std::string agent = progress.agentHttp;
    if (agent.empty()) {
      auto state = cluster_.masterJson("/state");
      auto address = state.isOk() ? agentHttpAddress(*state, progress.agentId)
                                  : StatusOr<std::string>(state.status());
      if (!address.isOk()) {
        warnOnce(address.status());
        return false;
      }
      agent = *address;
    }
    auto agentState = cluster_.agentJson(agent, "/state");
    auto id = driver_.frameworkId();
    auto sandbox = agentState.isOk() ? sandboxDirectory(*agentState, id ? id->value() : "", taskId_)
                                     : StatusOr<std::string>(agentState.status());
    if (!sandbox.isOk()) {
      if (sandbox.status().code() != StatusCode::kNotFound) {
        warnOnce(sandbox.status());  // Not yet started is normal; an unreachable agent is not.
      }
      return false;
    }
    HostPort address = parseHostPort(agent).value();
    out_.emplace(address, *sandbox + "/stdout");
    err_.emplace(address, *sandbox + "/stderr");
    return true;
  }

  void warnOnce(const Status& status) {
    if (status.code() == StatusCode::kNotFound) {
      return;  // The file does not exist yet.
    }
    if (!warned_) {
      std::fprintf(stderr, "agora: %s; retrying\n", status.message().c_str());
      warned_ = true;
    }
  }

  const Cluster& cluster_;
  sdk::SchedulerDriver& driver_;
  std::string taskId_;
  std::optional<SandboxFile> out_;
  std::optional<SandboxFile> err_;
  bool warned_ = false;
};

bool couldNotRun(v1::TaskState state) {
  return state == v1::TASK_ERROR || state == v1::TASK_DROPPED || state == v1::TASK_LOST ||
         state == v1::TASK_GONE || state == v1::TASK_GONE_BY_OPERATOR;
}

int exitStatus(const v1::TaskStatus& status, const std::string& taskId, bool interrupted) {
  bool exited = status.state() == v1::TASK_FINISHED || status.state() == v1::TASK_FAILED;
  if (exited && status.has_exit_code() &&
      (status.exit_code() != 0 || status.state() == v1::TASK_FINISHED)) {
    return status.exit_code();
  }
  if (status.state() == v1::TASK_FINISHED) {
    return 0;
  }
  if (interrupted && status.state() == v1::TASK_KILLED) {
    std::fprintf(stderr, "agora: task %s was killed\n", taskId.c_str());
    return kInterruptedExit;
  }
  return fail("task " + taskId + " " + describeStatus(status));
}

// Streams until the task is terminal and its output drained; returns the exit status.
int streamUntilDone(RunScheduler& scheduler, sdk::SchedulerDriver& driver, const Cluster& cluster,
                    InterruptWatch& interrupts, const RunArgs& run) {
  const std::string& taskId = scheduler.task().task_id().value();
  Streamer streamer(cluster, driver, taskId);
  auto started = Clock::now();
  bool toldWaiting = false;
  int interrupted = 0;
  int drainAttempts = 0;
  while (true) {
    RunScheduler::Progress progress = scheduler.waitForChange(kPollInterval);
    if (interrupts.take()) {
      if (!progress.launched || ++interrupted > 1) {
        std::fprintf(stderr, "agora: interrupted\n");
        return kInterruptedExit;
      }
      std::fprintf(stderr, "agora: killing task %s (Ctrl-C again to quit now)\n", taskId.c_str());
      v1::AgentID agent;
      agent.set_value(progress.agentId);
      driver.killTask(scheduler.task().task_id(), agent);
    }
    if (progress.fatal.has_value()) {
      return fail("the master refused the framework: " + *progress.fatal);
    }
    if (!progress.launched) {
      if (!toldWaiting && Clock::now() - started > kWaitingNotice) {
        std::fprintf(stderr, "agora: waiting for an offer with cpus:%g;mem:%g (role %s)\n",
                     run.cpus, run.mem, run.role.c_str());
        toldWaiting = true;
      }
      continue;
    }
    const auto& terminal = progress.terminal;
    bool skipOutput = terminal.has_value() && couldNotRun(terminal->state());
    bool copied = !skipOutput && streamer.copy(progress);
    if (terminal.has_value() && (copied || skipOutput || ++drainAttempts >= kDrainAttempts)) {
      return exitStatus(*terminal, taskId, interrupted > 0);
    }
  }
}

}  // namespace

int runCommand(const CliArgs& args, const Cluster& cluster) {
  // The driver would wait for an absent master forever; a person wants to know now.
  auto endpoint = cluster.masterJson("/master/endpoint");
  if (!endpoint.isOk()) {
    return fail(endpoint.status().message());
  }
  auto resources = Resources::parse("cpus:" + std::to_string(args.run.cpus) +
                                    ";mem:" + std::to_string(args.run.mem));
  if (!resources.isOk()) {
    return fail(resources.status().message());
  }
  InterruptWatch interrupts;  // Before any thread starts, so all inherit the mask.
  RunScheduler scheduler(makeTask(args.run), *resources, args.run.role);
  sdk::SchedulerDriver driver(&scheduler, driverOptions(args, cluster));
  Status started = driver.start();
  if (!started.isOk()) {
    return fail(started.message());
  }
  int status = streamUntilDone(scheduler, driver, cluster, interrupts, args.run);
  driver.stop(sdk::FailoverMode::kTeardown);  // Kills the task if it still runs.
  driver.join().ignoreError();
  return status;
}

}  // namespace agora::cli
