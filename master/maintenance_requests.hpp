// Parsing and validation of the maintenance and drain operator requests, in the shapes of
// Mesos' /maintenance/schedule, /machine/down, /machine/up and the v1 operator calls
// DRAIN_AGENT and REACTIVATE_AGENT. Pure functions: an error names the field and why.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agora/internal/registry.pb.h"
#include "agora/v1/common.pb.h"
#include "common/base/status.hpp"

namespace agora::master {

// The map key of a machine: lower-cased hostname and ip (Mesos compares hostnames
// case-insensitively).
std::string machineKey(const v1::MachineID& machine);

// Whether `agent` runs on `machine`: every part `machine` names (hostname, ip) matches the
// agent's. An agent without an `ip` is matched by its hostname, or by an ip-literal hostname.
bool machineMatches(const v1::MachineID& machine, const v1::AgentInfo& agent);

nlohmann::json machineJson(const v1::MachineID& machine);
nlohmann::json unavailabilityJson(const v1::Unavailability& unavailability);
// `{"windows": [...]}` as Mesos' GET /maintenance/schedule.
nlohmann::json scheduleJson(const internal::MaintenanceRecord& schedule);

// `{"windows": [{"machine_ids": [{"hostname", "ip"}], "unavailability": {"start":
// {"nanoseconds"}, "duration": {"nanoseconds"}}}]}`. Every machine id names a hostname or
// an ip, appears in one window only; every window has machines and a start.
StatusOr<internal::MaintenanceRecord> parseScheduleRequest(const std::string& body);

// `[{"hostname": "h", "ip": "1.2.3.4"}, ...]` (POST /machine/down and /machine/up).
StatusOr<std::vector<v1::MachineID>> parseMachineIdsRequest(const std::string& body);

// The v1 operator maintenance calls: GET_MAINTENANCE_SCHEDULE, GET_MAINTENANCE_STATUS,
// `{"type": "UPDATE_MAINTENANCE_SCHEDULE", "update_maintenance_schedule": {"schedule":
// {"windows": [...]}}}`, `{"type": "START_MAINTENANCE", "start_maintenance": {"machines":
// [...]}}` and STOP_MAINTENANCE likewise (`stop_maintenance`). Empty for other types.
struct MaintenanceOperatorCall {
  enum class Type {
    kGetSchedule,
    kGetStatus,
    kUpdateSchedule,
    kStartMaintenance,
    kStopMaintenance
  };
  Type type = Type::kGetSchedule;
  internal::MaintenanceRecord schedule;  // UPDATE_MAINTENANCE_SCHEDULE
  std::vector<v1::MachineID> machines;   // START_ / STOP_MAINTENANCE
};
StatusOr<std::optional<MaintenanceOperatorCall>> parseMaintenanceOperatorCall(
    const std::string& body);

struct AgentOperatorCall {
  enum class Type { kDrainAgent, kDeactivateAgent, kReactivateAgent, kMarkAgentGone };
  Type type = Type::kDrainAgent;
  std::string agentId;
  internal::DrainConfig config;  // DRAIN_AGENT only.
};

// The v1 operator calls `{"type": "DRAIN_AGENT", "drain_agent": {"agent_id": {"value"},
// "max_grace_period": {"nanoseconds"}, "mark_gone": false}}` and `{"type":
// "REACTIVATE_AGENT", "reactivate_agent": {"agent_id": {"value"}}}` (DEACTIVATE_AGENT
// likewise, with "deactivate_agent"; MARK_AGENT_GONE with "mark_agent_gone"). Other types
// are refused as unsupported.
StatusOr<AgentOperatorCall> parseAgentOperatorCall(const std::string& body);

}  // namespace agora::master
