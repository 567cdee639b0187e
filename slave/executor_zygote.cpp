#include "slave/executor_zygote.hpp"

#include <glog/logging.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/base/strings.hpp"
#include "slave/executor_launcher.hpp"

namespace agora::slave {
namespace {

constexpr int kPidfdIdType = 3;  // P_PIDFD (linux/wait.h; glibc 2.36 does not name it).
// A spare answers within milliseconds, a burst within a second or two; this long means the
// zygote is stuck (it is then killed).
constexpr std::chrono::seconds kAnswerTimeout{10};
// After that kill, spares that took a request still answer at once; then the end closes.
constexpr std::chrono::seconds kCloseTimeout{2};

bool sameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

ExecutorZygote::ExecutorZygote(EventLoop& loop, std::string executorPath, std::string workDir)
    : loop_(loop), executorPath_(std::move(executorPath)), workDir_(std::move(workDir)) {}

ExecutorZygote::~ExecutorZygote() {
  pending_.clear();
  queued_.clear();
  stop();
}

bool ExecutorZygote::alive() const {
  if (pidfd_ < 0) {
    return false;
  }
  pollfd exited{.fd = pidfd_, .events = POLLIN, .revents = 0};
  return poll(&exited, 1, 0) == 0;
}

bool ExecutorZygote::binaryChanged() const {
  struct stat now = {};
  return stat(executorPath_.c_str(), &now) != 0 || !sameFile(now, binary_);
}

void ExecutorZygote::stop() {
  loop_.cancel(deadlineTimer_);
  deadlineTimer_ = 0;
  killed_ = false;
  if (channel_ >= 0) {
    loop_.unwatchFd(channel_);
    close(channel_);  // The zygote and its spare exit when their stdin closes.
    channel_ = -1;
  }
  if (pidfd_ >= 0) {
    if (alive()) {
      kill(pid_, SIGKILL);
    }
    // By pidfd, not pid: the agent's tick may have reaped the zygote and its pid be reused.
    siginfo_t info{};
    waitid(static_cast<idtype_t>(kPidfdIdType), static_cast<id_t>(pidfd_), &info, WEXITED);
    close(pidfd_);
    pidfd_ = -1;
  }
  pid_ = -1;
}

void ExecutorZygote::start() {
  if (!pending_.empty() || !queued_.empty() || (alive() && !binaryChanged())) {
    return;  // In flight: answers would be lost with the channel.
  }
  if (pid_ > 0) {
    LOG(INFO) << "Restarting the executor zygote: "
              << (alive() ? executorPath_ + " changed" : "it exited");
  }
  stop();
  if (stat(executorPath_.c_str(), &binary_) != 0) {
    LOG(WARNING) << "No executor zygote: " << errnoText("cannot stat " + executorPath_);
    return;
  }
  // Messages, not a byte stream: one request per command line, one answer per request.
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
    LOG(WARNING) << "No executor zygote: " << errnoText("socketpair");
    return;
  }
  // The padding is the room the zygote's command line has for an executor's (see fork()).
  std::vector<std::string> args = {executorPath_, "--zygote", std::string(kCommandLineBytes, ' ')};
  // The dynamic linker binds every symbol at load, once in the zygote, instead of on first
  // call in each forked executor (a quarter of an executor's cpu in a burst). The zygote
  // takes the variable out of its environment again, so executors and runc do not inherit it.
  StatusOr<pid_t> pid =
      spawnSessionLeader(args, SpawnIo{.stdinFd = ends[0],
                                       .outputPath = workDir_ + "/executor-zygote.log",
                                       .workingDir = workDir_,
                                       .extraEnvironment = {"LD_BIND_NOW=1"}});
  close(ends[0]);
  if (!pid.isOk()) {
    close(ends[1]);
    LOG(WARNING) << "No executor zygote: " << pid.status().message();
    return;
  }
  pid_ = *pid;
  channel_ = ends[1];
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ < 0) {
    LOG(WARNING) << "No executor zygote: " << errnoText("pidfd_open");
    stop();
    return;
  }
  loop_.watchFd(channel_, [this] { onAnswers(); });
}

