// Marathon's placement constraints (`"constraints": [["hostname", "UNIQUE"], ["rack",
// "MAX_PER", "2"], ...]`) on the agent's hostname or any of its attributes. Pure functions;
// thread-compatible.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agora/v1/common.pb.h"

namespace agora::services {

struct Constraint {
  std::string field;  // "hostname" (or "@hostname") or an attribute name.
  std::string op;     // UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS.
  std::string value;  // Optional for UNIQUE, CLUSTER and GROUP_BY.
};

// What is wrong with one entry of `constraints` (nullopt when it is valid).
std::optional<std::string> constraintError(const nlohmann::json& entry);
// REQUIRES: every entry passed `constraintError`. Invalid entries are skipped.
std::vector<Constraint> parseConstraints(const nlohmann::json& constraints);

// The values constraints look at on an agent: "hostname" and each text or scalar attribute.
using AgentValues = std::map<std::string, std::string>;
AgentValues agentValuesOf(const v1::Offer& offer);

// Whether one more task may go to an agent with `candidate`, given the agents the app's
// other tasks are on (`placed`, one entry per task).
bool constraintsAllow(const std::vector<Constraint>& constraints, const AgentValues& candidate,
                      const std::vector<AgentValues>& placed);

}  // namespace agora::services
