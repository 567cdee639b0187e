// agora-services' command line, read once into `ServicesOptions` (flags are defined only in
// flags.cpp). Names follow Marathon's where it has them.
#pragma once

#include <string>

#include "common/base/status.hpp"

namespace agora::services {

struct ServicesOptions {
  std::string master;  // "host:port" of the agora master's HTTP API.
  std::string httpAddress = "0.0.0.0";
  int httpPort = 8080;
  std::string workDir;  // RocksDB state lives in <work_dir>/state.
  std::string frameworkName = "marathon";
  double failoverTimeout = 604800;  // Marathon's default: one week.
  std::string role = "*";           // --mesos_role: the role the framework subscribes as.
};

// Errors: a missing --work_dir or a port out of range.
StatusOr<ServicesOptions> servicesOptionsFromFlags();

}  // namespace agora::services
