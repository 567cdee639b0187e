// Marathon `healthChecks` of an app, checked and turned into the Mesos-style
// `TaskInfo.health_check` the executor runs next to the task (issue 5: health checks run
// by the executor). Marathon's own protocols (HTTP, TCP, COMMAND) and the MESOS_ ones
// all run in the executor here; HTTPS is refused (the executor speaks plain HTTP).
// A task carries one check, as in Mesos: the app's first.
// Pure functions; thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agora/v1/common.pb.h"
#include "frameworks/services/app.hpp"

namespace agora::services {

// Every rule the app body's `healthChecks` breaks, at Marathon paths
// ("/healthChecks(0)/protocol").
std::vector<FieldError> validateHealthChecks(const nlohmann::json& body);

// Whether the app has any health check.
bool hasHealthChecks(const App& app);

// The check for a task of `app` whose host ports are `ports` (PORT0..), or nullopt when the
// app has none. REQUIRES: the app's definition passed `validateHealthChecks`.
std::optional<v1::HealthCheck> healthCheckFor(const App& app, const std::vector<int>& ports);

}  // namespace agora::services
