#include "slave/containerizer/cni.hpp"

#include <nlohmann/json.hpp>

#include "slave/containerizer/subprocess.hpp"

namespace agora::slave::oci {
namespace {

using nlohmann::json;
constexpr const char* kCniVersion = "1.0.0";
constexpr const char* kNetworkName = "agora";

Status runIp(const std::vector<std::string>& args) {
  auto ip = findOnPath("ip");
  if (!ip) return Status::notFound("the 'ip' command (iproute2) is not installed");
  std::vector<std::string> argv{*ip};
  argv.insert(argv.end(), args.begin(), args.end());
  auto ran = runProcess(argv);
  if (!ran.isOk()) return ran.status();
  if (ran->exitCode != 0) {
    std::string command = "ip";
    for (const std::string& a : args) command += " " + a;
    return Status::io("'" + command + "' failed: " + ran->err);
  }
  return Status::ok();
}

}  // namespace

std::vector<std::string> CniNetwork::chain() const { return {"loopback", "bridge", "portmap"}; }

std::string CniNetwork::pluginConfig(const std::string& type, const std::vector<PortMapping>& ports,
                                     const std::string& prevResult) const {
  json config = {{"cniVersion", kCniVersion}, {"name", kNetworkName}, {"type", type}};
  if (type == "bridge") {
    config["bridge"] = options_.bridge;
    config["isGateway"] = true;
    config["ipMasq"] = true;
    config["hairpinMode"] = true;
    config["ipam"] = {{"type", "host-local"},
                      {"ranges", json::array({json::array({{{"subnet", options_.subnet}}})})},
                      {"routes", json::array({{{"dst", "0.0.0.0/0"}}})},
                      {"dataDir", options_.stateDir}};
  } else if (type == "portmap") {
    json mappings = json::array();
    for (const PortMapping& port : ports) {
      mappings.push_back({{"hostPort", port.hostPort},
                          {"containerPort", port.containerPort},
                          {"protocol", port.protocol}});
    }
    config["capabilities"] = {{"portMappings", true}};
    config["runtimeConfig"] = {{"portMappings", mappings}};
  }
  if (!prevResult.empty()) {
    json previous = json::parse(prevResult, nullptr, false);
    if (!previous.is_discarded()) config["prevResult"] = previous;
  }
  return config.dump();
}

StatusOr<std::string> CniNetwork::runPlugin(const std::string& command, const std::string& type,
                                            const std::string& containerId,
                                            const std::string& config) {
  auto ran = runProcess({options_.pluginDir + "/" + type}, config,
                        {{"CNI_COMMAND", command},
                         {"CNI_CONTAINERID", containerId},
                         {"CNI_NETNS", netnsPath(containerId)},
                         {"CNI_IFNAME", type == "loopback" ? "lo" : "eth0"},
                         {"CNI_PATH", options_.pluginDir}});
  if (!ran.isOk()) return ran.status().withContext("CNI plugin " + type);
  if (ran->exitCode != 0) {
    json error = json::parse(ran->out, nullptr, false);
    std::string message = !error.is_discarded() && error.is_object() && error.contains("msg")
                              ? error["msg"].dump()
                              : ran->out + ran->err;
    return Status::io("CNI plugin " + type + " " + command + " failed: " + message);
  }
  return ran->out;
}

StatusOr<std::string> CniNetwork::attach(const std::string& containerId,
                                         const std::vector<PortMapping>& ports) {
  if (options_.stateDir.empty()) return Status::invalid("CNI needs a state directory");
  if (Status s = runIp({"netns", "add", containerId}); !s.isOk()) return s;
  std::string result;
  for (const std::string& type : chain()) {
    if (type == "portmap" && ports.empty()) continue;
    auto out = runPlugin("ADD", type, containerId, pluginConfig(type, ports, result));
    if (!out.isOk()) {
      detach(containerId, ports).ignoreError();
      return out.status();
    }
    if (type != "loopback") result = *out;
  }
  json parsed = json::parse(result, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("ips") || !parsed["ips"].is_array() ||
      parsed["ips"].empty() || !parsed["ips"][0].contains("address")) {
    detach(containerId, ports).ignoreError();
    return Status::io("CNI bridge gave no address: " + result);
  }
  std::string address = parsed["ips"][0]["address"].get<std::string>();
  return address.substr(0, address.find('/'));
}

Status CniNetwork::detach(const std::string& containerId, const std::vector<PortMapping>& ports) {
  Status first = Status::ok();
  std::vector<std::string> types = chain();
  for (auto type = types.rbegin(); type != types.rend(); ++type) {
    if (*type == "portmap" && ports.empty()) continue;
    auto out = runPlugin("DEL", *type, containerId, pluginConfig(*type, ports, ""));
    if (!out.isOk() && first.isOk()) first = out.status();
  }
  Status removed = runIp({"netns", "delete", containerId});
  return first.isOk() ? removed : first;
}

}  // namespace agora::slave::oci
