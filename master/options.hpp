// The master's configuration, read once from flags in `main.cpp` (see flags.cpp).
#pragma once

#include <map>
#include <string>

#include "agora/v1/common.pb.h"
#include "common/base/duration.hpp"

namespace agora::master {

struct MasterOptions {
  std::string ip = "127.0.0.1";
  int port = 5050;  // HTTP.
  // 0: reuse the port recorded in the registry, else any free port.
  int zmqPort = 0;
  std::string workDir = "/var/lib/agora/master";
  std::string hostname;  // Defaults to `ip`.
  // An agent silent for `agentPingTimeout * maxAgentPingTimeouts` is unreachable.
  Seconds agentPingTimeout{5};
  int maxAgentPingTimeouts = 3;
  // How long after a master restart an agent of the registry may take to re-register
  // before its tasks are reported unreachable.
  Seconds agentReregisterTimeout{60};
  Seconds frameworkHeartbeatInterval{2};
  // 0 disables offer timeouts.
  Seconds offerTimeout{0};
  // Periodic allocation pass (events trigger passes as well, at once).
  Seconds allocationInterval{1};
  // How long /state is written per loop turn (see StateAssembly).
  Seconds stateStep{0.004};
  int maxCompletedTasksPerFramework = 1000;
  int maxCompletedFrameworks = 50;
  // The web UI's static files; empty: see resolveWebuiDir (http_static.hpp).
  std::string webuiDir;
  // agora-services' REST API ("http://127.0.0.1:8080"), proxied at /services/v2/ for the
  // web UI; empty: no Services pages.
  std::string servicesUrl;
  // Role weights (from "role1=2,role2=3").
  std::map<std::string, double> weights;
  // The master's fault domain; agents in another region are "remote".
  v1::DomainInfo domain;
};

}  // namespace agora::master
