#include "master/validation.hpp"

#include <algorithm>
#include <cmath>

namespace agora::master {

Error validateRole(const std::string& role) {
  if (role.empty() || role == "*") {
    return std::nullopt;
  }
  // Hierarchical roles ("eng/web"): every path component is a name of its own.
  size_t begin = 0;
  while (true) {
    size_t end = role.find('/', begin);
    std::string part = role.substr(begin, end == std::string::npos ? end : end - begin);
    if (part.empty() || part == "." || part == ".." || part.front() == '-' ||
        part.find('*') != std::string::npos) {
      return "role '" + role + "' is not a valid role name (component '" + part + "')";
    }
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  for (char c : role) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '\\' || !std::isprint(c)) {
      return "role '" + role + "' contains whitespace or a control character";
    }
  }
  return std::nullopt;
}

Error validateSeconds(const std::string& field, double seconds) {
  constexpr double kYear = 365.0 * 24 * 3600;
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kYear) {
    return field + " must be between 0 and one year of seconds";
  }
  return std::nullopt;
}

double boundedSeconds(double seconds) {
  constexpr double kYear = 365.0 * 24 * 3600;
  return std::isnan(seconds) ? 0 : std::clamp(seconds, 0.0, kYear);
}

std::optional<double> refuseSeconds(const v1::Filters& filters) {
  double seconds = filters.has_refuse_seconds() ? filters.refuse_seconds() : 5.0;
  if (validateSeconds("refuse_seconds", seconds)) {
    return std::nullopt;
  }
  return seconds;
}

Error validateAgentInfo(const v1::AgentInfo& info) {
  if (info.hostname().empty()) {
    return "agent info has no hostname";
  }
  if (info.port() <= 0 || info.port() > 65535) {
    return "agent info has invalid port " + std::to_string(info.port());
  }
  auto resources = Resources::fromProto(info.resources());
  if (!resources.isOk()) {
    return "agent resources: " + resources.status().message();
  }
  if (!resources->volumes().empty()) {
    // Volumes are made with CREATE and owned by the master's registry.
    return "agent resources: persistent volumes cannot be declared by the agent";
  }
  return std::nullopt;
}

Error validateFrameworkInfo(const v1::FrameworkInfo& info) {
  if (info.name().empty()) {
    return "framework_info.name is empty";
  }
  if (auto error = validateSeconds("framework_info.failover_timeout", info.failover_timeout())) {
    return error;
  }
  bool multiRole = std::any_of(
      info.capabilities().begin(), info.capabilities().end(),
      [](const auto& c) { return c.type() == v1::FrameworkInfo::Capability::MULTI_ROLE; });
  if (info.roles_size() > 1 && !multiRole) {
    return "framework_info.roles: several roles need the MULTI_ROLE capability";
  }
  if (info.roles_size() > 0 && !info.role().empty()) {
    return "framework_info: set either 'role' or 'roles', not both";
  }
  std::set<std::string> seen;
  for (const std::string& role : info.roles()) {
    if (role.empty()) {
      return "framework_info.roles: a role is empty";
    }
    if (!seen.insert(role).second) {
      return "framework_info.roles: role '" + role + "' is listed twice";
    }
    if (auto error = validateRole(role)) {
      return "framework_info.roles: " + *error;
    }
  }
  return validateRole(info.role());
}

