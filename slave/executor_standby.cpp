#include "slave/executor_standby.hpp"

#include <fcntl.h>
#include <glog/logging.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
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
  if (channel_ >= 0) {
    close(channel_);  // Nothing handed: the spare exits by itself; SIGKILL makes sure.
    channel_ = -1;
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
  // A socket, not a pipe: the agent's end sends with MSG_NOSIGNAL and never blocks, so a
  // spare that died meanwhile is an error, not a SIGPIPE or a stalled loop.
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    LOG(WARNING) << "No spare executor: socketpair: " << std::strerror(errno);
    return;
  }
  if (fcntl(ends[1], F_SETFL, O_NONBLOCK) != 0) {
    LOG(WARNING) << "No spare executor: fcntl: " << std::strerror(errno);
    close(ends[0]);
    close(ends[1]);
    return;
  }
  // The padding is the room the spare's command line has for the task's (see take()).
  std::vector<std::string> args = {executorPath_, "--standby", std::string(kCommandLineBytes, ' ')};
  // Until it takes a task its output (a failed hand-over says why there) goes to the work
  // dir; after, to the task's sandbox.
  StatusOr<pid_t> pid =
      spawnSessionLeader(args, SpawnIo{.stdinFd = ends[0],
                                       .outputPath = workDir_ + "/executor-standby.log",
                                       .workingDir = workDir_});
  close(ends[0]);
  if (!pid.isOk()) {
    close(ends[1]);
    LOG(WARNING) << "No spare executor: " << pid.status().message();
    return;
  }
  pid_ = *pid;
  channel_ = ends[1];
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    LOG(WARNING) << "No spare executor: pidfd_open: " << std::strerror(errno);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    close(channel_);
    channel_ = -1;
    pid_ = -1;
  }
}

std::optional<pid_t> ExecutorStandby::take(const std::vector<std::string>& args) {
  std::string commandLine;
  for (const std::string& arg : args) {
    commandLine.append(arg).push_back('\0');
  }
  // The spare runs its own binary: it can only become an executor of the same one.
  if (args.empty() || args[0] != executorPath_ || commandLine.size() > kCommandLineBytes ||
      !spareAlive()) {
    return std::nullopt;
  }
  // Well under a socket's buffer: one send, no waiting for the spare to read.
  ssize_t written = send(channel_, commandLine.data(), commandLine.size(), MSG_NOSIGNAL);
  if (written != static_cast<ssize_t>(commandLine.size())) {
    LOG(WARNING) << "Cannot hand a task to the spare executor " << pid_ << ": "
                 << (written < 0 ? std::strerror(errno) : "short write");
    stop();
    return std::nullopt;
  }
  close(channel_);  // End of the command line: the spare runs it.
  channel_ = -1;
  close(pidfd_);  // From here the agent watches it as the task's executor.
  pidfd_ = -1;
  pid_t handed = pid_;
  pid_ = -1;
  return handed;
}

}  // namespace agora::slave
