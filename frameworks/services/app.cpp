#include "frameworks/services/app.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <regex>
#include <sstream>

#include "common/base/ids.hpp"
#include "frameworks/services/constraints.hpp"
#include "frameworks/services/container_spec.hpp"
#include "frameworks/services/health_check.hpp"
#include "frameworks/services/readiness.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

// Marathon's rule for one id segment (`PathId` validation), and its message verbatim.
const char* kSegmentPattern =
    "^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])$";
const char* kIdMessage =
    "must fully match regular expression "
    "'^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|"
    "\\.\\.)$'";
const char* kNoCommand =
    "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.";
const char* kCmdAndArgs = "AppDefinition must either contain a 'cmd' or a 'args', but not both.";

// The fields `App` models; everything else goes to `extra`.
const char* kModelled[] = {"id",
                           "cmd",
                           "args",
                           "cpus",
                           "mem",
                           "disk",
                           "instances",
                           "env",
                           "portDefinitions",
                           "version",
                           "versionInfo",
                           "container",
                           "tasksRunning",
                           "tasksStaged",
                           "tasksHealthy",
                           "tasksUnhealthy",
                           "tasks",
                           "deployments",
                           "backoffSeconds",
                           "backoffFactor",
                           "maxLaunchDelaySeconds",
                           "lastTaskFailure",
                           "upgradeStrategy",
                           "requirePorts"};

// Collects errors per path, in the order paths are first seen.
class Errors {
 public:
  void add(const std::string& path, const std::string& error) {
    for (FieldError& entry : errors_) {
      if (entry.path == path) {
        entry.errors.push_back(error);
        return;
      }
    }
    errors_.push_back(FieldError{path, {error}});
  }
  std::vector<FieldError> take() { return std::move(errors_); }

 private:
  std::vector<FieldError> errors_;
};

// "-1.0" like Scala prints a Double.
std::string formatDouble(double value) {
  std::ostringstream out;
  out << value;
  std::string text = out.str();
  if (text.find_first_of(".eE") == std::string::npos) {
    text += ".0";
  }
  return text;
}

void checkResource(const json& body, const char* name, Errors& errors) {
  if (!body.contains(name)) {
    return;
  }
  std::string path = std::string("/") + name;
  const json& value = body[name];
  if (!value.is_number()) {
    errors.add(path, "error.expected.jsnumber");
  } else if (value.get<double>() < 0) {
    errors.add(path, "got " + formatDouble(value.get<double>()) + ", expected 0.0 or more");
  }
}

void checkInstances(const json& body, Errors& errors) {
  if (!body.contains("instances")) {
    return;
  }
  const json& value = body["instances"];
  if (!value.is_number_integer()) {
    errors.add("/instances", "error.expected.jsnumber");
  } else if (value.get<int64_t>() < 0) {
    errors.add("/instances",
               "got " + std::to_string(value.get<int64_t>()) + ", expected 0 or more");
  }
}

// backoffSeconds and maxLaunchDelaySeconds >= 0, backoffFactor >= 1 (Marathon's bounds).
void checkBackoff(const json& body, Errors& errors) {
  for (const char* name : {"backoffSeconds", "maxLaunchDelaySeconds"}) {
    checkResource(body, name, errors);
  }
  if (!body.contains("backoffFactor")) {
    return;
  }
  const json& factor = body["backoffFactor"];
  if (!factor.is_number()) {
    errors.add("/backoffFactor", "error.expected.jsnumber");
  } else if (factor.get<double>() < 1) {
    errors.add("/backoffFactor",
               "got " + formatDouble(factor.get<double>()) + ", expected 1.0 or more");
  }
}