bool ExecutorZygote::fork(const std::vector<std::string>& args, Callback done) {
  std::string commandLine;
  for (const std::string& arg : args) {
    commandLine.append(arg).push_back('\0');
  }
  // The zygote runs its own binary: it can only fork executors of that one.
  if (args.empty() || args[0] != executorPath_ || commandLine.size() > kCommandLineBytes) {
    return false;
  }
  start();
  if (channel_ < 0 || killed_ || !alive()) {
    return false;  // No zygote, or one that died with requests in flight: spawn.
  }
  queued_.push_back(Pending{.commandLine = std::move(commandLine), .done = std::move(done)});
  sendQueued();
  return true;
}

void ExecutorZygote::sendQueued() {
  while (channel_ >= 0 && !queued_.empty() && pending_.size() < kInFlight) {
    Pending& next = queued_.front();
    ssize_t sent = send(channel_, next.commandLine.data(), next.commandLine.size(),
                        MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && errno == EAGAIN && !pending_.empty()) {
      return;  // The socket is full after all: the next answer sends again.
    }
    if (sent != static_cast<ssize_t>(next.commandLine.size())) {
      failPending(Outcome::kNotStarted,
                  sent < 0 ? errnoText("cannot send to the executor zygote") : "short write");
      return;
    }
    next.sent = std::chrono::steady_clock::now();
    pending_.push_back(std::move(next));
    queued_.pop_front();
  }
  if (!pending_.empty() && deadlineTimer_ == 0) {
    deadlineTimer_ = loop_.runEvery(std::chrono::seconds(1), [this] { checkDeadline(); });
  }
}

void ExecutorZygote::onAnswers() {
  for (;;) {
    int32_t answer = 0;
    ssize_t got = recv(channel_, &answer, sizeof(answer), MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
      return;
    }
    if (got != static_cast<ssize_t>(sizeof(answer))) {
      // Closed (or broken): no process holds the zygote's end, so no one took what is left.
      failPending(Outcome::kNotStarted, "the executor zygote exited");
      return;
    }
    if (pending_.empty()) {
      continue;  // Not ours to answer (cannot happen: one answer per request).
    }
    Pending request = std::move(pending_.front());
    pending_.pop_front();
    if (pending_.empty()) {
      loop_.cancel(deadlineTimer_);
      deadlineTimer_ = 0;
    }
    if (answer > 0) {
      request.done(Forked{.outcome = Outcome::kForked, .pid = static_cast<pid_t>(answer)});
    } else {
      request.done(
          Forked{.outcome = Outcome::kNotStarted,
                 .why = std::string("the executor zygote cannot fork: ") + std::strerror(-answer)});
    }
    if (channel_ < 0) {
      return;  // A callback stopped us (the agent is going away).
    }
    sendQueued();
  }
}

void ExecutorZygote::checkDeadline() {
  if (pending_.empty()) {
    return;
  }
  auto waited = std::chrono::steady_clock::now() - pending_.front().sent;
  if (!killed_ && waited > kAnswerTimeout) {
    LOG(WARNING) << "The executor zygote " << pid_ << " answered no fork request for "
                 << std::chrono::duration_cast<std::chrono::seconds>(waited).count()
                 << " s; killing it";
    kill(pid_, SIGKILL);
    killed_ = true;
  } else if (killed_ && waited > kAnswerTimeout + kCloseTimeout) {
    failPending(Outcome::kUnknown, "the executor zygote stopped answering");
  }
}

void ExecutorZygote::failPending(Outcome outcome, const std::string& why) {
  if (!pending_.empty() || !queued_.empty()) {
    LOG(WARNING) << "Executor zygote " << pid_ << ": " << why << "; "
                 << pending_.size() + queued_.size() << " launch(es) without an answer";
  }
  std::deque<Pending> unanswered = std::move(pending_);
  pending_.clear();
  for (Pending& request : queued_) unanswered.push_back(std::move(request));
  queued_.clear();
  stop();
  for (Pending& request : unanswered) {
    request.done(Forked{.outcome = outcome, .why = why});
  }
}

}  // namespace agora::slave