namespace {

Error validatePort(const std::string& field, uint32_t port) {
  if (port == 0 || port > 65535) {
    return field + " must be a port between 1 and 65535 (is " + std::to_string(port) + ")";
  }
  return std::nullopt;
}

Error validateHealthCheckSeconds(const v1::HealthCheck& check) {
  struct Duration {
    const char* field;
    bool set;
    double value;
    bool positive;  // 0 is not allowed either.
  };
  for (const Duration& d : {
           Duration{"delay_seconds", check.has_delay_seconds(), check.delay_seconds(), false},
           Duration{"interval_seconds", check.has_interval_seconds(), check.interval_seconds(),
                    true},
           Duration{"timeout_seconds", check.has_timeout_seconds(), check.timeout_seconds(), true},
           Duration{"grace_period_seconds", check.has_grace_period_seconds(),
                    check.grace_period_seconds(), false},
       }) {
    std::string field = std::string("health_check.") + d.field;
    if (!d.set) continue;
    if (auto error = validateSeconds(field, d.value)) return error;
    if (d.positive && d.value <= 0) return field + " must be more than 0";
  }
  return std::nullopt;
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Error validateCommandUris(const v1::CommandInfo& command) {
  for (int i = 0; i < command.uris_size(); ++i) {
    const v1::CommandInfo::URI& uri = command.uris(i);
    const std::string field = "command.uris[" + std::to_string(i) + "]";
    const std::string& value = uri.value();
    if (value.empty()) {
      return field + ".value is empty";
    }
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      return field + ".value must not contain a newline or NUL";
    }
    bool remote = startsWith(value, "http://") || startsWith(value, "https://");
    bool local = value.front() == '/' || startsWith(value, "file:///");
    if (!remote && !local) {
      return field + ".value '" + value +
             "' must be an http://, https:// or file:/// URI, or an absolute path";
    }
    if (uri.has_output_file()) {
      const std::string& name = uri.output_file();
      if (name.empty() || name == "." || name.find('/') != std::string::npos ||
          name.find("..") != std::string::npos || name.find('\0') != std::string::npos) {
        return field + ".output_file '" + name +
               "' must be a file name without '/' or '..' (it is written into the sandbox)";
      }
    }
  }
  return std::nullopt;
}

Error validateHealthCheck(const v1::HealthCheck& check) {
  switch (check.type()) {
    case v1::HealthCheck::COMMAND:
      if (check.command().value().empty()) {
        return std::string("health_check.command.value is empty (a COMMAND check needs one)");
      }
      break;
    case v1::HealthCheck::HTTP: {
      const auto& http = check.http();
      if (!http.scheme().empty() && http.scheme() != "http") {
        return "health_check.http.scheme '" + http.scheme() + "' is not supported (only http)";
      }
      if (auto error = validatePort("health_check.http.port", http.port())) return error;
      if (!http.path().empty() && http.path().front() != '/') {
        return "health_check.http.path '" + http.path() + "' must start with '/'";
      }
      if (http.path().find_first_of(" \r\n") != std::string::npos) {
        return std::string("health_check.http.path must not contain whitespace");
      }
      for (uint32_t status : http.statuses()) {
        if (status < 100 || status > 599) {
          return "health_check.http.statuses: " + std::to_string(status) +
                 " is not an HTTP status (100-599)";
        }
      }
      break;
    }
    case v1::HealthCheck::TCP:
      if (auto error = validatePort("health_check.tcp.port", check.tcp().port())) return error;
      break;
    default:
      return "health_check.type must be COMMAND, HTTP or TCP (is " +
             std::to_string(static_cast<int>(check.type())) + ")";
  }
  return validateHealthCheckSeconds(check);
}

Error validateTask(const v1::TaskInfo& task, const Resources& remaining,
                   const std::set<std::string>& usedIds) {
  const std::string& id = task.task_id().value();
  if (id.empty()) {
    return "task has no task_id";
  }
  if (id.size() > 255 || id.find('/') != std::string::npos || id == "." || id == ".." ||
      std::any_of(id.begin(), id.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)) || c == 0; })) {
    return "task_id '" + id + "' must be 1-255 characters without '/' or whitespace";
  }
  if (usedIds.count(id)) {
    return "task_id '" + id + "' is already in use by this framework";
  }
  if (!task.has_command() || (task.command().value().empty())) {
    return "task '" + id + "' has no command";
  }
  if (auto error = validateCommandUris(task.command())) {
    return "task '" + id + "' " + *error;
  }
  if (task.has_health_check()) {
    if (auto error = validateHealthCheck(task.health_check())) {
      return "task '" + id + "' " + *error;
    }
  }
  auto resources = Resources::fromProto(task.resources());
  if (!resources.isOk()) {
    return "task '" + id + "' resources: " + resources.status().message();
  }
  if (resources->scalar("cpus") <= 0 && resources->scalar("mem") <= 0) {
    return "task '" + id + "' uses no cpus and no mem";
  }
  if (!remaining.contains(*resources)) {
    return "task '" + id + "' uses " + resources->toString() +
           ", more than the offers have left (" + remaining.toString() + ")";
  }
  return std::nullopt;
}

Error validateTaskGroup(const v1::ExecutorInfo& executor, const v1::TaskGroupInfo& group) {
  const std::string& id = executor.executor_id().value();
  if (id.empty() || id.size() > 255 || id == "." || id == ".." ||
      id.find_first_of("/ \t\n\r") != std::string::npos || id.find('\0') != std::string::npos) {
    return "executor.executor_id '" + id + "' must be 1-255 characters without '/' or whitespace";
  }
  if (group.tasks_size() == 0) {
    return "task_group has no tasks";
  }
  auto network = group.tasks(0).container().network();
  for (const auto& task : group.tasks()) {
    if (task.container().network() != network) {
      return "task '" + task.task_id().value() +
             "' asks for another network than the group's first task (a pod "
             "shares one)";
    }
    if (network == v1::ContainerInfo::BRIDGE && task.container().image().reference().empty()) {
      return "task '" + task.task_id().value() +
             "' has no image: a pod on a BRIDGE network runs only containers";
    }
  }
  return std::nullopt;
}

}  // namespace agora::master
