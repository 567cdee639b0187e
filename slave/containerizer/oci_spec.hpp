// The OCI runtime spec (`config.json`) for one Agora task, built from a plain struct.
//
// `buildOciSpec()` is a pure function: it validates a `ContainerConfig` and returns the JSON
// document `runc` reads from a bundle directory. The result follows `runc spec`'s defaults
// (capabilities, masked and read-only paths, standard mounts, no new privileges) and adds
// what an Agora task needs: its own pid, mount, ipc and uts namespaces (and network, unless
// host networking), cgroup limits derived from the task's resources, and the task sandbox
// bind-mounted read-write into the container.
//
// Thread-safe (no state).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::slave::oci {

// A bind mount from the host into the container.
struct Mount {
  std::string source = {};       // Absolute host path.
  std::string destination = {};  // Absolute path inside the container.
  bool readOnly = false;
};

struct ContainerConfig {
  std::string rootfs = {};  // Absolute host path of the root filesystem.
  bool readOnlyRootfs = false;

  std::vector<std::string> args = {};  // The command; `args[0]` is looked up on the env's PATH.
  std::vector<std::string> env = {};   // `KEY=VALUE`; a default PATH is added when absent.
  std::string cwd = "/";               // Absolute path inside the container.
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string hostname = {};  // Empty: keep the name the new uts namespace starts with.

  double cpus = 0;          // > 0; becomes cpu shares and a CFS quota.
  uint64_t memBytes = 0;    // > 0; the memory cgroup limit.
  int64_t pidsLimit = -1;   // > 0, or -1 for no limit.
  bool hostNetwork = true;  // false: a network namespace of its own (see below).
  // With `hostNetwork` false: join this existing namespace (e.g. /var/run/netns/<id>, set
  // up by CNI) instead of a new one with only loopback.
  std::string networkNamespacePath = {};

  std::string sandboxHostPath = {};       // Absolute; mounted read-write at the path below.
  std::string sandboxContainerPath = {};  // Absolute path inside the container.
  std::vector<Mount> extraMounts = {};

  // Absolute cgroup path (e.g. `/agora/<containerId>`), the same under every v1 hierarchy or
  // under the v2 root. Agora always sets one so it knows where to read usage and OOM events.
  std::string cgroupsPath = {};
};

// CFS period used for every container, in microseconds.
inline constexpr uint64_t kCfsPeriodUs = 100000;
// The smallest CFS quota we set: the kernel's minimum is 1 ms.
inline constexpr int64_t kMinCfsQuotaUs = 1000;
// The smallest cpu shares value the kernel accepts.
inline constexpr uint64_t kMinCpuShares = 2;

// Returns the OCI runtime spec for `config`, or kInvalidArgument naming the offending field
// (for example "args: must not be empty" or "rootfs: must be an absolute path").
StatusOr<nlohmann::json> buildOciSpec(const ContainerConfig& config);

}  // namespace agora::slave::oci
