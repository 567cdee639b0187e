#include "slave/executor/task_environment.hpp"

#include <algorithm>

namespace agora::slave {

namespace {
constexpr const char* kBasics[] = {"PATH", "HOME",   "USER", "LOGNAME", "SHELL",
                                   "LANG", "LC_ALL", "TZ",   "TMPDIR"};
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// Never hand out an unbounded number of PORTn variables for a huge range.
constexpr size_t kMaxPortVariables = 1000;
}  // namespace

std::map<std::string, std::string> taskEnvironment(const TaskEnvironmentInput& input) {
  std::map<std::string, std::string> env;
  for (const char* name : kBasics) {
    auto it = input.inherited.find(name);
    if (it != input.inherited.end()) {
      env[name] = it->second;
    }
  }
  if (env.count("PATH") == 0) {
    env["PATH"] = kDefaultPath;
  }
  for (const auto& variable : input.task.command().environment().variables()) {
    if (!variable.name().empty()) {
      env[variable.name()] = variable.value();
    }
  }
  const std::string& taskId = input.task.task_id().value();
  env["AGORA_TASK_ID"] = taskId;
  env["AGORA_FRAMEWORK_ID"] = input.frameworkId;
  env["AGORA_SANDBOX"] = input.sandbox;
  env["MESOS_TASK_ID"] = taskId;
  env["MESOS_FRAMEWORK_ID"] = input.frameworkId;
  env["MESOS_SANDBOX"] = input.sandbox;
  env["MESOS_DIRECTORY"] = input.sandbox;
  env["HOST"] = input.hostname;

  std::vector<uint64_t> ports;
  for (const auto& resource : input.task.resources()) {
    if (resource.name() != "ports") {
      continue;
    }
    for (const auto& range : resource.ranges().range()) {
      for (uint64_t port = range.begin(); port <= range.end() && ports.size() < kMaxPortVariables;
           ++port) {
        ports.push_back(port);
      }
    }
  }
  std::sort(ports.begin(), ports.end());
  std::string list;
  for (size_t i = 0; i < ports.size(); ++i) {
    env["PORT" + std::to_string(i)] = std::to_string(ports[i]);
    list += (i == 0 ? "" : ",") + std::to_string(ports[i]);
  }
  if (!ports.empty()) {
    env["PORT"] = std::to_string(ports[0]);
    env["PORTS"] = list;
  }
  return env;
}

std::vector<std::string> toEnvStrings(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) {
    out.push_back(name + "=" + value);
  }
  return out;
}

}  // namespace agora::slave
