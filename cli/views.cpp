#include "cli/views.hpp"
#include "common/base/task_states.hpp"

#include <set>

namespace agora::cli {

using nlohmann::json;

std::string field(const json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) {
    return "";
  }
  const json& value = object[key];
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_boolean()) {
    return value.get<bool>() ? "true" : "false";
  }
  return value.is_null() ? "" : value.dump();
}

namespace {

double number(const json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) {
    return 0;
  }
  return object[key].get<double>();
}

const json& member(const json& object, const std::string& key) {
  static const json kNull;
  return object.is_object() && object.contains(key) ? object[key] : kNull;
}

// Iterates an array member, tolerating its absence.
json arrayOf(const json& object, const std::string& key) {
  const json& value = member(object, key);
  return value.is_array() ? value : json::array();
}

}  // namespace

json arrayField(const json& object, const std::string& key) { return arrayOf(object, key); }

namespace {

std::string usedOfTotal(const json& agent, const std::string& resource) {
  return formatNumber(number(member(agent, "used_resources"), resource)) + "/" +
         formatNumber(number(member(agent, "resources"), resource));
}

}  // namespace

Table agentsTable(const json& state) {
  Table table({"ID", "HOSTNAME", "STATE", "CPUS", "MEM", "DISK"});
  for (const json& agent : arrayOf(state, "slaves")) {
    table.addRow({field(agent, "id"), field(agent, "hostname"), field(agent, "state"),
                  usedOfTotal(agent, "cpus"), usedOfTotal(agent, "mem"),
                  usedOfTotal(agent, "disk")});
  }
  return table;
}

Table frameworksTable(const json& state) {
  Table table({"ID", "NAME", "ROLE", "CONNECTED", "TASKS", "CPUS", "MEM"});
  for (const json& framework : arrayOf(state, "frameworks")) {
    const json& used = member(framework, "used_resources");
    table.addRow({field(framework, "id"), field(framework, "name"), field(framework, "role"),
                  field(framework, "connected"), std::to_string(arrayOf(framework, "tasks").size()),
                  formatNumber(number(used, "cpus")), formatNumber(number(used, "mem"))});
  }
  return table;
}

Table tasksTable(const json& tasks) {
  Table table({"ID", "NAME", "STATE", "FRAMEWORK", "AGENT"});
  for (const json& task : arrayOf(tasks, "tasks")) {
    table.addRow({field(task, "id"), field(task, "name"), field(task, "state"),
                  field(task, "framework_id"), field(task, "slave_id")});
  }
  return table;
}

StatusOr<std::string> agentHttpAddress(const json& state, const std::string& agentId) {
  for (const json& agent : arrayOf(state, "slaves")) {
    if (field(agent, "id") != agentId) {
      continue;
    }
    std::string address = field(agent, "http_address");
    if (address.empty() && !field(agent, "hostname").empty()) {
      address = field(agent, "hostname") + ":" + field(agent, "port");
    }
    if (address.empty()) {
      return Status::notFound("the master does not say where agent " + agentId + " listens");
    }
    return address;
  }
  return Status::notFound("the master does not know agent " + agentId);
}

namespace {

bool executorRunsTask(const json& executor, const std::string& taskId) {
  if (field(executor, "id") == taskId) {
    return true;
  }
  for (const char* list : {"tasks", "completed_tasks"}) {
    for (const json& task : arrayOf(executor, list)) {
      if (field(task, "id") == taskId) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

StatusOr<std::string> sandboxDirectory(const json& agentState, const std::string& frameworkId,
                                       const std::string& taskId) {
  for (const char* frameworks : {"frameworks", "completed_frameworks"}) {
    for (const json& framework : arrayOf(agentState, frameworks)) {
      if (!frameworkId.empty() && field(framework, "id") != frameworkId) {
        continue;
      }
      for (const char* executors : {"executors", "completed_executors"}) {
        for (const json& executor : arrayOf(framework, executors)) {
          if (executorRunsTask(executor, taskId) && !field(executor, "directory").empty()) {
            return field(executor, "directory");
          }
        }
      }
    }
  }
  return Status::notFound("the agent has no sandbox for task " + taskId);
}

bool isTerminalStateName(const std::string& state) {
  v1::TaskState parsed;
  return v1::TaskState_Parse(state, &parsed) && isTerminalState(parsed);
}

}  // namespace agora::cli
