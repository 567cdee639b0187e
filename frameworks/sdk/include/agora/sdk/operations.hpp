// Builders for offer operations that are more than a list of tasks (persistent volumes),
// for `SchedulerDriver::acceptOffers`. Pure functions; thread-compatible.
//
//   v1::Resource volume = sdk::persistentVolume("eng", "db-1", "data", 1024);
//   driver.acceptOffers({offer.id()}, {sdk::createVolumes({volume}),
//                                      sdk::launch({taskUsing(volume)})});
#pragma once

#include <string>
#include <vector>

#include "agora/v1/common.pb.h"
#include "agora/v1/scheduler.pb.h"

namespace agora::sdk {

// A persistent volume: `sizeMb` of disk reserved to `role`, known on its agent by
// `persistenceId` (unique there for the role), appearing in the sandbox of a task that
// lists it in its resources at `containerPath` (relative, no "..").
v1::Resource persistentVolume(const std::string& role, const std::string& persistenceId,
                              const std::string& containerPath, double sizeMb,
                              v1::Volume::Mode mode = v1::Volume::RW,
                              const std::string& principal = "");

// CREATE: turns offered disk reserved to the framework's role into `volumes`. Tasks of the
// same ACCEPT (later operations) may use them.
v1::scheduler::Call::Operation createVolumes(const std::vector<v1::Resource>& volumes);
// DESTROY: the volumes (offered, so used by no task) and their data are deleted; the disk
// stays reserved to the role.
v1::scheduler::Call::Operation destroyVolumes(const std::vector<v1::Resource>& volumes);
// LAUNCH of `tasks`.
v1::scheduler::Call::Operation launch(const std::vector<v1::TaskInfo>& tasks);
// LAUNCH_GROUP: `tasks` as one pod named `executorId` (all run or none; they
// share a network namespace and the pod's shared directory; one failing kills
// the others).
v1::scheduler::Call::Operation launchGroup(const std::string& executorId,
                                           const std::vector<v1::TaskInfo>& tasks);

}  // namespace agora::sdk
