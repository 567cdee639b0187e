// `AgentOptions`: the agent's configuration, read once from the command line by
// `slave/flags.cpp` and passed to constructors (libraries never read `FLAGS_*`).
//
// A plain aggregate; thread-compatible. Also holds the small pure helpers that derive
// paths from the options, so the agent and the tests agree on the on-disk layout.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "common/http/http.hpp"

namespace agora::slave {

struct AgentOptions {
  // The master's HTTP address (`GET /master/endpoint` finds its ZeroMQ endpoint).
  HostPort master{"127.0.0.1", 5050};
  // Where the agent's HTTP API listens, and what it tells the master about itself.
  std::string ip = "127.0.0.1";
  int port = 5051;
  std::string hostname;
  // Absolute. Holds `checkpoint/` (RocksDB), `sandboxes/` and usually `executors.sock`.
  std::string workDir;
  // Mesos text forms; an empty `resources` means "detect" (see resource_probe.hpp).
  std::string resources;
  std::string attributes;
  std::string domain;  // JSON, see parseDomain().
  std::string executorPath;
  // Fork executors from a preloaded one instead of starting each (see executor_zygote.hpp).
  bool executorZygote = true;
  // After a restart, how long checkpointed executors get to subscribe again.
  std::chrono::duration<double> executorReregisterTimeout{5.0};
  // How long a registering agent waits for an answer before it rediscovers the master.
  std::chrono::duration<double> registrationRetry{1.0};
  // "oci" and/or "posix" (see --containerizers).
  std::set<std::string> containerizers{"oci", "posix"};
  // Comma-separated host:port list, handed to executors (pulls over plain HTTP).
  std::string insecureRegistries;
  // A Docker config.json with registry credentials (read by executors before a pull).
  std::string registryCredentials;
  // The image store is collected down to this after each pull (0: never).
  int64_t imageStoreMaxMb = 10240;
  // Containers' rootfs copied from the image even where overlayfs could mount it.
  bool copyRootfs = false;
  // Comma-separated host directories container volumes may mount (empty: none).
  std::string allowedHostPaths;
  // host-local's address leases for the bridge network. The bridge (agora0, 10.88.0.0/16)
  // is one per host, so its leases must be too: agents on one host that kept their own
  // would hand the same address to two containers.
  std::string cniLeaseDir = "/run/agora/cni";
  // Every flag as text, for `GET /flags`.
  std::map<std::string, std::string> flagValues;
};

// "oci,posix" -> {"oci", "posix"}; unknown names and an empty list are errors.
StatusOr<std::set<std::string>> parseContainerizers(const std::string& text);
// The agent's image store and runc state directories under its work dir.
std::string imageStorePath(const std::string& workDir);
std::string runcRootPath(const std::string& workDir);

// `ipc://<work_dir>/executors.sock`, or, when that path would not fit in a unix socket
// address (about 107 bytes), `ipc:///tmp/agora-executors-<fnv1a64(work_dir) hex>.sock`.
// Deterministic, so a restarted agent binds the endpoint its executors reconnect to.
std::string executorEndpoint(const std::string& workDir);

// `<work_dir>/sandboxes`, and the sandbox of one task inside it.
std::string sandboxesRoot(const std::string& workDir);
std::string sandboxPath(const std::string& workDir, const std::string& frameworkId,
                        const std::string& taskId);

// `<work_dir>/pods/<framework id>/<executor id>`: what the tasks of one pod
// share.
std::string podPath(const std::string& workDir, const std::string& frameworkId,
                    const std::string& executorId);

// `<work_dir>/volumes/roles/<role>/<persistence id>`: where a persistent
// volume's data lives (Mesos' layout). A hierarchical role ("eng/web") becomes
// nested directories.
std::string volumePath(const std::string& workDir, const std::string& role,
                       const std::string& persistenceId);
// True when `role` and `persistenceId` make a path that stays under
// `volumes/roles/`.
bool isSafeVolumePath(const std::string& role, const std::string& persistenceId);

// True when `id` can be used as one path component (and in a checkpoint key): non-empty,
// no '/', not "." or "..", no NUL.
bool isSafePathComponent(const std::string& id);

}  // namespace agora::slave
