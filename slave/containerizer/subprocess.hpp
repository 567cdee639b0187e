// Running helper programs (runc, CNI plugins, ip) from a multithreaded process: posix_spawn
// (no code runs between fork and exec), no shell, default signal dispositions and an empty
// signal mask in the child (a caller that blocks SIGCHLD must not pass that on).
//
// Functions only; thread-safe.
#pragma once

#include <sys/types.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::slave::oci {

// An owned file descriptor, closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  void reset();

 private:
  int fd_;
};

// Looks `name` up on PATH the way execvp would (a name with '/' is checked as is).
std::optional<std::string> findOnPath(const std::string& name);

// Starts `argv` (argv[0] an absolute path) with fds 0, 1 and 2 taken from `stdio` and the
// environment of this process plus `env`.
StatusOr<pid_t> spawn(const std::vector<std::string>& argv, const std::array<int, 3>& stdio,
                      const std::map<std::string, std::string>& env = {});
// Reaps `pid`; its exit code, or 128 + signal.
int reap(pid_t pid);

struct ProcessOutput {
  int exitCode = 0;
  std::string out;
  std::string err;
};
// Runs `argv` to completion with `input` on its stdin (/dev/null when empty), capturing
// stdout and stderr. Fails only if it could not run.
StatusOr<ProcessOutput> runProcess(const std::vector<std::string>& argv,
                                   const std::string& input = "",
                                   const std::map<std::string, std::string>& env = {});

}  // namespace agora::slave::oci
