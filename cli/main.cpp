// `agora`: the command-line client of an Agora cluster. See cli/args.hpp for the grammar.
#include <glog/logging.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "common/http/http.hpp"

int main(int argc, char** argv) {
  // The SDK logs through glog for operators; the CLI words its own errors for people.
  FLAGS_minloglevel = google::GLOG_FATAL;
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  std::vector<std::string> words(argv + 1, argv + argc);
  auto args = agora::cli::parseArgs(words);
  if (!args.isOk()) {
    std::fprintf(stderr, "agora: %s\n\n%s", args.status().message().c_str(),
                 agora::cli::usage().c_str());
    return 2;
  }
  if (args->command == "help") {
    std::fputs(agora::cli::usage().c_str(), stdout);
    return 0;
  }
  if (args->command == "image") {
    return agora::cli::imageCommand(*args);
  }
  std::string masterText = agora::masterAddressFromFlagOrEnv(args->master);
  auto master = agora::parseHostPort(masterText);
  if (!master.isOk()) {
    return agora::cli::fail(master.status().message());
  }
  agora::cli::Cluster cluster(*master);
  if (args->command == "run") {
    return agora::cli::runCommand(*args, cluster);
  }
  if (args->command == "logs") {
    return agora::cli::logsCommand(*args, cluster);
  }
  return agora::cli::listCommand(*args, cluster);
}
