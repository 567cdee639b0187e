#include "frameworks/services/task_builder.hpp"

#include <set>
#include <sstream>

#include "frameworks/services/container_spec.hpp"
#include "frameworks/services/health_check.hpp"

namespace agora::services {

namespace {

// The app's cpus, mem and disk as resources of `role` ("*": unreserved).
StatusOr<Resources> scalarsOf(const App& app, const std::string& role) {
  std::string tag = role == Resources::kUnreservedRole ? "" : "(" + role + ")";
  std::ostringstream text;
  text << "cpus" << tag << ":" << app.cpus << ";mem" << tag << ":" << app.mem;
  if (app.disk > 0) {
    text << ";disk" << tag << ":" << app.disk;
  }
  double gpus = app.extra.value("gpus", 0.0);
  if (gpus > 0) {
    text << ";gpus" << tag << ":" << gpus;
  }
  return Resources::parse(text.str());
}

// Host ports for `requests` (0: the lowest free port, else exactly that one) out of the
// ports of `role` in `remaining`; nullopt when they are not all free.
std::optional<std::vector<int>> pickPorts(const Resources& remaining,
                                          const std::vector<int>& requests,
                                          const std::string& role) {
  // A named local: iterating `intervals()` of a temporary would dangle.
  IntervalSet free = remaining.reservedTo(role).ranges("ports");
  std::set<int> taken;
  for (int port : requests) {
    IntervalSet one;
    one.add(static_cast<uint64_t>(port), static_cast<uint64_t>(port));
    if (port != 0 && (!free.contains(one) || !taken.insert(port).second)) {
      return std::nullopt;
    }
  }
  std::vector<int> ports;
  auto interval = free.intervals().begin();
  uint64_t next = interval == free.intervals().end() ? 0 : interval->first;
  for (int port : requests) {
    if (port != 0) {
      ports.push_back(port);
      continue;
    }
    // The lowest free port not fixed by another request.
    while (interval != free.intervals().end() &&
           (next > interval->second || taken.count(static_cast<int>(next)) > 0)) {
      if (next > interval->second) {
        if (++interval == free.intervals().end()) {
          break;
        }
        next = interval->first;
      } else {
        ++next;
      }
    }
    if (interval == free.intervals().end()) {
      return std::nullopt;
    }
    ports.push_back(static_cast<int>(next));
    taken.insert(static_cast<int>(next++));
  }
  return ports;
}

Resources portResources(const std::vector<int>& ports, const std::string& role) {
  google::protobuf::RepeatedPtrField<v1::Resource> entries;
  v1::Resource* entry = entries.Add();
  entry->set_name("ports");
  entry->set_type(v1::Value::RANGES);
  if (role != Resources::kUnreservedRole) {
    entry->set_role(role);
  }
  for (int port : ports) {
    v1::Value::Range* range = entry->mutable_ranges()->add_range();
    range->set_begin(port);
    range->set_end(port);
  }
  auto resources = Resources::fromProto(entries);
  return resources.isOk() ? *resources : Resources();
}

void addVariable(v1::Environment* env, const std::string& name, const std::string& value) {
  v1::Environment::Variable* variable = env->add_variables();
  variable->set_name(name);
  variable->set_value(value);
}

void fillEnvironment(const App& app, const std::string& taskId, const v1::Offer& offer,
                     const TaskFit& fit, v1::Environment* env) {
  for (const auto& [name, value] : app.env) {
    addVariable(env, name, value);
  }
  addVariable(env, "MARATHON_APP_ID", app.id);
  addVariable(env, "MARATHON_APP_VERSION", app.version);
  addVariable(env, "MESOS_TASK_ID", taskId);
  addVariable(env, "HOST", offer.hostname());
  addVariable(env, "MARATHON_APP_RESOURCE_CPUS", std::to_string(app.cpus));
  addVariable(env, "MARATHON_APP_RESOURCE_MEM", std::to_string(app.mem));
  addVariable(env, "MARATHON_APP_RESOURCE_DISK", std::to_string(app.disk));
  if (!app.image.empty()) {
    addVariable(env, "MARATHON_APP_DOCKER_IMAGE", app.image);
  }
  std::string all;
  for (size_t i = 0; i < fit.ports.size(); ++i) {
    addVariable(env, "PORT" + std::to_string(i), std::to_string(fit.ports[i]));
    all += (i == 0 ? "" : ",") + std::to_string(fit.ports[i]);
  }
  if (!fit.ports.empty()) {
    addVariable(env, "PORT", std::to_string(fit.ports[0]));
    addVariable(env, "PORTS", all);
  }
}

// Marathon's `fetch` ([{uri, executable, extract, cache, outputFile}]) and its older `uris`
// (plain strings, extracted) become the command's URIs, which the executor fetches into the
// sandbox before the command starts.
void addFetches(const App& app, v1::CommandInfo* command) {
  for (const nlohmann::json& entry : app.extra.value("fetch", nlohmann::json::array())) {
    v1::CommandInfo::URI* uri = command->add_uris();
    uri->set_value(entry.value("uri", ""));
    uri->set_executable(entry.value("executable", false));
    uri->set_extract(entry.value("extract", true));
    uri->set_cache(entry.value("cache", false));
    if (entry.contains("outputFile")) {
      uri->set_output_file(entry["outputFile"].get<std::string>());
    }
  }
  for (const nlohmann::json& entry : app.extra.value("uris", nlohmann::json::array())) {
    command->add_uris()->set_value(entry.get<std::string>());
  }
}

}  // namespace

std::optional<TaskFit> fitTask(const App& app, const Resources& remaining,
                               const std::vector<std::string>& roles) {
  // All of one task's resources come from one role, the first that has room.
  for (const std::string& role : roles) {
    auto scalars = scalarsOf(app, role);
    auto ports = pickPorts(remaining, app.hostPorts, role);
    if (!scalars.isOk() || !ports.has_value()) {
      continue;
    }
    TaskFit fit{*scalars, *ports};
    if (!ports->empty()) {
      fit.resources += portResources(*ports, role);
    }
    if (remaining.contains(fit.resources)) {
      return fit;
    }
  }
  return std::nullopt;
}

std::vector<std::string> acceptedRoles(const App& app, const std::string& frameworkRole) {
  if (app.extra.contains("acceptedResourceRoles") &&
      app.extra["acceptedResourceRoles"].is_array() &&
      !app.extra["acceptedResourceRoles"].empty()) {
    return app.extra["acceptedResourceRoles"].get<std::vector<std::string>>();
  }
  if (frameworkRole == Resources::kUnreservedRole) {
    return {Resources::kUnreservedRole};
  }
  return {frameworkRole, Resources::kUnreservedRole};  // Reserved resources first.
}

std::string noFitReason(const App& app, const Resources& offered,
                        const std::vector<std::string>& roles) {
  Resources remaining;
  for (const std::string& role : roles) {
    remaining += offered.reservedTo(role);
  }
  if (remaining.empty()) {
    return "UnfulfilledRole";
  }
  if (remaining.scalar("cpus") + 1e-9 < app.cpus) {
    return "InsufficientCpus";
  }
  if (remaining.scalar("mem") + 1e-9 < app.mem) {
    return "InsufficientMemory";
  }
  if (remaining.scalar("disk") + 1e-9 < app.disk) {
    return "InsufficientDisk";
  }
  if (remaining.scalar("gpus") + 1e-9 < app.extra.value("gpus", 0.0)) {
    return "InsufficientGpus";
  }
  return "InsufficientPorts";
}

v1::TaskInfo buildTask(const App& app, const std::string& taskId, const v1::Offer& offer,
                       const TaskFit& fit) {
  v1::TaskInfo task;
  task.set_name(app.id.substr(1));
  task.mutable_task_id()->set_value(taskId);
  *task.mutable_agent_id() = offer.agent_id();
  fit.resources.toProto(task.mutable_resources());
  v1::CommandInfo* command = task.mutable_command();
  if (app.cmd.has_value()) {
    command->set_shell(true);
    command->set_value(*app.cmd);
  } else if (!app.args.empty()) {
    command->set_shell(false);
    command->set_value(app.args[0]);
    for (const std::string& arg : app.args) {
      command->add_arguments(arg);
    }
  }
  fillEnvironment(app, taskId, offer, fit, command->mutable_environment());
  if (app.extra.contains("user")) {
    command->set_user(app.extra["user"].get<std::string>());
  }
  addFetches(app, command);
  if (app.extra.contains("taskKillGracePeriodSeconds")) {
    task.mutable_kill_policy()->set_grace_period_seconds(
        app.extra["taskKillGracePeriodSeconds"].get<double>());
  }
  if (!app.image.empty()) {
    task.mutable_container()->mutable_image()->set_reference(app.image);
    fillContainer(app, fit.ports, task.mutable_container());
  }
  if (auto check = healthCheckFor(app, fit.ports)) {
    *task.mutable_health_check() = *check;
  }
  return task;
}

}  // namespace agora::services
