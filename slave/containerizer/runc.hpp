// A small driver for the `runc` binary (the OCI runtime), plus `waitContainer()` to learn
// how a container's init process ended.
//
// Every command runs as `runc --root <stateDir> ...`, so Agora's containers live apart from
// any other user of runc on the host. runc is started with posix_spawn (no shell), with a
// clean signal mask; its stderr is captured and put into the error message when it fails.
//
// How the exit status is obtained. `runc create` forks the container's init and exits, so
// runc never learns the exit code and `runc state` only says "stopped". The supervisor (the
// executor, later) therefore calls `becomeSubreaper()` once, before its first `create()`:
// when `runc create` exits, the kernel re-parents the container's init to the nearest
// subreaper ancestor, i.e. to us, and `waitContainer(pid)` can `waitpid()` it. This is
// what containerd's shim does. `runc run` in the foreground would also report the code, but
// then runc itself must stay alive for the container's lifetime, and a restarted supervisor
// could not re-attach. (A supervisor that restarts loses the exit code either way; recovery
// will read "stopped" from `state()` and report the task as lost, like Mesos does.)
//
// Note: the container's args[0] runs as pid 1 of a new pid namespace, and the kernel drops
// signals to such an init unless it installed a handler (SIGKILL excepted). So `kill(id,
// SIGTERM)` does nothing to, say, a bare `sleep`; a grace-period kill must follow up with
// SIGKILL.
//
// Thread-safety: a `Runc` is an immutable value; its methods may be called from any thread.
// runc serialises concurrent commands on one container itself.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::slave::oci {

struct RuncOptions {
  std::string binary = "runc";  // An absolute path, or a name looked up on PATH.
  std::string stateDir = {};    // runc's `--root`; created if missing. Required.
};

// What `runc state` reports.
struct ContainerState {
  std::string status = {};  // "creating", "created", "running", "paused" or "stopped".
  pid_t pid = 0;            // The init process in the host's pid namespace; 0 once stopped.
};

// How a container's init process ended.
struct ExitStatus {
  int code = 0;    // The exit code; meaningful when `signal == 0`.
  int signal = 0;  // The signal that killed it, or 0 if it exited.
};

enum class RemoveMode {
  kIfStopped,  // `runc delete`: fails while the container runs.
  kForce,      // `runc delete --force`: SIGKILLs the container first.
};

class Runc {
 public:
  // Resolves `options.binary` and creates `options.stateDir`.
  // Errors: kNotFound if runc is not there, kInvalidArgument if `stateDir` is empty, kIoError.
  static StatusOr<Runc> open(const RuncOptions& options);

  // `runc create`: sets up container `id` from `bundleDir/config.json` and leaves its init
  // waiting for `start()`. The container's stdin is /dev/null and its stdout and stderr are
  // appended to the given files (created if missing). runc's own log goes to
  // `bundleDir/runc.log`, and the init's pid to `bundleDir/init.pid`.
  // REQUIRES: `becomeSubreaper()` was called if the caller wants `waitContainer()`.
  // Returns the init's pid. Errors: runc's message (e.g. the id exists, a bad spec).
  StatusOr<pid_t> create(const std::string& id, const std::string& bundleDir,
                         const std::string& stdoutPath, const std::string& stderrPath) const;

  // `runc start`: runs the user's process in a created container.
  Status start(const std::string& id) const;
  // `runc run --detach`: create() and start() in one runc process (one fork and exec
  // fewer on the launch path). Same stdio and pid as create().
  StatusOr<pid_t> runDetached(const std::string& id, const std::string& bundleDir,
                              const std::string& stdoutPath, const std::string& stderrPath) const;
  // Whether runc has state for container `id` (a container left by an earlier run).
  bool exists(const std::string& id) const;

  // `runc state`. Errors: kNotFound-like runc message if there is no such container.
  StatusOr<ContainerState> state(const std::string& id) const;

  // `runc kill`: sends `signal` to the container's init.
  Status kill(const std::string& id, int signal) const;

  // `runc delete`: removes the container's state and cgroups (not the bundle).
  Status remove(const std::string& id, RemoveMode mode) const;
  // What `runc delete` does for a container with no process left, without starting runc:
  // removes the cgroup directories runc's state.json lists (`cgroup_paths`) and the state
  // directory. For a container with its own pid namespace (all of Agora's) whose init has
  // exited, which ended every process in it. Errors (nothing is removed then unless it
  // says so): kNotFound without readable state, kIoError naming a cgroup that cannot go
  // (EBUSY: processes still in it); the caller falls back to remove().
  Status removeExited(const std::string& id) const;

  const std::string& binary() const { return binary_; }
  const std::string& stateDir() const { return stateDir_; }

 private:
  struct Output {
    int exitCode = 0;
    std::string out;
    std::string err;
  };

  Runc(std::string binary, std::string stateDir)
      : binary_(std::move(binary)), stateDir_(std::move(stateDir)) {}

  std::vector<std::string> command(std::vector<std::string> args) const;
  // Runs runc with `args`, capturing stdout and stderr. Fails only if runc could not run.
  StatusOr<Output> run(std::vector<std::string> args) const;
  // `runc create` or `runc run --detach` (`verb`).
  StatusOr<pid_t> launch(const std::string& verb, const std::string& id,
                         const std::string& bundleDir, const std::string& stdoutPath,
                         const std::string& stderrPath) const;
  // Runs runc and turns a non-zero exit into an error carrying runc's stderr.
  Status runChecked(const std::string& what, std::vector<std::string> args) const;

  std::string binary_;
  std::string stateDir_;
};

// Makes the calling process a child subreaper (`PR_SET_CHILD_SUBREAPER`), so container inits
// started by `Runc::create()` become its children. Affects the whole process: orphans of
// any other child are re-parented to it too, and should be reaped.
Status becomeSubreaper();

// Waits until process `pid` (a container init, see above) exits and reaps it. Waits forever
// when `timeout` is nullopt.
// Errors: kUnavailable on timeout (the process is left running and unreaped),
// kFailedPrecondition if `pid` is not a child of this process.
StatusOr<ExitStatus> waitContainer(pid_t pid,
                                   std::optional<std::chrono::milliseconds> timeout = {});

}  // namespace agora::slave::oci