// upgradeStrategy: an object of two fractions between 0 and 1.
void checkUpgradeStrategy(const json& body, Errors& errors) {
  if (!body.contains("upgradeStrategy")) {
    return;
  }
  const json& strategy = body["upgradeStrategy"];
  if (!strategy.is_object()) {
    errors.add("/upgradeStrategy", "error.expected.jsobject");
    return;
  }
  for (const char* name : {"minimumHealthCapacity", "maximumOverCapacity"}) {
    if (!strategy.contains(name)) {
      continue;
    }
    std::string path = std::string("/upgradeStrategy/") + name;
    const json& value = strategy[name];
    if (!value.is_number()) {
      errors.add(path, "error.expected.jsnumber");
    } else if (value.get<double>() < 0 || value.get<double>() > 1) {
      errors.add(path,
                 "got " + formatDouble(value.get<double>()) + ", expected between 0.0 and 1.0");
    }
  }
}

void checkUnreachableStrategy(const json& body, Errors& errors) {
  if (!body.contains("unreachableStrategy") || body["unreachableStrategy"] == "disabled") {
    return;
  }
  const json& strategy = body["unreachableStrategy"];
  if (!strategy.is_object()) {
    errors.add("/unreachableStrategy", "error.expected.jsobject");
    return;
  }
  for (const char* name : {"inactiveAfterSeconds", "expungeAfterSeconds"}) {
    if (strategy.contains(name) &&
        (!strategy[name].is_number() || strategy[name].get<double>() < 0)) {
      errors.add(std::string("/unreachableStrategy/") + name,
                 strategy[name].is_number() ? "got " + formatDouble(strategy[name].get<double>()) +
                                                  ", expected 0.0 or more"
                                            : "error.expected.jsnumber");
    }
  }
  const json inactive = strategy.value("inactiveAfterSeconds", json(0));
  const json expunge = strategy.value("expungeAfterSeconds", json(0));
  if (inactive.is_number() && expunge.is_number() &&
      inactive.get<double>() > expunge.get<double>()) {
    errors.add("/unreachableStrategy/expungeAfterSeconds",
               "expungeAfterSeconds must be greater than or equal to inactiveAfterSeconds");
  }
}

// fetch: [{uri, executable, extract, cache, outputFile}]; the legacy `uris`: strings.
void checkFetch(const json& body, Errors& errors) {
  if (body.contains("uris")) {
    bool valid = body["uris"].is_array();
    for (const json& uri : valid ? body["uris"] : json::array()) {
      valid = valid && uri.is_string() && !uri.get<std::string>().empty();
    }
    if (!valid) {
      errors.add("/uris", "must be a list of URIs");
    }
  }
  if (!body.contains("fetch")) {
    return;
  }
  if (!body["fetch"].is_array()) {
    errors.add("/fetch", "error.expected.jsarray");
    return;
  }
  for (size_t i = 0; i < body["fetch"].size(); ++i) {
    std::string path = "/fetch(" + std::to_string(i) + ")";
    const json& entry = body["fetch"][i];
    if (!entry.is_object()) {
      errors.add(path, "error.expected.jsobject");
      continue;
    }
    if (!entry.value("uri", json()).is_string() || entry.value("uri", "").empty()) {
      errors.add(path + "/uri", "must not be empty");
    }
    for (const char* flag : {"executable", "extract", "cache"}) {
      if (entry.contains(flag) && !entry[flag].is_boolean()) {
        errors.add(path + "/" + flag, "error.expected.jsboolean");
      }
    }
    if (entry.contains("outputFile") &&
        (!entry["outputFile"].is_string() ||
         entry["outputFile"].get<std::string>().find('/') != std::string::npos ||
         entry["outputFile"] == ".." || entry["outputFile"] == "")) {
      errors.add(path + "/outputFile", "must be a file name (no '/')");
    }
  }
}

