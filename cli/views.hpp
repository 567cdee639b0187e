// Pure views of the master's and agents' JSON (docs/contracts.md, "HTTP"): table rows for
// the list commands, and the lookups `run` and `logs` need (agent address, sandbox path).
// Missing fields read as empty or zero, so a partial document still prints.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/table.hpp"
#include "common/base/status.hpp"

namespace agora::cli {

// ID HOSTNAME STATE CPUS MEM DISK (used/total), from master /state.
Table agentsTable(const nlohmann::json& state);
// ID NAME ROLE CONNECTED TASKS CPUS MEM (used), from master /state.
Table frameworksTable(const nlohmann::json& state);
// ID NAME STATE FRAMEWORK AGENT, from master /tasks.
Table tasksTable(const nlohmann::json& tasks);

// The agent's "host:port" HTTP address from master /state.
StatusOr<std::string> agentHttpAddress(const nlohmann::json& state, const std::string& agentId);

// The sandbox directory of `taskId` from an agent's /state (active and completed
// frameworks and executors).
StatusOr<std::string> sandboxDirectory(const nlohmann::json& agentState,
                                       const std::string& frameworkId, const std::string& taskId);

// Whether a task state name is terminal ("TASK_FINISHED", ... but not TASK_UNREACHABLE).
bool isTerminalStateName(const std::string& state);

// A string field, or "" when absent or not a string.
std::string field(const nlohmann::json& object, const std::string& key);

// The array member `key` of `object`, or an empty array when `object` is not an object
// or the member is absent or not an array (`json::value()` would throw on a non-object).
nlohmann::json arrayField(const nlohmann::json& object, const std::string& key);

}  // namespace agora::cli
