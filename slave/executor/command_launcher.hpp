// Starts a task's command: `/bin/sh -c value` for shell commands, else `value` executed
// with `arguments` as its argv (argv[0] included, as in Mesos; `value` is looked up in
// the task's PATH when it has no '/'). The child runs in the sandbox as its cwd, in its
// own process group (so a kill reaches every process it started), with stdout and stderr
// appended to `<sandbox>/stdout` and `<sandbox>/stderr`, and no other inherited fds.
//
// Thread-safety: thread-safe (uses `posix_spawn`, no shared state).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "agora/v1/common.pb.h"
#include "common/base/status.hpp"

namespace agora::slave {

struct LaunchedCommand {
  pid_t pid = -1;
  // A pidfd (pidfd_open) that becomes readable when the child exits. Owned by the caller.
  int pidfd = -1;
};

// Errors: kNotFound when the program cannot be executed (the message names the errno, e.g.
// "No such file or directory"); kIoError for anything else (sandbox files, spawn).
StatusOr<LaunchedCommand> launchCommand(const v1::CommandInfo& command, const std::string& sandbox,
                                        const std::map<std::string, std::string>& env);

// Describes a `waitpid` status: exit code (or 128 + signal), and the message the task
// status carries ("Command exited with status N" / "Command terminated by signal S").
struct ExitDescription {
  int exitCode = 0;
  bool success = false;
  std::string message;
};
ExitDescription describeWaitStatus(int status);

}  // namespace agora::slave
