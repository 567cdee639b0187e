#include "slave/executor/command_launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <vector>

#include "slave/executor/task_environment.hpp"

namespace agora::slave {

namespace {

// Finds `program` in `path` like execvp would, with the task's PATH (not ours).
std::string resolveProgram(const std::string& program, const std::string& path) {
  if (program.find('/') != std::string::npos) {
    return program;
  }
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return program;  // exec fails with ENOENT, reported as such.
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

}  // namespace

StatusOr<LaunchedCommand> launchCommand(const v1::CommandInfo& command, const std::string& sandbox,
                                        const std::map<std::string, std::string>& env) {
  bool shell = !command.has_shell() || command.shell();
  std::vector<std::string> args;
  std::string program;
  if (shell) {
    program = "/bin/sh";
    args = {"sh", "-c", command.value()};
  } else {
    auto path = env.find("PATH");
    program = resolveProgram(command.value(), path == env.end() ? "" : path->second);
    args.assign(command.arguments().begin(), command.arguments().end());
    if (args.empty()) {
      args.push_back(command.value());
    }
  }
  if (program.empty()) {
    return Status::notFound("empty command: " + std::string(std::strerror(ENOENT)));
  }
  std::vector<std::string> envStrings = toEnvStrings(env);
  std::vector<char*> argv = pointers(args);
  std::vector<char*> envp = pointers(envStrings);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  std::string out = sandbox + "/stdout";
  std::string err = sandbox + "/stderr";
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawn_file_actions_addchdir_np(&actions, sandbox.c_str());
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  sigset_t defaults;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    // glibc reports the exec's errno here (ENOENT, EACCES, ENOEXEC...), and also errors
    // of the file actions (a sandbox that is not writable).
    if (rc == ENOENT || rc == EACCES || rc == ENOEXEC || rc == ENOTDIR || rc == ELOOP) {
      return Status::notFound("Failed to execute '" + program + "': " + std::strerror(rc));
    }
    return Status::io("Failed to start '" + program + "': " + std::strerror(rc));
  }
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int saved = errno;
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return Status::io(std::string("pidfd_open failed: ") + std::strerror(saved));
  }
  return LaunchedCommand{pid, pidfd};
}

ExitDescription describeWaitStatus(int status) {
  ExitDescription out;
  if (WIFEXITED(status)) {
    out.exitCode = WEXITSTATUS(status);
    out.success = out.exitCode == 0;
    out.message = "Command exited with status " + std::to_string(out.exitCode);
  } else if (WIFSIGNALED(status)) {
    out.exitCode = 128 + WTERMSIG(status);
    out.message = "Command terminated by signal " + std::to_string(WTERMSIG(status));
  } else {
    out.exitCode = -1;
    out.message = "Command ended with wait status " + std::to_string(status);
  }
  return out;
}

}  // namespace agora::slave
