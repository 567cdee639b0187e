// The container part of a Marathon app beyond its image: `networks` (host or
// container/bridge), `container.portMappings` (container ports published on host ports
// from the offer) and `container.volumes` (host or sandbox directories mounted into it),
// checked at Marathon's paths and turned into the task's `ContainerInfo`.
// Pure functions; thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "agora/v1/common.pb.h"
#include "frameworks/services/app.hpp"

namespace agora::services {

// Every rule the body's networks, portMappings and volumes break.
std::vector<FieldError> validateContainerSpec(const nlohmann::json& body);

// Whether the app runs on its own bridge network (`networks: [{"mode": "container/bridge"}]`
// or the legacy `container.docker.network: "BRIDGE"`).
bool usesBridge(const nlohmann::json& body);

// The app's port entries in PORT0.. order: its portMappings on a bridge, else its
// portDefinitions (each may have a "name").
nlohmann::json portEntries(const nlohmann::json& body);

// The host port each task needs, in PORT0.. order: 0 for any free port, else that port.
// From portMappings' hostPort on a bridge, else from portDefinitions (exact only with
// requirePorts).
std::vector<int> hostPortRequests(const nlohmann::json& body);

// Sets the task's network, port mappings (onto `hostPorts`) and volumes. REQUIRES: the
// app validated; `hostPorts` as many as `hostPortRequests`.
void fillContainer(const App& app, const std::vector<int>& hostPorts, v1::ContainerInfo* out);

// The container port behind PORT`index` on a bridge (0 when none): health checks of a
// bridged task connect to the container itself.
int containerPortAt(const App& app, size_t index);

}  // namespace agora::services
