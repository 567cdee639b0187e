// Reads a container's memory cgroup: its limit and whether the kernel OOM-killed in it.
//
// runc puts a container with an absolute `cgroupsPath` P at `<mount>/P`: on cgroup v1 (and
// hybrid hosts, where memory is a v1 controller) under each controller's hierarchy, e.g.
// `/sys/fs/cgroup/memory/P`; on v2 at `/sys/fs/cgroup/P`. P is relative to the hierarchy's
// root, not to the agent's own cgroup. The files exist from `Runc::create()` until
// `Runc::remove()`, so an OOM kill must be read after the init exits and before removal.
//
// Functions only; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "common/base/status.hpp"

namespace agora::slave::oci {

enum class CgroupLayout {
  kV1,  // Per-controller hierarchies (including hybrid hosts).
  kV2,  // The unified hierarchy only.
};

// Finds how cgroups are mounted under `root`. Errors: kNotFound if no memory controller.
StatusOr<CgroupLayout> detectCgroupLayout(const std::string& root = "/sys/fs/cgroup");

// The directory holding the memory controller's files for `cgroupsPath`.
std::string memoryCgroupDir(CgroupLayout layout, const std::string& cgroupsPath,
                            const std::string& root = "/sys/fs/cgroup");

// The memory limit in bytes (`memory.limit_in_bytes` or `memory.max`; "max" reads as
// UINT64_MAX). Errors: kIoError if the cgroup is gone.
StatusOr<uint64_t> memoryLimit(CgroupLayout layout, const std::string& cgroupsPath,
                               const std::string& root = "/sys/fs/cgroup");

// How many processes the kernel's OOM killer killed in the cgroup (the `oom_kill` line of
// `memory.oom_control` on v1, of `memory.events` on v2).
StatusOr<uint64_t> oomKillCount(CgroupLayout layout, const std::string& cgroupsPath,
                                const std::string& root = "/sys/fs/cgroup");

// What a container's cgroups say it used (Mesos' ResourceStatistics fields).
struct ContainerUsage {
  double cpusUserTimeSecs = 0;
  double cpusSystemTimeSecs = 0;
  double cpusLimit = 0;  // From the CFS quota; 0 when unlimited.
  uint64_t memRssBytes = 0;
  uint64_t memTotalBytes = 0;  // Everything charged to it, page cache included.
  uint64_t memLimitBytes = 0;
};
// Errors: kIoError if the container's cgroups are gone.
StatusOr<ContainerUsage> containerUsage(CgroupLayout layout, const std::string& cgroupsPath,
                                        const std::string& root = "/sys/fs/cgroup");

}  // namespace agora::slave::oci
