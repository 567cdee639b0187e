#include "master/maintenance_requests.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <set>

namespace agora::master {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool isIpv4(const std::string& s) {
  in_addr addr{};
  return inet_pton(AF_INET, s.c_str(), &addr) == 1;
}

StatusOr<nlohmann::json> parseJson(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) {
    return Status::invalid("request body is not valid JSON");
  }
  return json;
}

// `{"nanoseconds": N}` with an integer N >= 0.
StatusOr<int64_t> nanoseconds(const nlohmann::json& object, const std::string& field) {
  if (!object.is_object() || !object.contains("nanoseconds")) {
    return Status::invalid("'" + field + ".nanoseconds' is missing");
  }
  const nlohmann::json& value = object["nanoseconds"];
  if (!value.is_number_integer() || value.get<int64_t>() < 0) {
    return Status::invalid("'" + field + ".nanoseconds' must be a non-negative integer");
  }
  return value.get<int64_t>();
}

StatusOr<v1::MachineID> parseMachineId(const nlohmann::json& json, const std::string& field) {
  if (!json.is_object()) {
    return Status::invalid("'" + field + "' must be an object with 'hostname' and/or 'ip'");
  }
  v1::MachineID machine;
  for (const char* key : {"hostname", "ip"}) {
    if (!json.contains(key)) {
      continue;
    }
    if (!json[key].is_string()) {
      return Status::invalid("'" + field + "." + key + "' must be a string");
    }
    std::string value = json[key].get<std::string>();
    std::string(key) == "hostname" ? machine.set_hostname(value) : machine.set_ip(value);
  }
  if (machine.hostname().empty() && machine.ip().empty()) {
    return Status::invalid("'" + field + "' must name a 'hostname' or an 'ip'");
  }
  if (!machine.ip().empty() && !isIpv4(machine.ip())) {
    return Status::invalid("'" + field + ".ip' is not an IPv4 address: '" + machine.ip() + "'");
  }
  return machine;
}

Status parseWindow(const nlohmann::json& json, const std::string& field,
                   std::set<std::string>* seen, internal::MaintenanceRecord::Window* window) {
  if (!json.is_object()) {
    return Status::invalid("'" + field + "' must be an object");
  }
  if (!json.contains("machine_ids") || !json["machine_ids"].is_array() ||
      json["machine_ids"].empty()) {
    return Status::invalid("'" + field + ".machine_ids' must be a non-empty array");
  }
  const nlohmann::json& ids = json["machine_ids"];
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string idField = field + ".machine_ids[" + std::to_string(i) + "]";
    auto machine = parseMachineId(ids[i], idField);
    if (!machine.isOk()) {
      return machine.status();
    }
    if (!seen->insert(machineKey(*machine)).second) {
      return Status::invalid("'" + idField + "' is in more than one window (or twice)");
    }
    *window->add_machine_ids() = *machine;
  }
  if (!json.contains("unavailability") || !json["unavailability"].is_object()) {
    return Status::invalid("'" + field + ".unavailability' must be an object");
  }
  const nlohmann::json& unavailability = json["unavailability"];
  if (!unavailability.contains("start")) {
    return Status::invalid("'" + field + ".unavailability.start' is missing");
  }
  auto start = nanoseconds(unavailability["start"], field + ".unavailability.start");
  if (!start.isOk()) {
    return start.status();
  }
  window->mutable_unavailability()->mutable_start()->set_nanoseconds(*start);
  if (unavailability.contains("duration")) {
    auto duration = nanoseconds(unavailability["duration"], field + ".unavailability.duration");
    if (!duration.isOk()) {
      return duration.status();
    }
    window->mutable_unavailability()->mutable_duration()->set_nanoseconds(*duration);
  }
  return Status::ok();
}

StatusOr<std::string> agentIdOf(const nlohmann::json& call, const std::string& field) {
  if (!call.is_object() || !call.contains("agent_id") || !call["agent_id"].is_object() ||
      !call["agent_id"].contains("value") || !call["agent_id"]["value"].is_string() ||
      call["agent_id"]["value"].get<std::string>().empty()) {
    return Status::invalid("'" + field + ".agent_id.value' must be a non-empty string");
  }
  return call["agent_id"]["value"].get<std::string>();
}

}  // namespace

std::string machineKey(const v1::MachineID& machine) {
  return lower(machine.hostname()) + "/" + machine.ip();
}

