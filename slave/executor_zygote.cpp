#include "slave/executor_zygote.hpp"

#include <glog/logging.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "agora/internal/executor.pb.h"
#include "common/base/strings.hpp"
#include "slave/executor_launcher.hpp"

namespace agora::slave {
namespace {

constexpr int kPidfdIdType = 3;  // P_PIDFD (linux/wait.h; glibc 2.36 does not name it).
constexpr std::chrono::milliseconds kDeadlineCheck{100};

bool sameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

void signalByPidfd(int pidfd, int signal) {
  syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0);
}

// The descriptor passed with a received message (SCM_RIGHTS), or -1.
int passedFd(msghdr& message) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(fd));
      return fd;
    }
  }
  return -1;
}

}  // namespace

ExecutorZygote::ExecutorZygote(EventLoop& loop, ExecutorZygoteOptions options)
    : loop_(loop), options_(std::move(options)) {}

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
  return stat(options_.executorPath.c_str(), &now) != 0 || !sameFile(now, binary_);
}

void ExecutorZygote::killZygote() {
  if (pidfd_ >= 0) {
    // By pidfd, not pid: the agent's tick may have reaped the zygote and its pid be reused.
    signalByPidfd(pidfd_, SIGKILL);
  }
}

void ExecutorZygote::stop() {
  loop_.cancel(deadlineTimer_);
  deadlineTimer_ = 0;
  killed_ = false;
  broken_ = false;
  if (channel_ >= 0) {
    loop_.unwatchFd(channel_);
    close(channel_);  // The zygote and its spare exit when their stdin closes.
    channel_ = -1;
  }
  if (pidfd_ >= 0) {
    if (alive()) {
      killZygote();
    }
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
  auto now = std::chrono::steady_clock::now();
  bool died = pid_ > 0 && !alive();
  if (died && now - lastStart_ < options_.restartBackoff) {
    return;
  }
  if (pid_ > 0) {
    LOG(INFO) << "Restarting the executor zygote: "
              << (died ? "it exited" : options_.executorPath + " changed");
  }
  stop();
  lastStart_ = now;
  if (stat(options_.executorPath.c_str(), &binary_) != 0) {
    LOG(WARNING) << "No executor zygote: " << errnoText("cannot stat " + options_.executorPath);
    return;
  }
  // Datagrams, not a byte stream: one request per message, one answer per request.
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
    LOG(WARNING) << "No executor zygote: " << errnoText("socketpair");
    return;
  }
  // The padding is the room the zygote's command line has for an executor's. The dynamic
  // linker binds every symbol at load, once in the zygote, instead of on first call in each
  // forked executor (a quarter of an executor's cpu in a burst); the zygote takes the
  // variable out of its environment again, so executors and runc do not inherit it.
  std::vector<std::string> args = {options_.executorPath, "--zygote",
                                   std::string(kCommandLineBytes, ' ')};
  StatusOr<pid_t> pid =
      spawnSessionLeader(args, SpawnIo{.stdinFd = ends[0],
                                       .outputPath = options_.workDir + "/executor-zygote.log",
                                       .workingDir = options_.workDir,
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
    kill(pid_, SIGKILL);  // Our child, not reaped yet: its pid is still its own.
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    stop();
    return;
  }
  loop_.watchFd(channel_, [this] { onAnswers(); });
}

bool ExecutorZygote::requestExecutor(const std::vector<std::string>& args, Callback done) {
  size_t bytes = 0;
  for (const std::string& arg : args) bytes += arg.size() + 1;
  // The zygote runs its own binary: it can only fork executors of that one.
  if (args.empty() || args[0] != options_.executorPath || bytes > kCommandLineBytes) {
    return false;
  }
  start();
  if (channel_ < 0 || killed_ || broken_ || !alive()) {
    return false;  // No zygote, or one that died or broke with requests in flight: spawn.
  }
  internal::ZygoteRequest request;
  request.set_id(nextId_++);
  for (const std::string& arg : args) request.add_arguments(arg);
  queued_.push_back(
      Pending{.id = request.id(), .request = request.SerializeAsString(), .done = std::move(done)});
  sendQueued();
  return true;
}

void ExecutorZygote::sendQueued() {
  while (channel_ >= 0 && !broken_ && !queued_.empty() && pending_.size() < kInFlight) {
    Pending& next = queued_.front();
    ssize_t sent =
        send(channel_, next.request.data(), next.request.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent == static_cast<ssize_t>(next.request.size())) {
      next.sent = std::chrono::steady_clock::now();
      uint64_t id = next.id;
      pending_.emplace(id, std::move(next));
      queued_.pop_front();
      continue;
    }
    if (sent < 0 && errno == EAGAIN && !pending_.empty()) {
      break;  // Full after all: the next answer sends again.
    }
    // Broken: no more requests. What was sent is answered, or failed once the socket reads
    // as closed; what was not is answered now (on the loop, not inside the caller's call).
    LOG(WARNING) << (sent < 0 ? errnoText("cannot send to the executor zygote")
                              : std::string("a short send to the executor zygote"));
    broken_ = true;
    auto unsent = std::make_shared<std::deque<Pending>>(std::move(queued_));
    queued_.clear();
    loop_.post([token = std::weak_ptr<bool>(token_), unsent] {
      for (Pending& request : *unsent) {
        if (token.expired()) return;
        request.done(Forked{.outcome = Outcome::kNotStarted,
                            .why = "the executor zygote's socket is broken"});
      }
    });
    if (pending_.empty()) {
      stop();
    }
    return;
  }
  if (!pending_.empty() && deadlineTimer_ == 0) {
    deadlineTimer_ = loop_.runEvery(kDeadlineCheck, [this] { checkDeadline(); });
  }
}

void ExecutorZygote::onAnswers() {
  while (channel_ >= 0) {
    char buffer[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    iovec data{.iov_base = buffer, .iov_len = sizeof(buffer)};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t got = recvmsg(channel_, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (got < 0 && errno == EAGAIN) {
      return;
    }
    if (got < 0 && (errno == EINTR || errno == ECONNRESET)) {
      // ECONNRESET: the last holder of the other end closed it with requests unread. It is
      // reported once, before answers still queued: those are read next, then EOF.
      continue;
    }
    int fd = got > 0 ? passedFd(message) : -1;
    if (got <= 0) {
      failPending(Outcome::kNotStarted, got == 0
                                            ? "the executor zygote exited"
                                            : errnoText("cannot read from the executor zygote"));
      return;
    }
    internal::ZygoteAnswer answer;
    if (!answer.ParseFromArray(buffer, static_cast<int>(got))) {
      LOG(WARNING) << "Dropping a malformed answer from the executor zygote";
      if (fd >= 0) close(fd);
      continue;
    }
    onAnswer(answer.id(), answer.pid(), fd, answer.error());
  }
}

void ExecutorZygote::onAnswer(uint64_t id, pid_t pid, int pidfd, const std::string& error) {
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    // Its request was given up (reported kUnknown): nobody expects this executor.
    if (pid > 0 && pidfd >= 0) {
      LOG(WARNING) << "Killing executor " << pid << ", forked for a launch already given up";
      signalByPidfd(pidfd, SIGKILL);
    }
    if (pidfd >= 0) close(pidfd);
    return;
  }
  Pending request = std::move(it->second);
  pending_.erase(it);
  if (pending_.empty()) {
    loop_.cancel(deadlineTimer_);
    deadlineTimer_ = 0;
  }
  sendQueued();
  if (pid > 0) {
    request.done(Forked{.outcome = Outcome::kForked, .pid = pid, .pidfd = pidfd});
    return;
  }
  if (pidfd >= 0) close(pidfd);
  request.done(Forked{.outcome = Outcome::kNotStarted,
                      .why = "the spare executor refused the request: " + error});
}

void ExecutorZygote::checkDeadline() {
  if (pending_.empty()) {
    return;
  }
  // Ids grow in the order sent: the first pending request is the oldest.
  auto waited = std::chrono::steady_clock::now() - pending_.begin()->second.sent;
  if (!killed_ && waited > options_.answerTimeout) {
    LOG(WARNING) << "The executor zygote " << pid_ << " answered no request for "
                 << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                 << " ms; killing it";
    killZygote();
    killed_ = true;
  } else if (killed_ && waited > options_.answerTimeout + options_.closeTimeout) {
    failPending(Outcome::kUnknown, "the executor zygote stopped answering");
  }
}

void ExecutorZygote::failPending(Outcome outcome, const std::string& why) {
  std::vector<Pending> unanswered;
  for (auto& [id, request] : pending_) unanswered.push_back(std::move(request));
  for (Pending& request : queued_) unanswered.push_back(std::move(request));
  pending_.clear();
  queued_.clear();
  if (!unanswered.empty()) {
    LOG(WARNING) << "Executor zygote " << pid_ << ": " << why << "; " << unanswered.size()
                 << " launch(es) without an answer";
  }
  stop();
  for (Pending& request : unanswered) {
    request.done(Forked{.outcome = outcome, .why = why});
  }
}

}  // namespace agora::slave
