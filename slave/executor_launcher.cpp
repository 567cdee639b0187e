#include "slave/executor_launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

extern char** environ;

namespace agora::slave {

namespace {

// Owns the posix_spawn attribute objects so every exit path frees them.
struct SpawnConfig {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnConfig() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnConfig() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

std::vector<std::string> executorArguments(const ExecutorLaunch& launch) {
  return {
      launch.executorPath,
      "--agent_endpoint=" + launch.agentEndpoint,
      "--framework_id=" + launch.frameworkId,
      "--task_id=" + launch.taskId,
      "--sandbox=" + launch.sandbox,
      "--task_path=" + launch.taskPath,
      "--hostname=" + launch.hostname,
      "--image_store=" + launch.imageStore,
      "--runc_root=" + launch.runcRoot,
      "--cni_dir=" + launch.cniDir,
      "--insecure_registries=" + launch.insecureRegistries,
      "--registry_credentials=" + launch.registryCredentials,
      "--image_store_max_mb=" + std::to_string(launch.imageStoreMaxMb),
      std::string("--copy_rootfs=") + (launch.copyRootfs ? "true" : "false"),
      "--allowed_host_paths=" + launch.allowedHostPaths,
      "--pod_dir=" + launch.podDir,
      "--logtostderr=1",
  };
}

StatusOr<pid_t> spawnSessionLeader(const std::vector<std::string>& args, const SpawnIo& io) {
  const std::string& path = args.at(0);
  if (access(path.c_str(), X_OK) != 0) {
    return Status::notFound("executor binary '" + path +
                            "' is not executable: " + std::strerror(errno));
  }
  std::vector<char*> argv;
  for (const std::string& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);

  SpawnConfig config;
  if (io.stdinFd >= 0) {
    posix_spawn_file_actions_adddup2(&config.actions, io.stdinFd, 0);
  } else {
    posix_spawn_file_actions_addopen(&config.actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_addopen(&config.actions, 1, io.outputPath.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&config.actions, 1, 2);
  posix_spawn_file_actions_addclosefrom_np(&config.actions, 3);
  posix_spawn_file_actions_addchdir_np(&config.actions, io.workingDir.c_str());
  // The agent may block signals in its threads; the executor starts with a clean mask.
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&config.attr, &empty);
  // The agent ignores SIGPIPE, and ignored signals survive exec.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&config.attr, &defaults);
  posix_spawnattr_setflags(&config.attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> envp;
  for (char** entry = environ; *entry != nullptr; ++entry) envp.push_back(*entry);
  for (const std::string& entry : io.extraEnvironment) {
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, path.c_str(), &config.actions, &config.attr, argv.data(), envp.data());
  if (rc != 0) {
    return Status::io("cannot spawn executor '" + path + "': " + std::strerror(rc));
  }
  return pid;
}

StatusOr<pid_t> spawnExecutor(const ExecutorLaunch& launch) {
  return spawnSessionLeader(
      executorArguments(launch),
      SpawnIo{.outputPath = launch.sandbox + "/executor.log", .workingDir = launch.sandbox});
}

bool executorAlive(pid_t pid, const std::string& taskId) {
  if (pid <= 0 || kill(pid, 0) != 0) {
    return false;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string needle = "--task_id=" + taskId;
  // Arguments are NUL-separated; match a whole argument.
  size_t at = cmdline.find(needle);
  while (at != std::string::npos) {
    size_t end = at + needle.size();
    if ((at == 0 || cmdline[at - 1] == '\0') && (end == cmdline.size() || cmdline[end] == '\0')) {
      // A zombie has an empty cmdline, so reaching here means it is really running.
      return true;
    }
    at = cmdline.find(needle, at + 1);
  }
  return false;
}

}  // namespace agora::slave
