// A child process for integration tests: real binaries, started with a log file, stopped
// by signal. The destructor kills (SIGKILL) and reaps whatever is still running.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agora::testing {

class Process {
 public:
  // Starts `argv` with stdout and stderr appended to `logPath` (stderr to `errPath` when
  // given), in its own process group.
  static std::unique_ptr<Process> spawn(const std::vector<std::string>& argv,
                                        const std::string& logPath,
                                        const std::map<std::string, std::string>& env = {},
                                        const std::string& errPath = "");
  ~Process();

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Exit status (code, or 128 + signal) once exited; nullopt while running.
  std::optional<int> poll();
  // Waits up to `seconds`; nullopt on timeout.
  std::optional<int> waitFor(double seconds);
  const std::string& logPath() const { return logPath_; }
  std::string log() const;

 private:
  Process(pid_t pid, std::string logPath) : pid_(pid), logPath_(std::move(logPath)) {}
  pid_t pid_;
  std::string logPath_;
  std::optional<int> status_;
};

// A TCP port that was free a moment ago on 127.0.0.1.
int freePort();

}  // namespace agora::testing
