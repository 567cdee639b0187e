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

// The resources for one task of `app` out of `remaining` (unreserved only), or nullopt when
// they do not fit. Host ports are the lowest free ones.
std::optional<TaskFit> fitTask(const App& app, const Resources& remaining);

// Why one task of `app` does not fit `remaining`, in Marathon's reason names
// ("InsufficientCpus", "InsufficientMemory", "InsufficientDisk", "InsufficientPorts").
// REQUIRES: `fitTask(app, remaining)` is nullopt.
std::string noFitReason(const App& app, const Resources& remaining);

// The TaskInfo for task `taskId` of `app` on `offer`, with Marathon's environment
// (MARATHON_APP_ID, MARATHON_APP_VERSION, MESOS_TASK_ID, HOST, PORT0.., PORTS, ...).
v1::TaskInfo buildTask(const App& app, const std::string& taskId, const v1::Offer& offer,
                       const TaskFit& fit);

}  // namespace agora::services