bool machineMatches(const v1::MachineID& machine, const v1::AgentInfo& agent) {
  if (machine.hostname().empty() && machine.ip().empty()) {
    return false;
  }
  std::string agentIp = !agent.ip().empty()        ? agent.ip()
                        : isIpv4(agent.hostname()) ? agent.hostname()
                                                   : "";
  bool hostnameOk =
      machine.hostname().empty() || lower(machine.hostname()) == lower(agent.hostname());
  bool ipOk = machine.ip().empty() || machine.ip() == agentIp;
  return hostnameOk && ipOk;
}

nlohmann::json machineJson(const v1::MachineID& machine) {
  nlohmann::json json = nlohmann::json::object();
  if (!machine.hostname().empty()) {
    json["hostname"] = machine.hostname();
  }
  if (!machine.ip().empty()) {
    json["ip"] = machine.ip();
  }
  return json;
}

nlohmann::json unavailabilityJson(const v1::Unavailability& unavailability) {
  nlohmann::json json = {{"start", {{"nanoseconds", unavailability.start().nanoseconds()}}}};
  if (unavailability.has_duration()) {
    json["duration"] = {{"nanoseconds", unavailability.duration().nanoseconds()}};
  }
  return json;
}

nlohmann::json scheduleJson(const internal::MaintenanceRecord& schedule) {
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& window : schedule.windows()) {
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& machine : window.machine_ids()) {
      ids.push_back(machineJson(machine));
    }
    windows.push_back(
        {{"machine_ids", ids}, {"unavailability", unavailabilityJson(window.unavailability())}});
  }
  return {{"windows", windows}};
}

namespace {

// `prefix` names where the value sits in the request ("" for a whole body).
StatusOr<internal::MaintenanceRecord> parseSchedule(const nlohmann::json& json,
                                                    const std::string& prefix) {
  if (!json.is_object()) {
    return Status::invalid(prefix.empty() ? "request body must be an object with 'windows'"
                                          : "'" + prefix + "' must be an object");
  }
  internal::MaintenanceRecord schedule;
  if (!json.contains("windows")) {
    return schedule;  // `{}` clears the schedule, as in Mesos.
  }
  const nlohmann::json& windows = json["windows"];
  if (!windows.is_array()) {
    return Status::invalid("'" + prefix + "windows' must be an array");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < windows.size(); ++i) {
    AGORA_RETURN_IF_ERROR(parseWindow(windows[i], prefix + "windows[" + std::to_string(i) + "]",
                                      &seen, schedule.add_windows()));
  }
  return schedule;
}

StatusOr<std::vector<v1::MachineID>> parseMachineIds(const nlohmann::json& json,
                                                     const std::string& prefix) {
  if (!json.is_array() || json.empty()) {
    return Status::invalid(prefix.empty() ? "request body must be a non-empty array of machine ids"
                                          : "'" + prefix + "' must be a non-empty array");
  }
  std::vector<v1::MachineID> machines;
  std::set<std::string> seen;
  for (size_t i = 0; i < json.size(); ++i) {
    std::string field = prefix + "[" + std::to_string(i) + "]";
    auto machine = parseMachineId(json[i], field);
    if (!machine.isOk()) {
      return machine.status();
    }
    if (!seen.insert(machineKey(*machine)).second) {
      return Status::invalid("'" + field + "' is listed twice");
    }
    machines.push_back(*machine);
  }
  return machines;
}

}  // namespace

StatusOr<internal::MaintenanceRecord> parseScheduleRequest(const std::string& body) {
  auto json = parseJson(body);
  if (!json.isOk()) {
    return json.status();
  }
  return parseSchedule(*json, "");
}

StatusOr<std::vector<v1::MachineID>> parseMachineIdsRequest(const std::string& body) {
  auto json = parseJson(body);
  if (!json.isOk()) {
    return json.status();
  }
  return parseMachineIds(*json, "");
}

