// `HealthChecker`: runs a task's `HealthCheck` (proto/agora/v1/common.proto) on the
// executor's event loop, after Mesos' health checker.
//
// Timing: the first check runs `delay_seconds` after start(), each next one
// `interval_seconds` after the previous one ended. A check that runs longer than
// `timeout_seconds` fails. A failure within `grace_period_seconds` of start() is ignored
// until the first success. `onHealthChanged` gets the first result and every change of
// health; after `consecutive_failures` failures in a row (when > 0) `onUnhealthy` gets the
// last failure and the checker stops.
//
// How each type checks, never blocking the loop:
//   COMMAND: the command runs as a child process (see command_launcher.hpp) in the sandbox,
//            wrapped by `Options::wrapCommand` (a task with an image runs it in its
//            container through `runc exec`); exit status 0 is healthy. On timeout its
//            process group gets SIGKILL. (A `runc exec` killed so leaves the command in the
//            container until it ends on its own.)
//   HTTP, TCP: health_probes.hpp on a worker thread, bounded by the timeout, against
//            `Options::host` (127.0.0.1, or a BRIDGE container's own address).
//
// Thread-safety: loop thread only (the worker thread posts its result to the loop). The
// callbacks run on the loop and may call stop(), which never blocks. Destroying the checker
// stops it and waits for an HTTP or TCP probe in flight to end (at most `timeout_seconds`),
// so an owner that must not block stops it early and destroys it late.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "agora/v1/common.pb.h"
#include "common/event/event_loop.hpp"
#include "slave/executor/health_probes.hpp"

namespace agora::slave {

// The durations of a check with Mesos' defaults for unset fields.
struct HealthCheckTiming {
  std::chrono::duration<double> delay{15.0};
  std::chrono::duration<double> interval{10.0};
  std::chrono::duration<double> timeout{20.0};
  std::chrono::duration<double> gracePeriod{10.0};
  uint32_t consecutiveFailures = 3;

  static HealthCheckTiming of(const v1::HealthCheck& check);
};

struct HealthCheckerOptions {
  v1::HealthCheck check;
  std::string host = "127.0.0.1";  // Where HTTP and TCP checks connect.
  std::string sandbox = {};        // The COMMAND's working directory (and its output).
  // The COMMAND's environment; the check's own `command.environment` is added to it.
  std::map<std::string, std::string> environment = {};
  // Turns the check's command into the command to run (identity when unset).
  std::function<v1::CommandInfo(const v1::CommandInfo&)> wrapCommand = {};
};

class HealthChecker {
 public:
  using HealthChanged = std::function<void(bool healthy, const std::string& message)>;
  using Unhealthy = std::function<void(const std::string& lastFailure)>;

  HealthChecker(EventLoop& loop, HealthCheckerOptions options, HealthChanged onHealthChanged,
                Unhealthy onUnhealthy);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Schedules the first check; the grace period starts now. REQUIRES: called once.
  void start();
  // No more checks or callbacks; a COMMAND in flight is killed. Idempotent.
  void stop();

  // Checks that failed in a row (ignored ones not counted).
  uint32_t consecutiveFailures() const { return failures_; }

 private:
  void runCheck();
  void runCommand();
  void onCommandExited();
  void onCommandTimedOut();
  void runProbe();
  void onResult(const ProbeResult& result);
  void killCommand();
  std::string commandText() const;

  EventLoop& loop_;
  const HealthCheckerOptions options_;
  const HealthCheckTiming timing_;
  HealthChanged onHealthChanged_;
  Unhealthy onUnhealthy_;
  EventLoop::Clock::time_point startedAt_;
  bool stopped_ = false;
  bool succeededOnce_ = false;
  std::optional<bool> reportedHealthy_;  // What onHealthChanged_ last said.
  uint32_t failures_ = 0;
  EventLoop::TimerId nextTimer_ = 0;
  EventLoop::TimerId timeoutTimer_ = 0;
  pid_t command_ = -1;  // The COMMAND in flight, with its pidfd.
  int commandPidfd_ = -1;
  std::thread probe_;  // The HTTP or TCP probe in flight.
  // Closures posted by the probe thread hold a weak reference: a result arriving after the
  // checker is gone is dropped. (shared_ptr: only for that liveness token.)
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace agora::slave
