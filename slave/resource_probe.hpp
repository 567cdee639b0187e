// Finds out what this host offers: the agent's total `Resources`.
//
// Pure functions over the host's files (`/proc/meminfo`, `statvfs`), safe from any thread.
// Detection rules, kept simple on purpose:
//   cpus  = the number of online processors (`nproc`),
//   mem   = MemTotal - 1 GiB, but at least half of MemTotal (MB),
//   disk  = size of the work_dir filesystem - 5 GiB, floored at 0 (MB),
//   ports = [31000-32000].
// An explicit `--resources` text replaces detection entirely (no merging).
#pragma once

#include <string>

#include "common/base/status.hpp"
#include "common/resources/resources.hpp"

namespace agora::slave {

// Detected resources for an agent whose work_dir is `workDir` (which must exist).
StatusOr<Resources> probeResources(const std::string& workDir);

// `flagText` parsed when non-empty, else `probeResources(workDir)`.
StatusOr<Resources> agentResources(const std::string& flagText, const std::string& workDir);

}  // namespace agora::slave
