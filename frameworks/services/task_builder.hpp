// Turning an app into tasks on an offer. Pure functions; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agora/v1/common.pb.h"
#include "common/resources/resources.hpp"
#include "frameworks/services/app.hpp"

namespace agora::services {

// What one task of an app takes from an offer.
struct TaskFit {
  Resources resources;
  std::vector<int> ports;  // Host ports, in PORT0.. order.
};

// The roles whose resources a task of `app` may take, in order of preference: its
// `acceptedResourceRoles`, else the framework's role (reserved to it) and then "*".
std::vector<std::string> acceptedRoles(const App& app, const std::string& frameworkRole);

// The resources for one task of `app` out of `remaining`, all from the first of `roles`
// that has room, or nullopt when they do not fit. Free host ports are the lowest ones.
std::optional<TaskFit> fitTask(const App& app, const Resources& remaining,
                               const std::vector<std::string>& roles = {"*"});

// Why one task of `app` does not fit `remaining`, in Marathon's reason names
// ("UnfulfilledRole", "InsufficientCpus", "InsufficientMemory", "InsufficientDisk",
// "InsufficientPorts"). REQUIRES: `fitTask(app, remaining, roles)` is nullopt.
std::string noFitReason(const App& app, const Resources& remaining,
                        const std::vector<std::string>& roles = {"*"});

// The TaskInfo for task `taskId` of `app` on `offer`, with Marathon's environment
// (MARATHON_APP_ID, MARATHON_APP_VERSION, MESOS_TASK_ID, HOST, PORT0.., PORTS, ...).
v1::TaskInfo buildTask(const App& app, const std::string& taskId, const v1::Offer& offer,
                       const TaskFit& fit);

}  // namespace agora::services
