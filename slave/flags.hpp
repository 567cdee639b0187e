// The agent's command line: the only place its gflags are defined and read.
// Call once from `main()` after `gflags::ParseCommandLineFlags`. Not thread-safe.
#pragma once

#include "common/base/status.hpp"
#include "slave/options.hpp"

namespace agora::slave {

// Builds the options from the parsed flags (and $AGORA_MASTER for a missing --master).
// Errors name the flag at fault.
StatusOr<AgentOptions> optionsFromFlags();

}  // namespace agora::slave
