// Command-line parsing of `agora` (a tiny hand parser: positional subcommands and a `--`
// separator do not fit gflags). Pure, so it is unit-tested directly.
//
//   agora [--master=HOST:PORT] COMMAND [OPTIONS]
//   agora run [--name N] [--cpus C] [--mem M] [--env K=V]... [--role R] [--fetch URI]...
//             -- CMD ARGS...
//   agora agents | frameworks | tasks [--json]
//   agora logs TASK_ID [--stderr] [-f]
//
// Options take their value as `--opt=V` or `--opt V`, and may appear anywhere before `--`.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/base/status.hpp"

namespace agora::cli {

struct RunArgs {
  std::string name = "agora-run";
  double cpus = 0.1;
  double mem = 32;
  std::vector<std::pair<std::string, std::string>> env;
  std::string role = "*";
  std::string image;             // Empty: a plain process; else runs in this image.
  std::string network = "host";  // "host" or "bridge" (with an image).
  // URIs fetched into the sandbox before the command starts (CommandInfo.uris).
  std::vector<std::string> fetch;
  std::vector<std::string> command;  // Program and arguments, as given after `--`.
};

struct LogsArgs {
  std::string taskId;
  bool stderrFile = false;
  bool follow = false;
};

// `agora image import PATH`: an OCI image layout into an agent's image store, on the
// agent's host (for hosts that cannot reach a registry).
struct ImageArgs {
  std::string action;  // "import"
  std::string path;
  std::string name;                          // The image in the layout (empty: its only one).
  std::string as;                            // The reference tasks will use (default: name).
  std::string workDir = "/tmp/agora-agent";  // The agent's --work_dir.
};

struct CliArgs {
  std::string master;   // Empty: $AGORA_MASTER or 127.0.0.1:5050.
  std::string command;  // "run", "agents", "frameworks", "tasks", "logs", "image" or "help".
  RunArgs run;
  LogsArgs logs;
  ImageArgs image;
  bool json = false;
};

// `args` excludes argv[0]. Errors say what is wrong in words for the user.
StatusOr<CliArgs> parseArgs(const std::vector<std::string>& args);

// The usage text printed by `agora help` and after a parse error.
std::string usage();

}  // namespace agora::cli
