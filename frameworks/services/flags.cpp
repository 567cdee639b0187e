#include "frameworks/services/flags.hpp"

#include <gflags/gflags.h>

#include "common/http/http.hpp"

DEFINE_string(master, "",
              "host:port of the agora master (default $AGORA_MASTER or 127.0.0.1:5050)");
DEFINE_string(http_address, "0.0.0.0", "address the REST API listens on");
DEFINE_int32(http_port, 8080, "port of the REST API (Marathon's default 8080)");
DEFINE_string(work_dir, "", "directory for agora-services' state (RocksDB); required");
DEFINE_string(framework_name, "marathon", "framework name registered with the master");
DEFINE_double(failover_timeout, 604800,
              "seconds the master keeps the framework's tasks while agora-services is away");

DEFINE_string(mesos_role, "*",
              "role agora-services subscribes as (Marathon's --mesos_role): resources reserved "
              "to it are offered to it, and used before unreserved ones");

namespace agora::services {

StatusOr<ServicesOptions> servicesOptionsFromFlags() {
  if (FLAGS_work_dir.empty()) {
    return Status::invalid("--work_dir is required (agora-services keeps its apps there)");
  }
  if (FLAGS_mesos_role.empty() || FLAGS_mesos_role.find_first_of(" \t/") == 0) {
    return Status::invalid("--mesos_role must be a role name such as '*' or 'eng'");
  }
  if (FLAGS_http_port <= 0 || FLAGS_http_port > 65535) {
    return Status::invalid("--http_port must be between 1 and 65535");
  }
  return ServicesOptions{.master = masterAddressFromFlagOrEnv(FLAGS_master),
                         .httpAddress = FLAGS_http_address,
                         .httpPort = FLAGS_http_port,
                         .workDir = FLAGS_work_dir,
                         .frameworkName = FLAGS_framework_name,
                         .failoverTimeout = FLAGS_failover_timeout,
                         .role = FLAGS_mesos_role};
}

}  // namespace agora::services
