#include "slave/executor/health_checker.hpp"

#include <glog/logging.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "slave/executor/command_launcher.hpp"

namespace agora::slave {

namespace {

std::chrono::duration<double> secondsOr(bool set, double value, double fallback) {
  return std::chrono::duration<double>(set ? std::max(value, 0.0) : fallback);
}

}  // namespace

HealthCheckTiming HealthCheckTiming::of(const v1::HealthCheck& check) {
  HealthCheckTiming timing;
  timing.delay = secondsOr(check.has_delay_seconds(), check.delay_seconds(), 15.0);
  timing.interval = secondsOr(check.has_interval_seconds(), check.interval_seconds(), 10.0);
  timing.timeout = secondsOr(check.has_timeout_seconds(), check.timeout_seconds(), 20.0);
  timing.gracePeriod =
      secondsOr(check.has_grace_period_seconds(), check.grace_period_seconds(), 10.0);
  if (check.has_consecutive_failures()) {
    timing.consecutiveFailures = check.consecutive_failures();
  }
  return timing;
}

HealthChecker::HealthChecker(EventLoop& loop, HealthCheckerOptions options,
                             HealthChanged onHealthChanged, Unhealthy onUnhealthy)
    : loop_(loop),
      options_(std::move(options)),
      timing_(HealthCheckTiming::of(options_.check)),
      onHealthChanged_(std::move(onHealthChanged)),
      onUnhealthy_(std::move(onUnhealthy)) {}

HealthChecker::~HealthChecker() {
  stop();
  if (probe_.joinable()) {
    probe_.join();
  }
}

void HealthChecker::start() {
  startedAt_ = loop_.now();
  LOG(INFO) << v1::HealthCheck::Type_Name(options_.check.type()) << " health check starts in "
            << secondsText(timing_.delay);
  nextTimer_ = loop_.runAfter(timing_.delay, [this] { runCheck(); });
}

void HealthChecker::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  loop_.cancel(nextTimer_);
  loop_.cancel(timeoutTimer_);
  killCommand();
}

void HealthChecker::runCheck() {
  nextTimer_ = 0;
  if (stopped_) {
    return;
  }
  switch (options_.check.type()) {
    case v1::HealthCheck::COMMAND:
      runCommand();
      return;
    case v1::HealthCheck::HTTP:
    case v1::HealthCheck::TCP:
      runProbe();
      return;
    default:
      onResult(ProbeResult{false, "Unknown health check type"});
      return;
  }
}

std::string HealthChecker::commandText() const {
  return "COMMAND health check '" + options_.check.command().value() + "'";
}

void HealthChecker::runCommand() {
  std::map<std::string, std::string> environment = options_.environment;
  for (const auto& variable : options_.check.command().environment().variables()) {
    environment[variable.name()] = variable.value();
  }
  const v1::CommandInfo& check = options_.check.command();
  auto launched = launchCommand(options_.wrapCommand ? options_.wrapCommand(check) : check,
                                options_.sandbox, environment);
  if (!launched.isOk()) {
    onResult(
        ProbeResult{false, commandText() + " could not start: " + launched.status().message()});
    return;
  }
  command_ = launched->pid;
  commandPidfd_ = launched->pidfd;
  loop_.watchFd(commandPidfd_, [this] { onCommandExited(); });
  timeoutTimer_ = loop_.runAfter(timing_.timeout, [this] { onCommandTimedOut(); });
}

void HealthChecker::onCommandExited() {
  siginfo_t info{};
  if (waitid(P_PID, command_, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != command_) {
    return;  // Not exited yet (spurious wakeup).
  }
  kill(-command_, SIGKILL);  // What it left in its process group.
  int status = 0;
  waitpid(command_, &status, 0);
  loop_.unwatchFd(commandPidfd_);
  close(commandPidfd_);
  command_ = -1;
  commandPidfd_ = -1;
  loop_.cancel(timeoutTimer_);
  timeoutTimer_ = 0;
  ExitDescription exit = describeWaitStatus(status);
  std::string how = exit.message.rfind("Command ", 0) == 0 ? exit.message.substr(8) : exit.message;
  onResult(ProbeResult{exit.success, commandText() + " " + how});
}

void HealthChecker::onCommandTimedOut() {
  timeoutTimer_ = 0;
  killCommand();
  onResult(ProbeResult{false, commandText() + " timed out after " + secondsText(timing_.timeout)});
}

void HealthChecker::killCommand() {
  if (command_ <= 0) {
    return;
  }
  kill(-command_, SIGKILL);
  waitpid(command_, nullptr, 0);  // Prompt after SIGKILL.
  loop_.unwatchFd(commandPidfd_);
  close(commandPidfd_);
  command_ = -1;
  commandPidfd_ = -1;
}

void HealthChecker::runProbe() {
  if (probe_.joinable()) {
    probe_.join();  // The previous probe has posted its result: it is ending.
  }
  const v1::HealthCheck& check = options_.check;
  std::function<ProbeResult()> probe;
  if (check.type() == v1::HealthCheck::HTTP) {
    HttpProbe http{.host = options_.host,
                   .port = static_cast<uint16_t>(check.http().port()),
                   .path = check.http().path(),
                   .statuses = {check.http().statuses().begin(), check.http().statuses().end()}};
    probe = [http, timeout = timing_.timeout] { return probeHttp(http, timeout); };
  } else {
    probe = [host = options_.host, port = static_cast<uint16_t>(check.tcp().port()),
             timeout = timing_.timeout] { return probeTcp(host, port, timeout); };
  }
  std::weak_ptr<int> alive = alive_;
  EventLoop* loop = &loop_;
  probe_ = std::thread([this, alive, loop, probe = std::move(probe)] {
    ProbeResult result = probe();
    loop->post([this, alive, result] {
      if (alive.expired()) {
        return;  // The checker is gone.
      }
      if (probe_.joinable()) {
        probe_.join();
      }
      onResult(result);
    });
  });
}

void HealthChecker::onResult(const ProbeResult& result) {
  if (stopped_) {
    return;
  }
  if (result.healthy) {
    failures_ = 0;
    succeededOnce_ = true;
    if (reportedHealthy_ != true) {
      LOG(INFO) << "Task is healthy: " << result.message;
      reportedHealthy_ = true;
      onHealthChanged_(true, result.message);
    }
  } else if (!succeededOnce_ && loop_.now() - startedAt_ < timing_.gracePeriod) {
    LOG(INFO) << "Ignoring a health check failure in the grace period: " << result.message;
  } else {
    ++failures_;
    LOG(WARNING) << "Health check failed (" << failures_ << " in a row): " << result.message;
    if (reportedHealthy_ != false) {
      reportedHealthy_ = false;
      onHealthChanged_(false, result.message);
    }
    if (!stopped_ && timing_.consecutiveFailures > 0 && failures_ >= timing_.consecutiveFailures) {
      stop();
      onUnhealthy_(result.message);
      return;
    }
  }
  if (!stopped_) {
    nextTimer_ = loop_.runAfter(timing_.interval, [this] { runCheck(); });
  }
}

}  // namespace agora::slave
