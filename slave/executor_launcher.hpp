// Spawning `agora-executor` processes, and watching whether they still live.
//
// An executor runs in its own session (`setsid`), with no inherited descriptors and its
// output in `<sandbox>/executor.log`, so that an agent killed with -9 leaves it running:
// it reconnects to the restarted agent. `posix_spawn` is used because the agent is
// multithreaded (ZeroMQ, RocksDB, HTTP) and must not run arbitrary code after `fork()`.
//
// Thread-safety: the functions are thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::slave {

struct ExecutorLaunch {
  std::string executorPath = {};
  std::string agentEndpoint = {};
  std::string frameworkId = {};
  std::string taskId = {};
  std::string sandbox = {};
  // The serialized `TaskInfo` the executor reads (`<sandbox>/task.pb`).
  std::string taskPath = {};
  std::string hostname = {};
  // For tasks with an image (the `oci` containerizer).
  std::string imageStore = {};
  std::string runcRoot = {};
  std::string cniDir = {};
  std::string insecureRegistries = {};  // Comma-separated.
  std::string registryCredentials = {};
  int64_t imageStoreMaxMb = 0;
  bool copyRootfs = false;
  std::string allowedHostPaths = {};  // Comma-separated.
  std::string podDir = {};            // Set for a task of a pod (`podPath`).
};

// The executor's command line for `launch` (argv[0] is the binary).
std::vector<std::string> executorArguments(const ExecutorLaunch& launch);

// Where a spawned executor's standard streams and working directory are.
struct SpawnIo {
  int stdinFd = -1;        // Becomes its stdin; -1 for /dev/null.
  std::string outputPath;  // Its stdout and stderr, appended to.
  std::string workingDir;
  std::vector<std::string> extraEnvironment = {};  // NAME=VALUE, added to the agent's.
};

// Spawns `args` in a session of its own with no other inherited descriptors. The error
// names the cause (missing binary, ...).
StatusOr<pid_t> spawnSessionLeader(const std::vector<std::string>& args, const SpawnIo& io);

// Writes nothing; spawns the executor for `launch`, its output in `<sandbox>/executor.log`.
StatusOr<pid_t> spawnExecutor(const ExecutorLaunch& launch);

// True when `pid` is alive and is the executor of `taskId` (its command line says so), so
// a recycled pid is not mistaken for the executor.
bool executorAlive(pid_t pid, const std::string& taskId);

}  // namespace agora::slave
