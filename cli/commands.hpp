// The `agora` subcommands. Each prints its own human-readable errors ("agora: ...") to
// stderr and returns the process exit status.
#pragma once

#include "cli/args.hpp"
#include "cli/cluster.hpp"

namespace agora::cli {

// agents | frameworks | tasks [--json]
int listCommand(const CliArgs& args, const Cluster& cluster);
// logs TASK_ID [--stderr] [-f]
int imageCommand(const CliArgs& args);
int logsCommand(const CliArgs& args, const Cluster& cluster);
// run [...] -- CMD ARGS...
int runCommand(const CliArgs& args, const Cluster& cluster);

// Prints "agora: <message>" to stderr and returns 1.
int fail(const std::string& message);

}  // namespace agora::cli
