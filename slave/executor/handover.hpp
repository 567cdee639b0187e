// The executor's half of `ExecutorStandby` (slave/executor_standby.hpp): a spare started
// with `--standby` waits for its command line on stdin and then becomes the executor that
// command line describes, as if it had been spawned with it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::slave {

// Reads NUL-separated arguments from `fd` until end of file. nullopt when the file ends
// with nothing in it (the agent went away) or cannot be read.
std::optional<std::vector<std::string>> readHandedCommandLine(int fd);

// Becomes the executor of `args`: rewrites this process's argument area (`argv[0]` to the
// end of `argv[argc - 1]`, which must be contiguous) to hold `args`, so /proc/self/cmdline
// shows them; sends stdout and stderr to `<sandbox>/executor.log` and stdin to /dev/null;
// moves into the sandbox (`--sandbox=` in `args`). Returns the new argv (null-terminated,
// pointing into the rewritten area). Output goes to the log before anything can fail, so
// the error is logged there.
StatusOr<std::vector<char*>> becomeHandedExecutor(int argc, char** argv,
                                                  const std::vector<std::string>& args);

}  // namespace agora::slave
