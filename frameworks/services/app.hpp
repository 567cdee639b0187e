// An app definition of the Services framework, in Marathon's JSON format (`/v2/apps`).
//
// The REST layer speaks Marathon's JSON, so apps are kept as a validated JSON layer (not
// protobuf): `validateApp()` checks a request body and lists every bad field the way
// Marathon does (422 details), `appFromJson()` turns a valid body into an `App`, and
// `appToJson()` gives it back with Marathon's defaults filled in. Fields this version does
// not act on yet are kept verbatim in `extra` so a client gets back what it sent.
// Pure functions and a value type; thread-compatible.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::services {

// One entry of a 422 answer: a JSON path ("/cpus") and every rule it breaks there.
struct FieldError {
  std::string path;
  std::vector<std::string> errors;
};

struct App {
  std::string id;  // Normalised: "/shop/web".
  std::optional<std::string> cmd;
  std::vector<std::string> args;
  double cpus = 1;
  double mem = 128;
  double disk = 0;
  int instances = 1;
  std::map<std::string, std::string> env;
  std::string image;  // container.docker.image ("" when none).
  int ports = 0;      // How many host ports each task gets (`portDefinitions`).
  // The host port each of those must be, 0 for any free one (fixed by `requirePorts` or a
  // portMapping's hostPort).
  std::vector<int> hostPorts;
  bool requirePorts = false;
  // Relaunch delay after a task ends unasked: backoffSeconds × backoffFactor^(n-1) after
  // the n-th such end, at most maxLaunchDelaySeconds (Marathon's defaults).
  double backoffSeconds = 1;
  double backoffFactor = 1.15;
  double maxLaunchDelaySeconds = 300;
  // upgradeStrategy: while tasks of an older config are replaced, at least
  // ceil(instances × minimumHealthCapacity) tasks stay healthy and at most
  // floor(instances × (1 + maximumOverCapacity)) exist.
  double minimumHealthCapacity = 1;
  double maximumOverCapacity = 1;
  std::string version;
  // Marathon's versionInfo: the version of the last change to anything but `instances`
  // (tasks of an older config are replaced), and of the last scaling.
  std::string lastConfigChangeAt;
  std::string lastScalingAt;
  nlohmann::json extra = nlohmann::json::object();  // Other fields, echoed back as given.
};

// "web", "/shop/web/" and "shop//web" become "/web" and "/shop/web". Errors: a segment
// that breaks Marathon's id rule, or no segment at all.
StatusOr<std::string> normalizeAppId(const std::string& id);

// Every rule `body` breaks (empty when it is a valid app definition). When `idFromPath` is
// given (PUT /v2/apps/{id}) the body's id may be missing and is taken from the path.
std::vector<FieldError> validateApp(const nlohmann::json& body,
                                    const std::optional<std::string>& idFromPath = {});

// REQUIRES: `validateApp(body, idFromPath)` is empty. Sets no version.
App appFromJson(const nlohmann::json& body, const std::optional<std::string>& idFromPath = {});
nlohmann::json appToJson(const App& app);

// True when `a` and `b` differ in more than `instances` and versions: their tasks differ.
bool configChanged(const App& a, const App& b);

// unreachableStrategy: `"disabled"` or `{inactiveAfterSeconds, expungeAfterSeconds}`
// (Marathon's defaults: 0 and 0).
struct UnreachableStrategy {
  bool disabled = false;
  double inactiveAfterSeconds = 0;
  double expungeAfterSeconds = 0;
};
UnreachableStrategy unreachableStrategyOf(const App& app);

// Marathon's 422 body for `errors`.
nlohmann::json validationErrorBody(const std::vector<FieldError>& errors);

// Task ids are Marathon's: "<app id without the leading / and with / as _>.<uuid>".
std::string newTaskId(const std::string& appId);
// The app id a task id names ("" when it is not one of ours).
std::string appIdOfTask(const std::string& taskId);

// Now as Marathon prints versions: "2026-11-23T20:58:01.123Z".
std::string versionNow();

}  // namespace agora::services
