#include "slave/executor/handover.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "agora/internal/executor.pb.h"
#include "common/base/strings.hpp"

namespace agora::slave {
namespace {

// The value of `--name=` in `args`, or empty.
std::string flagValue(const std::vector<std::string>& args, const std::string& name) {
  std::string prefix = "--" + name + "=";
  for (const std::string& arg : args) {
    if (arg.compare(0, prefix.size(), prefix) == 0) return arg.substr(prefix.size());
  }
  return "";
}

Status redirectInto(const std::string& sandbox) {
  if (sandbox.empty()) {
    return Status::invalid("the handed command line has no --sandbox");
  }
  std::string log = sandbox + "/executor.log";
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Status::io(errnoText("cannot open " + log));
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  bool redirected = in >= 0 && dup2(in, 0) == 0 && dup2(out, 1) == 1 && dup2(out, 2) == 2;
  int saved = errno;
  close(out);
  if (in >= 0) close(in);
  errno = saved;
  if (!redirected) return Status::io(errnoText("cannot redirect the executor's output"));
  if (chdir(sandbox.c_str()) != 0) return Status::io(errnoText("cannot enter " + sandbox));
  return Status::ok();
}

// Whether the agent closed its end of `agentFd` (a request still queued is not that).
bool agentGone(int agentFd) {
  char byte;
  ssize_t got = recv(agentFd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR);
}

// Sends `answer` on `fd`, with `passed` (when >= 0) as SCM_RIGHTS. False if not all sent.
bool sendAnswer(int fd, const internal::ZygoteAnswer& answer, int passed) {
  std::string bytes = answer.SerializeAsString();
  iovec data{.iov_base = bytes.data(), .iov_len = bytes.size()};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (passed >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&message);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &passed, sizeof(passed));
  }
  ssize_t sent;
  do {
    sent = sendmsg(fd, &message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(bytes.size());
}

// How many threads this process has (/proc/self/task), or 0 if unknown.
size_t threadCount() {
  std::error_code error;
  size_t count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++count;
  }
  return error ? 0 : count;
}

}  // namespace

std::optional<int> forkSpares(int agentFd) {
  if (size_t threads = threadCount(); threads != 1) {
    std::cerr << "The executor zygote must be single threaded to fork; it has " << threads
              << " threads" << std::endl;
    return std::nullopt;
  }
  signal(SIGCHLD, SIG_IGN);
  for (;;) {
    int taken[2];
    if (pipe2(taken, O_CLOEXEC) != 0) {
      std::cerr << errnoText("the executor zygote cannot make a pipe") << std::endl;
      return std::nullopt;
    }
    pid_t spare = fork();
    if (spare == 0) {
      close(taken[0]);
      signal(SIGCHLD, SIG_DFL);  // The executor waits for its own children (container inits).
      setsid();
      return taken[1];
    }
    close(taken[1]);
    if (spare < 0) {
      std::cerr << errnoText("the executor zygote cannot fork") << std::endl;
      close(taken[0]);
      sleep(1);
      continue;
    }
    // The spare writes a byte when it takes a command line; EOF alone means it exited.
    char byte = 0;
    ssize_t got;
    do {
      got = read(taken[0], &byte, 1);
    } while (got < 0 && errno == EINTR);
    close(taken[0]);
    if (agentGone(agentFd)) {
      return std::nullopt;
    }
    if (got != 1) {
      std::cerr << "A spare executor (pid " << spare << ") exited without a task; forking "
                << "another in a second" << std::endl;
      sleep(1);
    }
  }
}

std::optional<std::vector<std::string>> awaitCommandLine(int agentFd, int takenFd) {
  // Room for the agent's limit and then some: a longer request is refused, not truncated.
  std::vector<char> buffer(4 * 8192);
  ssize_t got;
  do {
    got = recv(agentFd, buffer.data(), buffer.size(), MSG_TRUNC);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    return std::nullopt;  // The agent went away (or its end broke): nothing to run.
  }
  internal::ZygoteRequest request;
  internal::ZygoteAnswer answer;
  bool fits = static_cast<size_t>(got) <= buffer.size();
  bool parsed = fits && request.ParseFromArray(buffer.data(), static_cast<int>(got)) &&
                request.arguments_size() > 0;
  answer.set_id(request.id());
  int self = -1;
  if (parsed) {
    answer.set_pid(getpid());
    self = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  } else {
    answer.set_error(fits ? "a malformed request"
                          : "a request of " + std::to_string(got) + " bytes, over the spare's " +
                                std::to_string(buffer.size()));
  }
  // First the agent, which waits for the answer, then the zygote, which forks the next spare.
  bool answered = sendAnswer(agentFd, answer, self);
  if (self >= 0) close(self);
  char byte = 1;
  (void)!write(takenFd, &byte, 1);
  close(takenFd);
  if (!parsed || !answered) {
    return std::nullopt;  // Unanswered, the task is not ours to run: the agent spawns it.
  }
  return std::vector<std::string>(request.arguments().begin(), request.arguments().end());
}

StatusOr<std::vector<char*>> becomeHandedExecutor(int argc, char** argv,
                                                  const std::vector<std::string>& args) {
  AGORA_RETURN_IF_ERROR(redirectInto(flagValue(args, "sandbox")));
  if (argc < 1 || args.empty()) {
    return Status::invalid("an empty command line was handed to the executor zygote");
  }
  // The kernel lays the arguments out one after another; /proc/<pid>/cmdline shows that area.
  char* begin = argv[0];
  for (int i = 1; i < argc; ++i) {
    if (argv[i] != argv[i - 1] + std::strlen(argv[i - 1]) + 1) {
      return Status::error(StatusCode::kInternal,
                           "the executor zygote's arguments are not contiguous");
    }
  }
  char* end = argv[argc - 1] + std::strlen(argv[argc - 1]) + 1;
  size_t needed = 0;
  for (const std::string& arg : args) needed += arg.size() + 1;
  if (needed > static_cast<size_t>(end - begin)) {
    return Status::invalid("the handed command line (" + std::to_string(needed) +
                           " bytes) does not fit the executor zygote's (" +
                           std::to_string(end - begin) + " bytes)");
  }
  std::memset(begin, 0, static_cast<size_t>(end - begin));
  std::vector<char*> rewritten;
  char* at = begin;
  for (const std::string& arg : args) {
    std::memcpy(at, arg.c_str(), arg.size() + 1);
    rewritten.push_back(at);
    at += arg.size() + 1;
  }
  rewritten.push_back(nullptr);
  return rewritten;
}

}  // namespace agora::slave