StatusOr<std::optional<MaintenanceOperatorCall>> parseMaintenanceOperatorCall(
    const std::string& body) {
  auto json = parseJson(body);
  if (!json.isOk()) {
    return json.status();
  }
  if (!json->is_object() || !json->contains("type") || !(*json)["type"].is_string()) {
    return Status::invalid("'type' must be a string");
  }
  using Type = MaintenanceOperatorCall::Type;
  static const std::map<std::string, Type> kTypes = {
      {"GET_MAINTENANCE_SCHEDULE", Type::kGetSchedule},
      {"GET_MAINTENANCE_STATUS", Type::kGetStatus},
      {"UPDATE_MAINTENANCE_SCHEDULE", Type::kUpdateSchedule},
      {"START_MAINTENANCE", Type::kStartMaintenance},
      {"STOP_MAINTENANCE", Type::kStopMaintenance}};
  auto type = kTypes.find((*json)["type"].get<std::string>());
  if (type == kTypes.end()) {
    return std::optional<MaintenanceOperatorCall>();
  }
  MaintenanceOperatorCall call;
  call.type = type->second;
  if (call.type == Type::kUpdateSchedule) {
    nlohmann::json update = json->value("update_maintenance_schedule", nlohmann::json());
    auto schedule = parseSchedule(
        update.is_object() ? update.value("schedule", nlohmann::json()) : nlohmann::json(),
        "update_maintenance_schedule.schedule.");
    if (!schedule.isOk()) {
      return schedule.status();
    }
    call.schedule = *schedule;
  } else if (call.type == Type::kStartMaintenance || call.type == Type::kStopMaintenance) {
    std::string field =
        call.type == Type::kStartMaintenance ? "start_maintenance" : "stop_maintenance";
    nlohmann::json object = json->value(field, nlohmann::json());
    auto machines = parseMachineIds(
        object.is_object() ? object.value("machines", nlohmann::json()) : nlohmann::json(),
        field + ".machines");
    if (!machines.isOk()) {
      return machines.status();
    }
    call.machines = *machines;
  }
  return std::optional<MaintenanceOperatorCall>(std::move(call));
}

StatusOr<AgentOperatorCall> parseAgentOperatorCall(const std::string& body) {
  auto json = parseJson(body);
  if (!json.isOk()) {
    return json.status();
  }
  if (!json->is_object() || !json->contains("type") || !(*json)["type"].is_string()) {
    return Status::invalid("'type' must be a string");
  }
  std::string type = (*json)["type"].get<std::string>();
  AgentOperatorCall call;
  static const std::map<std::string, std::pair<AgentOperatorCall::Type, std::string>>
      kAgentCalls = {
          {"REACTIVATE_AGENT", {AgentOperatorCall::Type::kReactivateAgent, "reactivate_agent"}},
          {"DEACTIVATE_AGENT", {AgentOperatorCall::Type::kDeactivateAgent, "deactivate_agent"}},
          {"MARK_AGENT_GONE", {AgentOperatorCall::Type::kMarkAgentGone, "mark_agent_gone"}},
      };
  if (auto simple = kAgentCalls.find(type); simple != kAgentCalls.end()) {
    call.type = simple->second.first;
    const std::string& field = simple->second.second;
    auto agentId = agentIdOf(json->value(field, nlohmann::json()), field);
    if (!agentId.isOk()) {
      return agentId.status();
    }
    call.agentId = *agentId;
    return call;
  }
  if (type != "DRAIN_AGENT") {
    return Status::invalid("unsupported call type '" + type +
                           "' (supported: DRAIN_AGENT, DEACTIVATE_AGENT, REACTIVATE_AGENT, "
                           "MARK_AGENT_GONE, "
                           "GET_MAINTENANCE_SCHEDULE, UPDATE_MAINTENANCE_SCHEDULE, "
                           "GET_MAINTENANCE_STATUS, START_MAINTENANCE, STOP_MAINTENANCE)");
  }
  const nlohmann::json drain = json->value("drain_agent", nlohmann::json());
  auto agentId = agentIdOf(drain, "drain_agent");
  if (!agentId.isOk()) {
    return agentId.status();
  }
  call.agentId = *agentId;
  if (drain.contains("max_grace_period")) {
    auto grace = nanoseconds(drain["max_grace_period"], "drain_agent.max_grace_period");
    if (!grace.isOk()) {
      return grace.status();
    }
    call.config.mutable_max_grace_period()->set_nanoseconds(*grace);
  }
  if (drain.contains("mark_gone")) {
    if (!drain["mark_gone"].is_boolean()) {
      return Status::invalid("'drain_agent.mark_gone' must be a boolean");
    }
    call.config.set_mark_gone(drain["mark_gone"].get<bool>());
  }
  return call;
}

}  // namespace agora::master
