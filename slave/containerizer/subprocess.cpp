#include "slave/containerizer/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace agora::slave::oci {
namespace {

// Reads `out` and `err` until both reach end of file, without letting either pipe fill up.
void drain(int out, int err, std::string& outText, std::string& errText) {
  std::array<pollfd, 2> fds{{{out, POLLIN, 0}, {err, POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&outText, &errText};
  int open = 2;
  while (open > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, n);
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;  // poll() ignores negative fds.
        --open;
      }
    }
  }
}

}  // namespace

void Fd::reset() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = -1;
}

// Reading PATH here is deliberate: "runc on PATH" is the documented default.
std::optional<std::string> findOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(
      path != nullptr ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

StatusOr<pid_t> spawn(const std::vector<std::string>& argv, const std::array<int, 3>& stdio,
                      const std::map<std::string, std::string>& env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int target = 0; target < 3; ++target) {
    posix_spawn_file_actions_adddup2(&actions, stdio[target], target);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  std::vector<std::string> envText;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    if (!env.count(text.substr(0, text.find('=')))) envText.push_back(text);
  }
  for (const auto& [name, value] : env) envText.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& entry : envText) envp.push_back(entry.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Status::io("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return pid;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

StatusOr<ProcessOutput> runProcess(const std::vector<std::string>& argv, const std::string& input,
                                   const std::map<std::string, std::string>& env) {
  int outPipe[2];
  int errPipe[2];
  int inPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0 ||
      ::pipe2(inPipe, O_CLOEXEC) != 0) {
    return Status::io(std::string("pipe: ") + std::strerror(errno));
  }
  Fd outRead(outPipe[0]), outWrite(outPipe[1]);
  Fd errRead(errPipe[0]), errWrite(errPipe[1]);
  Fd inRead(inPipe[0]), inWrite(inPipe[1]);
  Fd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  StatusOr<pid_t> pid = spawn(
      argv, {input.empty() ? devNull.get() : inRead.get(), outWrite.get(), errWrite.get()}, env);
  if (!pid.isOk()) {
    return pid.status();
  }
  outWrite.reset();  // Only the child writes; our copies would keep the pipes open forever.
  errWrite.reset();
  inRead.reset();
  // Small inputs (configs) fit the pipe's buffer: written before reading the outputs.
  for (size_t written = 0; written < input.size();) {
    ssize_t n = ::write(inWrite.get(), input.data() + written, input.size() - written);
    if (n <= 0 && errno != EINTR) break;
    if (n > 0) written += static_cast<size_t>(n);
  }
  inWrite.reset();
  ProcessOutput output;
  drain(outRead.get(), errRead.get(), output.out, output.err);
  output.exitCode = reap(*pid);
  return output;
}

}  // namespace agora::slave::oci
