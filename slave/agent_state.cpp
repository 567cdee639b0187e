// The agent's `/state` document (docs/contracts.md, "Agent").
#include "common/base/ids.hpp"
#include "common/http/http.hpp"
#include "common/resources/domain.hpp"
#include "slave/agent.hpp"
#include "slave/containerizer/cgroups.hpp"
#include "slave/executor/container_runner.hpp"

namespace agora::slave {

namespace {

nlohmann::json statusJson(const v1::TaskStatus& status) {
  nlohmann::json out{
      {"state", v1::TaskState_Name(status.state())},
      {"timestamp", status.timestamp()},
      {"message", status.message()},
      {"reason", v1::TaskStatus::Reason_Name(status.reason())},
      {"source", v1::TaskStatus::Source_Name(status.source())},
  };
  if (status.has_exit_code()) {
    out["exit_code"] = status.exit_code();
  }
  if (status.has_healthy()) {
    out["healthy"] = status.healthy();
  }
  return out;
}

std::string roleOf(const v1::FrameworkInfo& framework) {
  if (framework.roles_size() > 0) {
    return framework.roles(0);
  }
  return framework.role().empty() ? "*" : framework.role();
}

}  // namespace

nlohmann::json Agent::taskJson(const internal::TaskCheckpoint& task,
                               const std::vector<v1::TaskStatus>& statuses) const {
  auto resources = Resources::fromProto(task.task().resources());
  nlohmann::json out{
      {"id", task.task().task_id().value()},
      {"name", task.task().name()},
      {"framework_id", task.framework().id().value()},
      {"slave_id", link_->agentId().value()},
      {"state", v1::TaskState_Name(task.state())},
      {"role", roleOf(task.framework())},
      {"resources", resources.isOk() ? resources->toJson() : Resources().toJson()},
      {"statuses", nlohmann::json::array()},
  };
  for (const auto& status : statuses) {
    out["statuses"].push_back(statusJson(status));
  }
  return out;
}

std::vector<Agent::MonitoredTask> Agent::monitoredTasks() const {
  std::vector<MonitoredTask> out;
  for (const auto& [key, task] : tasks_) {
    if (task.state == TaskRecord::State::kTerminal) continue;
    const v1::TaskInfo& info = task.checkpoint.task();
    auto resources = Resources::fromProto(info.resources());
    out.push_back(MonitoredTask{
        .frameworkId = key.first,
        .taskId = key.second,
        .name = info.name(),
        .sandbox = task.checkpoint.sandbox(),
        .container = !info.container().image().reference().empty(),
        .cpus = resources.isOk() ? resources->scalar("cpus") : 0,
        .memMb = resources.isOk() ? resources->scalar("mem") : 0,
    });
  }
  return out;
}

internal::ContainerUsage Agent::containerUsage() const {
  internal::ContainerUsage sum;
  sum.set_timestamp(wallSeconds());
  auto layout = oci::detectCgroupLayout();
  if (!layout.isOk()) return sum;
  for (const MonitoredTask& task : monitoredTasks()) {
    if (!task.container) continue;
    auto usage =
        oci::containerUsage(*layout, containerCgroupsPath(containerIdForSandbox(task.sandbox)));
    if (!usage.isOk()) continue;  // Not started yet, or just gone.
    sum.set_containers(sum.containers() + 1);
    sum.set_cpus_user_time_secs(sum.cpus_user_time_secs() + usage->cpusUserTimeSecs);
    sum.set_cpus_system_time_secs(sum.cpus_system_time_secs() + usage->cpusSystemTimeSecs);
    sum.set_mem_rss_bytes(sum.mem_rss_bytes() + usage->memRssBytes);
    sum.set_mem_total_bytes(sum.mem_total_bytes() + usage->memTotalBytes);
    sum.set_mem_limit_bytes(sum.mem_limit_bytes() + usage->memLimitBytes);
    sum.set_cpus_limit(sum.cpus_limit() + (usage->cpusLimit > 0 ? usage->cpusLimit : task.cpus));
  }
  return sum;
}

nlohmann::json Agent::stateJson() const {
  // framework id -> {"executors": [...], "completed_executors": [...]}
  std::map<std::string, nlohmann::json> active;
  std::map<std::string, nlohmann::json> completed;
  auto executorJson = [this](const internal::TaskCheckpoint& cp,
                             const std::vector<v1::TaskStatus>& statuses) {
    return nlohmann::json{{"id", cp.task().task_id().value()},
                          {"directory", cp.sandbox()},
                          {"tasks", nlohmann::json::array({taskJson(cp, statuses)})}};
  };
  for (const auto& [key, task] : tasks_) {
    active[key.first]["executors"].push_back(executorJson(task.checkpoint, task.statuses));
  }
  for (const auto& done : completed_) {
    const std::string& frameworkId = done.checkpoint.framework().id().value();
    auto& target = active.count(frameworkId) > 0 ? active : completed;
    target[frameworkId]["completed_executors"].push_back(
        executorJson(done.checkpoint, done.statuses));
  }
  auto frameworkList = [this](std::map<std::string, nlohmann::json>& byId) {
    nlohmann::json list = nlohmann::json::array();
    for (auto& [id, body] : byId) {
      auto info = frameworks_.find(id);
      body["id"] = id;
      body["name"] = info == frameworks_.end() ? "" : info->second.name();
      body["role"] = info == frameworks_.end() ? "*" : roleOf(info->second);
      for (const char* field : {"executors", "completed_executors"}) {
        if (!body.contains(field)) {
          body[field] = nlohmann::json::array();
        }
      }
      list.push_back(body);
    }
    return list;
  };
  nlohmann::json volumes = nlohmann::json::array();
  for (const PersistentVolume& volume : volumes_.volumeList()) {
    volumes.push_back({{"role", volume.role},
                       {"persistence_id", volume.id},
                       {"container_path", volume.containerPath},
                       {"mode", volume.readOnly ? "RO" : "RW"},
                       {"disk", volume.size},
                       {"path", volumePath(options_.workDir, volume.role, volume.id)}});
  }
  return nlohmann::json{
      {"id", link_->agentId().value()},
      {"hostname", options_.hostname},
      {"port", options_.port},
      {"master", options_.master.toString()},
      {"registered", link_->registered()},
      {"resources", resources_.toJson()},
      {"attributes", attributesToJson(info_.attributes())},
      {"domain", domainToJson(info_.domain())},
      {"persistent_volumes", volumes},
      {"executor_endpoint", executorEndpoint_},
      {"frameworks", frameworkList(active)},
      {"completed_frameworks", frameworkList(completed)},
  };
}

}  // namespace agora::slave
