// Pure validation of input from agents and frameworks. Each function returns the reason
// the input is invalid, or nullopt when it is fine.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "agora/v1/common.pb.h"
#include "common/resources/resources.hpp"

namespace agora::master {

using Error = std::optional<std::string>;

Error validateAgentInfo(const v1::AgentInfo& info);
Error validateFrameworkInfo(const v1::FrameworkInfo& info);
Error validateRole(const std::string& role);
// Durations from frameworks (seconds) must be finite and at most a year; a timer built from
// NaN or 1e300 would overflow.
Error validateSeconds(const std::string& field, double seconds);
// `seconds` clamped into [0, one year] (NaN becomes 0), for values already stored.
double boundedSeconds(double seconds);
// `filters.refuse_seconds`, or 5 when absent; nullopt when invalid.
std::optional<double> refuseSeconds(const v1::Filters& filters);
// Checks one task of an ACCEPT against what is left of the offers. `usedIds`
// holds the task ids already active for the framework or earlier in the same
// ACCEPT.
Error validateTask(const v1::TaskInfo& task, const Resources& remaining,
                   const std::set<std::string>& usedIds);
// A task's `command.uris` (the fetcher's): each `value` is non-empty and an http://,
// https:// or file:/// URI or an absolute path; an `output_file` is one file name (no '/',
// no ".."). Errors name the field ("command.uris[0].value ...").
Error validateCommandUris(const v1::CommandInfo& command);
// A task's `health_check`: a known type with what it needs (COMMAND: a command; HTTP: a
// port, scheme "http" or empty, a path starting with '/', statuses 100-599; TCP: a port),
// and durations that are finite and at least 0 (interval and timeout more than 0). Errors
// name the field ("health_check.http.port ...").
Error validateHealthCheck(const v1::HealthCheck& check);
// The shape of a LAUNCH_GROUP, before its tasks are checked one by one with
// validateTask: an executor id usable as a directory name, at least one task,
// and one network for the pod (BRIDGE only when every task has an image, since
// plain processes cannot join it).
Error validateTaskGroup(const v1::ExecutorInfo& executor, const v1::TaskGroupInfo& group);

// Persistent volumes (volume_validation.cpp), after Mesos' CREATE/DESTROY validation.
// Who asks: a framework (`role` is its role, `principal` its principal) or the operator
// (`role` empty: any role but "*").
struct VolumeRequester {
  std::string role;
  std::string principal;
};
// The volumes of a CREATE on an agent that already has `existing` volumes: each is a `disk`
// reserved to the requester's role, with a persistence id that is unique on the agent for
// the role, and a relative `container_path` without "..". Errors name the field
// (`volumes[i]....`) and why. Does not check that the disk is free.
StatusOr<Resources> validateCreateVolumes(
    const google::protobuf::RepeatedPtrField<v1::Resource>& volumes,
    const VolumeRequester& requester, const Resources& existing);
// The volumes of a DESTROY: each exists on the agent exactly as given (in `existing`).
StatusOr<Resources> validateDestroyVolumes(
    const google::protobuf::RepeatedPtrField<v1::Resource>& volumes,
    const VolumeRequester& requester, const Resources& existing);

}  // namespace agora::master
