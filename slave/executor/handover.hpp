// The executor's half of `ExecutorZygote` (slave/executor_zygote.hpp): a zygote started
// with `--zygote` keeps a forked spare waiting for a command line on stdin, and the spare
// becomes the executor that command line describes, as if it had been spawned with it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::slave {

// The zygote's loop: keeps one spare executor forked and waiting for a command line on
// `agentFd` (the zygote's end of a SOCK_SEQPACKET socket from the agent), and forks the next
// when it has taken one (at once: while it waits, requests queue). Returns in each spare, in a
// session of its own, with the write end of a pipe for awaitCommandLine(). In the zygote, returns
// nullopt once the agent went away. Spares are reaped by the kernel (SIGCHLD is ignored in the
// zygote, and set back to default in each spare). A spare that exits without a task is replaced
// after a second. REQUIRES: the process is single threaded (fork copies only the calling thread);
// returns nullopt at once, saying so on stderr, if it is not.
std::optional<int> forkSpares(int agentFd);

// In a spare: waits for one `ZygoteRequest`, answers it (its pid and a pidfd of itself, or
// why it refuses), then tells the zygote it was taken (through `takenFd`, which it closes).
// Returns the request's command line; nullopt when the agent went away, the request was
// refused (too long, malformed), or the answer could not be sent: the spare must then exit
// without running anything (the agent does not count on it).
std::optional<std::vector<std::string>> awaitCommandLine(int agentFd, int takenFd);

// Becomes the executor of `args`: rewrites this process's argument area (`argv[0]` to the
// end of `argv[argc - 1]`, which must be contiguous) to hold `args`, so /proc/self/cmdline
// shows them; sends stdout and stderr to `<sandbox>/executor.log` and stdin to /dev/null;
// moves into the sandbox (`--sandbox=` in `args`). Returns the new argv (null-terminated,
// pointing into the rewritten area). Output goes to the log before anything can fail, so
// the error is logged there.
StatusOr<std::vector<char*>> becomeHandedExecutor(int argc, char** argv,
                                                  const std::vector<std::string>& args);

}  // namespace agora::slave
