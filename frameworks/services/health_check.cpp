#include "frameworks/services/health_check.hpp"

#include "frameworks/services/container_spec.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

const char* kProtocols[] = {"HTTP", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_TCP"};

void add(std::vector<FieldError>& errors, const std::string& path, const std::string& error) {
  errors.push_back(FieldError{path, {error}});
}

// Marathon's defaults for a field the check leaves out.
double seconds(const json& check, const char* name, double fallback) {
  return check.contains(name) && check[name].is_number() ? check[name].get<double>() : fallback;
}

void checkOne(const json& check, const std::string& path, size_t portCount,
              std::vector<FieldError>& errors) {
  if (!check.is_object()) {
    add(errors, path, "error.expected.jsobject");
    return;
  }
  std::string protocol =
      check.value("protocol", json("HTTP")).is_string() ? check.value("protocol", "HTTP") : "";
  bool known = false;
  for (const char* name : kProtocols) {
    known = known || protocol == name;
  }
  if (!known) {
    add(errors, path + "/protocol",
        protocol == "HTTPS" || protocol == "MESOS_HTTPS"
            ? "HTTPS health checks are not supported by agora-services"
            : "error.unknown.enum.literal");
    return;
  }
  for (const char* name : {"gracePeriodSeconds", "intervalSeconds", "timeoutSeconds",
                           "delaySeconds", "maxConsecutiveFailures", "portIndex", "port"}) {
    if (check.contains(name) && (!check[name].is_number() || check[name].get<double>() < 0)) {
      add(errors, path + "/" + name,
          check[name].is_number() ? "got " + check[name].dump() + ", expected 0 or more"
                                  : "error.expected.jsnumber");
    }
  }
  for (const char* name : {"port", "portIndex"}) {
    if (check.contains(name) && check[name].is_number() && check[name].get<double>() > 65535) {
      add(errors, path + "/" + name, "got " + check[name].dump() + ", expected 0 to 65535");
    }
  }
  for (const char* name : {"port", "portIndex"}) {
    if (check.contains(name) && check[name].is_number() && check[name].get<double>() > 65535) {
      add(errors, path + "/" + name, "got " + check[name].dump() + ", expected 0 to 65535");
    }
  }
  for (const char* name : {"intervalSeconds", "timeoutSeconds"}) {
    if (check.contains(name) && check[name].is_number() && check[name].get<double>() == 0) {
      add(errors, path + "/" + name, "got 0, expected more than 0");
    }
  }
  if (protocol == "COMMAND") {
    if (!check.contains("command") || !check["command"].is_object() ||
        !check["command"].value("value", json()).is_string()) {
      add(errors, path + "/command", "COMMAND health checks need command.value");
    }
    return;
  }
  if (check.contains("path") && !check["path"].is_string()) {
    add(errors, path + "/path", "error.expected.jsstring");
  }
  if (!check.contains("port")) {
    int64_t index = check.value("portIndex", json(0)).is_number_integer()
                        ? check.value("portIndex", int64_t{0})
                        : 0;
    if (index >= static_cast<int64_t>(portCount)) {
      add(errors, path + "/portIndex",
          "Health check port index must address an element of the app's ports (it has " +
              std::to_string(portCount) + ")");
    }
  }
}

}  // namespace

std::vector<FieldError> validateHealthChecks(const json& body) {
  std::vector<FieldError> errors;
  if (!body.contains("healthChecks")) {
    return errors;
  }
  const json& checks = body["healthChecks"];
  if (!checks.is_array()) {
    add(errors, "/healthChecks", "error.expected.jsarray");
    return errors;
  }
  size_t ports = portEntries(body).size();
  for (size_t i = 0; i < checks.size(); ++i) {
    checkOne(checks[i], "/healthChecks(" + std::to_string(i) + ")", ports, errors);
  }
  return errors;
}

bool hasHealthChecks(const App& app) {
  return app.extra.contains("healthChecks") && app.extra["healthChecks"].is_array() &&
         !app.extra["healthChecks"].empty();
}

std::optional<v1::HealthCheck> healthCheckFor(const App& app, const std::vector<int>& ports) {
  if (!hasHealthChecks(app)) {
    return std::nullopt;
  }
  const json& check = app.extra["healthChecks"][0];
  std::string protocol = check.value("protocol", "HTTP");
  v1::HealthCheck out;
  if (protocol == "COMMAND") {
    out.set_type(v1::HealthCheck::COMMAND);
    out.mutable_command()->set_shell(true);
    out.mutable_command()->set_value(check["command"].value("value", ""));
  } else {
    size_t index = check.value("portIndex", size_t{0});
    // A bridged task is checked on its own address, at the container port.
    int containerPort = containerPortAt(app, index);
    uint32_t port = check.contains("port") ? check["port"].get<uint32_t>()
                    : containerPort != 0   ? static_cast<uint32_t>(containerPort)
                    : index < ports.size() ? static_cast<uint32_t>(ports[index])
                                           : 0;
    if (protocol == "TCP" || protocol == "MESOS_TCP") {
      out.set_type(v1::HealthCheck::TCP);
      out.mutable_tcp()->set_port(port);
    } else {
      out.set_type(v1::HealthCheck::HTTP);
      out.mutable_http()->set_port(port);
      out.mutable_http()->set_path(check.value("path", "/"));
    }
  }
  out.set_delay_seconds(seconds(check, "delaySeconds", 15));
  out.set_grace_period_seconds(seconds(check, "gracePeriodSeconds", 300));
  out.set_interval_seconds(seconds(check, "intervalSeconds", 60));
  out.set_timeout_seconds(seconds(check, "timeoutSeconds", 20));
  out.set_consecutive_failures(static_cast<uint32_t>(seconds(check, "maxConsecutiveFailures", 3)));
  return out;
}

}  // namespace agora::services
