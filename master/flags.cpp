#include "master/flags.hpp"

#include <gflags/gflags.h>

#include <sstream>

#include "common/resources/domain.hpp"
#include "master/http_services_proxy.hpp"

DEFINE_string(ip, "127.0.0.1", "IP address to listen on (HTTP and ZeroMQ)");
DEFINE_int32(port, 5050, "HTTP port of the operator API; clients find the ZeroMQ endpoint there");
DEFINE_int32(zmq_port, 0,
             "ZeroMQ port for agents and frameworks (0: reuse the last one, else any free one)");
DEFINE_string(work_dir, "/var/lib/agora/master", "Directory of the registry (RocksDB)");
DEFINE_string(hostname, "", "Hostname to advertise (default: --ip)");
DEFINE_string(agent_ping_timeout, "5secs", "Heartbeat period expected from agents");
DEFINE_int32(max_agent_ping_timeouts, 3,
             "Heartbeat periods an agent may miss before it is unreachable");
DEFINE_string(agent_reregister_timeout, "60secs",
              "After a restart, how long agents of the registry have to re-register");
DEFINE_string(framework_heartbeat_interval, "2secs",
              "Heartbeat interval given to frameworks; 3 missed intervals disconnect them");
DEFINE_string(offer_timeout, "0secs", "Rescind offers not answered in this time (0: never)");
DEFINE_string(allocation_interval, "1secs",
              "Periodic allocation pass (events also trigger passes at once)");
DEFINE_int32(max_completed_tasks_per_framework, 1000, "Completed tasks kept per framework");
DEFINE_int32(max_completed_frameworks, 50, "Completed frameworks kept");
DEFINE_string(state_step, "4ms",
              "Time /state may be written per event-loop turn before other work runs "
              "(0ms: a few entities per turn)");
DEFINE_string(weights, "", "Role weights, e.g. 'eng=2,batch=1' (hierarchical: 'eng/web=3')");
DEFINE_string(domain, "",
              "The master's fault domain as JSON: "
              "{\"fault_domain\":{\"region\":{\"name\":\"r1\"},\"zone\":{\"name\":\"z1\"}}}; "
              "agents in other regions are offered only to REGION_AWARE frameworks");
DEFINE_string(webui_dir, "",
              "Directory of the web UI served at / (default: share/agora/webui next to the "
              "installed binary, else the source tree's webui/)");

DEFINE_string(services_url, "",
              "agora-services' REST API, e.g. http://127.0.0.1:8080: proxied at /services/v2/ "
              "for the web UI's Services pages (empty: no Services pages)");

namespace agora::master {
namespace {

Status readDuration(const std::string& name, const std::string& value, Seconds* out) {
  auto parsed = parseDuration(value);
  if (!parsed.isOk()) {
    return parsed.status().withContext("--" + name);
  }
  *out = *parsed;
  return Status::ok();
}

}  // namespace

StatusOr<std::map<std::string, double>> parseWeights(const std::string& text) {
  std::map<std::string, double> weights;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) {
      continue;
    }
    size_t eq = item.find('=');
    char* end = nullptr;
    double weight = eq == std::string::npos ? 0 : std::strtod(item.c_str() + eq + 1, &end);
    if (eq == std::string::npos || eq == 0 || end == item.c_str() + eq + 1 || *end != '\0' ||
        !(weight > 0)) {
      return Status::invalid("'" + item + "' is not role=weight with a positive weight");
    }
    weights[item.substr(0, eq)] = weight;
  }
  return weights;
}

StatusOr<MasterOptions> optionsFromFlags() {
  MasterOptions options{
      .ip = FLAGS_ip,
      .port = FLAGS_port,
      .zmqPort = FLAGS_zmq_port,
      .workDir = FLAGS_work_dir,
      .hostname = FLAGS_hostname,
      .maxAgentPingTimeouts = FLAGS_max_agent_ping_timeouts,
      .maxCompletedTasksPerFramework = FLAGS_max_completed_tasks_per_framework,
      .maxCompletedFrameworks = FLAGS_max_completed_frameworks,
      .webuiDir = FLAGS_webui_dir,
      .servicesUrl = FLAGS_services_url,
  };
  if (!options.servicesUrl.empty()) {
    auto services = parseServicesUrl(options.servicesUrl);
    if (!services.isOk()) {
      return services.status().withContext("--services_url");
    }
  }
  auto weights = parseWeights(FLAGS_weights);
  if (!weights.isOk()) {
    return weights.status().withContext("--weights");
  }
  options.weights = *weights;
  auto domain = parseDomain(FLAGS_domain);
  if (!domain.isOk()) {
    return domain.status().withContext("--domain");
  }
  options.domain = *domain;
  AGORA_RETURN_IF_ERROR(
      readDuration("agent_ping_timeout", FLAGS_agent_ping_timeout, &options.agentPingTimeout));
  AGORA_RETURN_IF_ERROR(readDuration("agent_reregister_timeout", FLAGS_agent_reregister_timeout,
                                     &options.agentReregisterTimeout));
  AGORA_RETURN_IF_ERROR(readDuration("framework_heartbeat_interval",
                                     FLAGS_framework_heartbeat_interval,
                                     &options.frameworkHeartbeatInterval));
  AGORA_RETURN_IF_ERROR(readDuration("offer_timeout", FLAGS_offer_timeout, &options.offerTimeout));
  AGORA_RETURN_IF_ERROR(
      readDuration("allocation_interval", FLAGS_allocation_interval, &options.allocationInterval));
  AGORA_RETURN_IF_ERROR(readDuration("state_step", FLAGS_state_step, &options.stateStep));
  if (options.stateStep.count() < 0) {
    return Status::invalid("--state_step must not be negative");
  }
  if (options.port <= 0 || options.port > 65535) {
    return Status::invalid("--port must be between 1 and 65535");
  }
  if (options.maxAgentPingTimeouts < 1) {
    return Status::invalid("--max_agent_ping_timeouts must be at least 1");
  }
  if (options.frameworkHeartbeatInterval.count() <= 0 || options.allocationInterval.count() <= 0 ||
      options.agentPingTimeout.count() <= 0) {
    return Status::invalid("heartbeat, ping and allocation intervals must be positive");
  }
  return options;
}

nlohmann::json flagsJson() {
  nlohmann::json out = nlohmann::json::object();
  std::vector<gflags::CommandLineFlagInfo> all;
  gflags::GetAllFlags(&all);
  for (const auto& flag : all) {
    if (flag.filename.find("master/flags.cpp") != std::string::npos) {
      out[flag.name] = flag.current_value;
    }
  }
  return out;
}

}  // namespace agora::master
