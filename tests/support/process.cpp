#include "tests/support/process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace agora::testing {

std::unique_ptr<Process> Process::spawn(const std::vector<std::string>& argv,
                                        const std::string& logPath,
                                        const std::map<std::string, std::string>& env,
                                        const std::string& errPath) {
  pid_t pid = fork();
  if (pid < 0) {
    return nullptr;
  }
  if (pid == 0) {
    setpgid(0, 0);
    int fd = open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    if (!errPath.empty()) {
      int err = open(errPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (err >= 0) {
        dup2(err, 2);
        close(err);
      }
    }
    for (const auto& [key, value] : env) {
      setenv(key.c_str(), value.c_str(), 1);
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return std::unique_ptr<Process>(new Process(pid, logPath));
}

Process::~Process() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

void Process::signal(int sig) {
  if (!status_) {
    ::kill(pid_, sig);
  }
}

std::optional<int> Process::poll() {
  if (status_) {
    return status_;
  }
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return status_;
}

std::optional<int> Process::waitFor(double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!poll() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // Polling a condition.
  }
  return status_;
}

std::string Process::log() const {
  std::ifstream in(logPath_);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace agora::testing