// dependencies: ids of apps or groups, absolute or relative to the app's group.
void checkDependencies(const json& body, const std::optional<std::string>& idFromPath,
                       Errors& errors) {
  if (!body.contains("dependencies")) {
    return;
  }
  const json& dependencies = body["dependencies"];
  if (!dependencies.is_array()) {
    errors.add("/dependencies", "error.expected.jsarray");
    return;
  }
  std::string ownId =
      idFromPath.value_or(body.value("id", json("")).is_string() ? body.value("id", "") : "");
  std::string parent = "/";
  if (auto normalized = normalizeAppId(ownId); normalized.isOk()) {
    parent = normalized->substr(0, std::max<size_t>(1, normalized->rfind('/')));
  }
  for (size_t i = 0; i < dependencies.size(); ++i) {
    std::string path = "/dependencies(" + std::to_string(i) + ")";
    if (!dependencies[i].is_string()) {
      errors.add(path, "error.expected.jsstring");
      continue;
    }
    std::string id = dependencies[i].get<std::string>();
    std::string joined = !id.empty() && id[0] == '/' ? id : parent + "/" + id;
    // Relative forms ("../db") are resolved when the app is deployed; here every segment
    // must at least be a valid id segment or "." / "..".
    std::stringstream parts(joined);
    std::string segment;
    bool valid = !id.empty();
    while (valid && std::getline(parts, segment, '/')) {
      valid =
          segment.empty() || segment == "." || segment == ".." || normalizeAppId(segment).isOk();
    }
    if (!valid) {
      errors.add(path, "is not a valid app or group id");
    }
  }
}

void checkId(const json& body, const std::optional<std::string>& idFromPath, Errors& errors) {
  if (idFromPath.has_value()) {
    if (!normalizeAppId(*idFromPath).isOk()) {
      errors.add("/id", kIdMessage);
    }
    return;
  }
  if (!body.contains("id")) {
    errors.add("/id", "error.path.missing");
  } else if (!body["id"].is_string()) {
    errors.add("/id", "error.expected.jsstring");
  } else if (!normalizeAppId(body["id"].get<std::string>()).isOk()) {
    errors.add("/id", kIdMessage);
  }
}

bool checkStringMap(const json& body, const char* name, Errors& errors) {
  if (!body.contains(name)) {
    return false;
  }
  std::string path = std::string("/") + name;
  if (!body[name].is_object()) {
    errors.add(path, "error.expected.jsobject");
    return false;
  }
  for (const auto& [key, value] : body[name].items()) {
    if (!value.is_string()) {
      errors.add(path + "/" + key, "error.expected.jsstring");
    }
  }
  return true;
}

// cmd and args: their types, and that the app has something to run.
void checkCommand(const json& body, Errors& errors) {
  bool hasCmd = body.contains("cmd") && !body["cmd"].is_null();
  bool hasArgs = body.contains("args") && !body["args"].is_null();
  bool hasContainer = body.contains("container") && !body["container"].is_null();
  if (hasCmd && (!body["cmd"].is_string() || body["cmd"].get<std::string>().empty())) {
    errors.add("/cmd", body["cmd"].is_string() ? "must not be empty" : "error.expected.jsstring");
  }
  if (hasArgs) {
    if (!body["args"].is_array()) {
      errors.add("/args", "error.expected.jsarray");
    } else {
      for (size_t i = 0; i < body["args"].size(); ++i) {
        if (!body["args"][i].is_string()) {
          errors.add("/args(" + std::to_string(i) + ")", "error.expected.jsstring");
        }
      }
    }
  }
  if (!hasCmd && !hasArgs && !hasContainer) {
    errors.add("/", kNoCommand);
  }
  if (hasCmd && hasArgs) {
    errors.add("/", kCmdAndArgs);
  }
}

