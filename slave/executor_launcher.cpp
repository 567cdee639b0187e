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

StatusOr<pid_t> spawnExecutor(const ExecutorLaunch& launch) {
  if (access(launch.executorPath.c_str(), X_OK) != 0) {
    return Status::notFound("executor binary '" + launch.executorPath +
                            "' is not executable: " + std::strerror(errno));
  }
  std::vector<std::string> args = {
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
  std::vector<char*> argv;
  for (auto& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);

  SpawnConfig config;
  std::string log = launch.sandbox + "/executor.log";
  posix_spawn_file_actions_addopen(&config.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&config.actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&config.actions, 1, 2);
  posix_spawn_file_actions_addclosefrom_np(&config.actions, 3);
  posix_spawn_file_actions_addchdir_np(&config.actions, launch.sandbox.c_str());
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

  pid_t pid = 0;
  int rc = posix_spawn(&pid, launch.executorPath.c_str(), &config.actions, &config.attr,
                       argv.data(), environ);
  if (rc != 0) {
    return Status::io("cannot spawn executor '" + launch.executorPath + "': " + std::strerror(rc));
  }
  return pid;
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
