#include "frameworks/services/container_spec.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

void add(std::vector<FieldError>& errors, const std::string& path, const std::string& error) {
  errors.push_back(FieldError{path, {error}});
}

json containerField(const json& body, const char* name) {
  if (!body.contains("container") || !body["container"].is_object()) {
    return json::array();
  }
  return body["container"].value(name, json::array());
}

bool isPort(const json& value, bool zeroAllowed) {
  return value.is_number_integer() && value.get<int64_t>() >= (zeroAllowed ? 0 : 1) &&
         value.get<int64_t>() <= 65535;
}

void checkNetworks(const json& body, std::vector<FieldError>& errors) {
  if (!body.contains("networks")) {
    return;
  }
  const json& networks = body["networks"];
  if (!networks.is_array()) {
    add(errors, "/networks", "error.expected.jsarray");
    return;
  }
  for (size_t i = 0; i < networks.size(); ++i) {
    std::string mode =
        networks[i].is_object()
            ? networks[i].value("mode", json("")).is_string() ? networks[i].value("mode", "") : ""
            : "";
    if (mode != "host" && mode != "container/bridge") {
      add(errors, "/networks(" + std::to_string(i) + ")/mode",
          mode == "container" ? "named container networks are not supported; use container/bridge"
                              : "error.unknown.enum.literal");
    }
  }
}

void checkPortMappings(const json& body, std::vector<FieldError>& errors) {
  const json mappings = containerField(body, "portMappings");
  if (!mappings.is_array()) {
    add(errors, "/container/portMappings", "error.expected.jsarray");
    return;
  }
  bool hasImage = body.contains("container") && body["container"].is_object() &&
                  body["container"].value("docker", json::object()).is_object() &&
                  body["container"].value("docker", json::object()).value("image", json("")) != "";
  if (usesBridge(body) && !hasImage) {
    add(errors, "/networks", "a container/bridge network needs a container image");
  }
  if (!mappings.empty() && !usesBridge(body)) {
    add(errors, "/container/portMappings",
        "portMappings need a container/bridge network (networks: [{\"mode\": "
        "\"container/bridge\"}])");
  }
  for (size_t i = 0; i < mappings.size(); ++i) {
    std::string path = "/container/portMappings(" + std::to_string(i) + ")";
    const json& mapping = mappings[i];
    if (!mapping.is_object()) {
      add(errors, path, "error.expected.jsobject");
      continue;
    }
    if (!isPort(mapping.value("containerPort", json()), /*zeroAllowed=*/false)) {
      add(errors, path + "/containerPort", "must be a port from 1 to 65535");
    }
    if (mapping.contains("hostPort") && !isPort(mapping["hostPort"], /*zeroAllowed=*/true)) {
      add(errors, path + "/hostPort",
          "got " + mapping["hostPort"].dump() + ", expected 0 to 65535");
    }
    std::string protocol =
        mapping.value("protocol", json("tcp")).is_string() ? mapping.value("protocol", "tcp") : "";
    if (protocol != "tcp" && protocol != "udp") {
      add(errors, path + "/protocol", "must be tcp or udp");
    }
  }
}

void checkVolumes(const json& body, std::vector<FieldError>& errors) {
  const json volumes = containerField(body, "volumes");
  if (!volumes.is_array()) {
    add(errors, "/container/volumes", "error.expected.jsarray");
    return;
  }
  for (size_t i = 0; i < volumes.size(); ++i) {
    std::string path = "/container/volumes(" + std::to_string(i) + ")";
    const json& volume = volumes[i];
    if (!volume.is_object()) {
      add(errors, path, "error.expected.jsobject");
      continue;
    }
    if (!volume.value("containerPath", json()).is_string() ||
        volume.value("containerPath", "").empty()) {
      add(errors, path + "/containerPath", "must not be empty");
    }
    if (volume.contains("persistent") || volume.contains("external") || volume.contains("secret")) {
      add(errors, path, "only host and sandbox volumes (hostPath) are supported");
    } else if (!volume.value("hostPath", json()).is_string()) {
      add(errors, path + "/hostPath", "error.expected.jsstring");
    }
    if (volume.contains("mode") && volume["mode"] != "RW" && volume["mode"] != "RO") {
      add(errors, path + "/mode", "must be RW or RO");
    }
  }
}

}  // namespace

bool usesBridge(const json& body) {
  if (body.contains("networks") && body["networks"].is_array() && !body["networks"].empty() &&
      body["networks"][0].is_object()) {
    return body["networks"][0].value("mode", json("")) == "container/bridge";
  }
  if (body.contains("container") && body["container"].is_object() &&
      body["container"].value("docker", json::object()).is_object()) {
    return body["container"].value("docker", json::object()).value("network", json("")) == "BRIDGE";
  }
  return false;
}

std::vector<FieldError> validateContainerSpec(const json& body) {
  std::vector<FieldError> errors;
  checkNetworks(body, errors);
  checkPortMappings(body, errors);
  checkVolumes(body, errors);
  return errors;
}

json portEntries(const json& body) {
  json entries = usesBridge(body) ? containerField(body, "portMappings")
                                  : body.value("portDefinitions", json::array());
  return entries.is_array() ? entries : json::array();
}

std::vector<int> hostPortRequests(const json& body) {
  std::vector<int> requests;
  if (usesBridge(body)) {
    for (const json& mapping : containerField(body, "portMappings")) {
      requests.push_back(mapping.value("hostPort", 0));
    }
    return requests;
  }
  const json definitions = body.value("portDefinitions", json::array());
  bool exact = body.value("requirePorts", json(false)) == true;
  for (const json& definition : definitions.is_array() ? definitions : json::array()) {
    requests.push_back(exact && definition.is_object() ? definition.value("port", 0) : 0);
  }
  return requests;
}

void fillContainer(const App& app, const std::vector<int>& hostPorts, v1::ContainerInfo* out) {
  const json mappings = containerField(app.extra, "portMappings");
  if (usesBridge(app.extra)) {
    out->set_network(v1::ContainerInfo::BRIDGE);
  }
  for (size_t i = 0; usesBridge(app.extra) && i < mappings.size() && i < hostPorts.size(); ++i) {
    v1::ContainerInfo::PortMapping* mapping = out->add_port_mappings();
    mapping->set_host_port(static_cast<uint32_t>(hostPorts[i]));
    mapping->set_container_port(mappings[i].value("containerPort", 0u));
    mapping->set_protocol(mappings[i].value("protocol", "tcp"));
  }
  for (const json& volume : containerField(app.extra, "volumes")) {
    v1::ContainerInfo::VolumeMount* mount = out->add_volumes();
    mount->set_container_path(volume.value("containerPath", ""));
    mount->set_host_path(volume.value("hostPath", ""));
    mount->set_mode(volume.value("mode", "RW") == "RO" ? v1::Volume::RO : v1::Volume::RW);
  }
}

int containerPortAt(const App& app, size_t index) {
  const json mappings = containerField(app.extra, "portMappings");
  return usesBridge(app.extra) && index < mappings.size()
             ? mappings[index].value("containerPort", 0)
             : 0;
}

}  // namespace agora::services