void checkContainer(const json& body, Errors& errors) {
  if (!body.contains("container") || body["container"].is_null()) {
    return;
  }
  const json& container = body["container"];
  if (!container.is_object()) {
    errors.add("/container", "error.expected.jsobject");
    return;
  }
  if (container.contains("type") && !container["type"].is_string()) {
    errors.add("/container/type", "error.expected.jsstring");
    return;
  }
  std::string type = container.value("type", "DOCKER");
  if (type != "DOCKER" && type != "MESOS") {
    errors.add("/container/type", "error.unknown.enum.literal");
  }
  const json* docker = container.contains("docker") ? &container["docker"] : nullptr;
  if (docker != nullptr &&
      (!docker->is_object() || (docker->contains("image") && !(*docker)["image"].is_string()))) {
    errors.add("/container/docker/image", "error.expected.jsstring");
  } else if (type == "DOCKER" && (docker == nullptr || docker->value("image", "").empty())) {
    errors.add("/container/docker/image", "must not be empty");
  }
}

void checkPortDefinitions(const json& body, Errors& errors) {
  if (!body.contains("portDefinitions")) {
    return;
  }
  const json& ports = body["portDefinitions"];
  if (!ports.is_array()) {
    errors.add("/portDefinitions", "error.expected.jsarray");
    return;
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    std::string path = "/portDefinitions(" + std::to_string(i) + ")";
    if (!ports[i].is_object()) {
      errors.add(path, "error.expected.jsobject");
    } else if (ports[i].contains("port") &&
               (!ports[i]["port"].is_number_integer() || ports[i]["port"].get<int64_t>() < 0 ||
                ports[i]["port"].get<int64_t>() > 65535)) {
      errors.add(path + "/port", "got " + ports[i]["port"].dump() + ", expected 0 to 65535");
    }
  }
}

// requirePorts: a boolean; when true every port definition names its (non-zero) port.
void checkRequirePorts(const json& body, Errors& errors) {
  if (!body.contains("requirePorts")) {
    return;
  }
  if (!body["requirePorts"].is_boolean()) {
    errors.add("/requirePorts", "error.expected.jsboolean");
    return;
  }
  if (!body["requirePorts"].get<bool>() || !body.value("portDefinitions", json()).is_array()) {
    return;
  }
  const json& ports = body["portDefinitions"];
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].is_object() && ports[i].value("port", json(0)) == 0) {
      errors.add("/portDefinitions(" + std::to_string(i) + ")/port",
                 "with requirePorts a port definition needs a port other than 0");
    }
  }
}

void checkConstraints(const json& body, Errors& errors) {
  if (!body.contains("constraints")) {
    return;
  }
  if (!body["constraints"].is_array()) {
    errors.add("/constraints", "error.expected.jsarray");
    return;
  }
  for (size_t i = 0; i < body["constraints"].size(); ++i) {
    if (auto error = constraintError(body["constraints"][i])) {
      errors.add("/constraints(" + std::to_string(i) + ")", *error);
    }
  }
}

std::string isoTime(std::chrono::system_clock::time_point when) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  std::time_t seconds = millis / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", text, static_cast<int>(millis % 1000));
  return out;
}

}  // namespace

StatusOr<std::string> normalizeAppId(const std::string& id) {
  static const std::regex segmentRule(kSegmentPattern);
  std::string normalized;
  std::stringstream parts(id);
  std::string segment;
  while (std::getline(parts, segment, '/')) {
    if (segment.empty()) {
      continue;  // Leading, trailing and doubled slashes.
    }
    if (!std::regex_match(segment, segmentRule)) {
      return Status::invalid("id segment '" + segment + "' " + kIdMessage);
    }
    normalized += "/" + segment;
  }
  if (normalized.empty()) {
    return Status::invalid("an app id needs at least one segment");
  }
  return normalized;
}

