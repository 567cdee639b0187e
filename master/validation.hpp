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
// Checks one task of an ACCEPT against what is left of the offers. `usedIds` holds the task
// ids already active for the framework or earlier in the same ACCEPT.
Error validateTask(const v1::TaskInfo& task, const Resources& remaining,
                   const std::set<std::string>& usedIds);

}  // namespace agora::master
