#include "slave/executor_standby.hpp"

#include <fcntl.h>
#include <glog/logging.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "slave/executor_launcher.hpp"

namespace agora::slave {
namespace {
constexpr int kPidfdIdType = 3;  // P_PIDFD (linux/wait.h; glibc 2.36 does not name it).
}  // namespace

ExecutorStandby::ExecutorStandby(std::string executorPath, std::string workDir)
    : executorPath_(std::move(executorPath)), workDir_(std::move(workDir)) {}

ExecutorStandby::~ExecutorStandby() { stop(); }

bool ExecutorStandby::spareAlive() const {
  if (pidfd_ < 0) {
    return false;
  }
  pollfd exited{.fd = pidfd_, .events = POLLIN, .revents = 0};
  return poll(&exited, 1, 0) == 0;
}

void ExecutorStandby::stop() {
  if (pipe_ >= 0) {
    close(pipe_);  // Nothing handed: the spare exits by itself; SIGKILL makes sure.
    pipe_ = -1;
  }
  if (pidfd_ >= 0) {
    if (spareAlive()) {
      kill(pid_, SIGKILL);
    }
    // By pidfd, not pid: the agent's tick may have reaped the spare and its pid be reused.
    siginfo_t info{};
    waitid(static_cast<idtype_t>(kPidfdIdType), static_cast<id_t>(pidfd_), &info, WEXITED);
    close(pidfd_);
    pidfd_ = -1;
  }
  pid_ = -1;
}

void ExecutorStandby::replenish() {
  if (spareAlive()) {
    return;
  }
  stop();
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) {
    LOG(WARNING) << "No spare executor: pipe2: " << std::strerror(errno);
    return;
  }
  // The padding is the room the spare's command line has for the task's (see take()).
  std::vector<std::string> args = {executorPath_, "--standby", std::string(kCommandLineBytes, ' ')};
  StatusOr<pid_t> pid = spawnSessionLeader(
      args, SpawnIo{.stdinFd = ends[0], .outputPath = "/dev/null", .workingDir = workDir_});
  close(ends[0]);
  if (!pid.isOk()) {
    close(ends[1]);
    LOG(WARNING) << "No spare executor: " << pid.status().message();
    return;
  }
  pid_ = *pid;
  pipe_ = ends[1];
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    LOG(WARNING) << "No spare executor: pidfd_open: " << std::strerror(errno);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(pipe_);
    pipe_ = -1;
    pid_ = -1;
  }
}

std::optional<pid_t> ExecutorStandby::take(const std::vector<std::string>& args) {
  std::string commandLine;
  for (const std::string& arg : args) {
    commandLine.append(arg).push_back('\0');
  }
  if (commandLine.size() > kCommandLineBytes || !spareAlive()) {
    return std::nullopt;
  }
  // Well under a pipe's buffer: one write, no waiting for the spare to read.
  ssize_t written = write(pipe_, commandLine.data(), commandLine.size());
  if (written != static_cast<ssize_t>(commandLine.size())) {
    LOG(WARNING) << "Cannot hand a task to the spare executor " << pid_ << ": "
                 << (written < 0 ? std::strerror(errno) : "short write");
    stop();
    return std::nullopt;
  }
  close(pipe_);  // End of the command line: the spare runs it.
  pipe_ = -1;
  close(pidfd_);  // From here the agent watches it as the task's executor.
  pidfd_ = -1;
  pid_t handed = pid_;
  pid_ = -1;
  return handed;
}

}  // namespace agora::slave