std::vector<FieldError> validateApp(const json& body,
                                    const std::optional<std::string>& idFromPath) {
  Errors errors;
  if (!body.is_object()) {
    errors.add("/", "error.expected.jsobject");
    return errors.take();
  }
  checkId(body, idFromPath, errors);
  checkCommand(body, errors);
  checkContainer(body, errors);
  for (const char* name : {"cpus", "mem", "disk", "gpus", "taskKillGracePeriodSeconds"}) {
    checkResource(body, name, errors);
  }
  if (body.contains("user") && !body["user"].is_string()) {
    errors.add("/user", "error.expected.jsstring");
  }
  checkInstances(body, errors);
  checkBackoff(body, errors);
  checkUpgradeStrategy(body, errors);
  checkUnreachableStrategy(body, errors);
  checkStringMap(body, "env", errors);
  checkStringMap(body, "labels", errors);
  checkDependencies(body, idFromPath, errors);
  checkFetch(body, errors);
  if (body.contains("acceptedResourceRoles")) {
    const json& roles = body["acceptedResourceRoles"];
    bool valid = roles.is_array() && !roles.empty();
    for (const json& role : valid ? roles : json::array()) {
      valid = valid && role.is_string() && !role.get<std::string>().empty();
    }
    if (!valid) {
      errors.add("/acceptedResourceRoles", "must be a non-empty list of role names");
    }
  }
  if (body.contains("killSelection") && body["killSelection"] != "YOUNGEST_FIRST" &&
      body["killSelection"] != "OLDEST_FIRST") {
    errors.add("/killSelection", "error.unknown.enum.literal");
  }
  checkPortDefinitions(body, errors);
  checkRequirePorts(body, errors);
  checkConstraints(body, errors);
  for (const auto& found :
       {validateHealthChecks(body), validateReadinessChecks(body), validateContainerSpec(body)}) {
    for (const FieldError& error : found) {
      for (const std::string& message : error.errors) {
        errors.add(error.path, message);
      }
    }
  }
  return errors.take();
}

App appFromJson(const json& body, const std::optional<std::string>& idFromPath) {
  App app;
  app.id = *normalizeAppId(idFromPath.has_value() ? *idFromPath : body["id"].get<std::string>());
  if (body.contains("cmd") && body["cmd"].is_string()) {
    app.cmd = body["cmd"].get<std::string>();
  }
  if (body.contains("args") && body["args"].is_array()) {
    app.args = body["args"].get<std::vector<std::string>>();
  }
  app.cpus = body.value("cpus", app.cpus);
  app.mem = body.value("mem", app.mem);
  app.disk = body.value("disk", app.disk);
  app.instances = body.value("instances", app.instances);
  if (body.contains("env")) {
    app.env = body["env"].get<std::map<std::string, std::string>>();
  }
  if (body.contains("container") && body["container"].is_object()) {
    app.extra["container"] = body["container"];
    app.image = body["container"].value("docker", json::object()).value("image", "");
  }
  if (body.contains("portDefinitions")) {
    app.extra["portDefinitions"] = body["portDefinitions"];
  }
  app.requirePorts = body.value("requirePorts", false);
  app.hostPorts = hostPortRequests(body);
  app.ports = static_cast<int>(app.hostPorts.size());
  if (body.contains("version") && body["version"].is_string()) {
    app.version = body["version"].get<std::string>();
  }
  const json& info = body.contains("versionInfo") && body["versionInfo"].is_object()
                         ? body["versionInfo"]
                         : json::object();
  for (auto [name, field] : {std::pair{"lastConfigChangeAt", &app.lastConfigChangeAt},
                             std::pair{"lastScalingAt", &app.lastScalingAt}}) {
    if (info.contains(name) && info[name].is_string()) {
      *field = info[name].get<std::string>();
    }
  }
  app.backoffSeconds = body.value("backoffSeconds", app.backoffSeconds);
  app.backoffFactor = body.value("backoffFactor", app.backoffFactor);
  app.maxLaunchDelaySeconds = body.value("maxLaunchDelaySeconds", app.maxLaunchDelaySeconds);
  const json& strategy = body.contains("upgradeStrategy") && body["upgradeStrategy"].is_object()
                             ? body["upgradeStrategy"]
                             : json::object();
  app.minimumHealthCapacity = strategy.value("minimumHealthCapacity", app.minimumHealthCapacity);
  app.maximumOverCapacity = strategy.value("maximumOverCapacity", app.maximumOverCapacity);
  for (const auto& [key, value] : body.items()) {
    bool modelled = false;
    for (const char* name : kModelled) {
      modelled = modelled || key == name;
    }
    if (!modelled) {
      app.extra[key] = value;
    }
  }
  return app;
}

json appToJson(const App& app) {
  json out = app.extra;
  out["id"] = app.id;
  if (app.cmd.has_value()) {
    out["cmd"] = *app.cmd;
  } else {
    out["cmd"] = nullptr;
  }
  if (!app.args.empty()) {
    out["args"] = app.args;
  }
  out["cpus"] = app.cpus;
  out["mem"] = app.mem;
  out["disk"] = app.disk;
  out["instances"] = app.instances;
  out["env"] = app.env;
  if (!out.contains("labels")) {
    out["labels"] = json::object();
  }
  if (!out.contains("portDefinitions")) {
    out["portDefinitions"] = json::array();
  }
  out["backoffSeconds"] = app.backoffSeconds;
  out["backoffFactor"] = app.backoffFactor;
  out["maxLaunchDelaySeconds"] = app.maxLaunchDelaySeconds;
  // Marathon's defaults, shown like Marathon shows them.
  if (!out.contains("unreachableStrategy")) {
    out["unreachableStrategy"] = {{"inactiveAfterSeconds", 0}, {"expungeAfterSeconds", 0}};
  }
  if (!out.contains("killSelection")) {
    out["killSelection"] = "YOUNGEST_FIRST";
  }
  out["requirePorts"] = app.requirePorts;
  out["upgradeStrategy"] = {{"minimumHealthCapacity", app.minimumHealthCapacity},
                            {"maximumOverCapacity", app.maximumOverCapacity}};
  out["version"] = app.version;
  out["versionInfo"] = {{"lastConfigChangeAt", app.lastConfigChangeAt},
                        {"lastScalingAt", app.lastScalingAt}};
  return out;
}

bool configChanged(const App& a, const App& b) {
  json left = appToJson(a);
  json right = appToJson(b);
  for (json* side : {&left, &right}) {
    for (const char* field : {"instances", "version", "versionInfo"}) {
      side->erase(field);
    }
  }
  return left != right;
}

UnreachableStrategy unreachableStrategyOf(const App& app) {
  UnreachableStrategy out;
  if (!app.extra.contains("unreachableStrategy")) {
    return out;
  }
  const json& strategy = app.extra["unreachableStrategy"];
  if (strategy == "disabled") {
    out.disabled = true;
  } else if (strategy.is_object()) {
    out.inactiveAfterSeconds = strategy.value("inactiveAfterSeconds", 0.0);
    out.expungeAfterSeconds = strategy.value("expungeAfterSeconds", 0.0);
  }
  return out;
}

json validationErrorBody(const std::vector<FieldError>& errors) {
  json details = json::array();
  for (const FieldError& error : errors) {
    details.push_back({{"path", error.path}, {"errors", error.errors}});
  }
  return {{"message", "Object is not valid"}, {"details", details}};
}

std::string newTaskId(const std::string& appId) {
  std::string prefix = appId.substr(appId.empty() || appId[0] != '/' ? 0 : 1);
  for (char& c : prefix) {
    c = c == '/' ? '_' : c;
  }
  return prefix + "." + newUuid();
}

std::string appIdOfTask(const std::string& taskId) {
  size_t dot = taskId.rfind('.');
  if (dot == std::string::npos || dot == 0) {
    return "";
  }
  std::string id = "/" + taskId.substr(0, dot);
  for (char& c : id) {
    c = c == '_' ? '/' : c;
  }
  return id;
}

std::string versionNow() { return isoTime(std::chrono::system_clock::now()); }

}  // namespace agora::services
