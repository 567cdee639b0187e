#include "frameworks/services/app_store.hpp"

#include <nlohmann/json.hpp>

namespace agora::services {

namespace {

using nlohmann::json;

const char* kFrameworkIdKey = "framework_id";
const char* kAppPrefix = "apps/";
const char* kTaskPrefix = "tasks/";
const char* kDeploymentPrefix = "deployments/";
const char* kGroupPrefix = "groups/";

std::string versionPrefix(const std::string& appId) { return "versions/" + appId + "#"; }
std::string groupVersionPrefix(const std::string& id) { return "groupversions/" + id + "#"; }

json taskToJson(const TaskRecord& task) {
  return {{"id", task.id},       {"appId", task.appId},      {"agentId", task.agentId},
          {"host", task.host},   {"version", task.version},  {"configVersion", task.configVersion},
          {"ports", task.ports}, {"stagedAt", task.stagedAt}};
}

TaskRecord taskFromJson(const json& in) {
  TaskRecord task;
  task.id = in.value("id", "");
  task.appId = in.value("appId", "");
  task.agentId = in.value("agentId", "");
  task.host = in.value("host", "");
  task.version = in.value("version", "");
  task.configVersion = in.value("configVersion", "");
  task.ports = in.value("ports", std::vector<int>{});
  task.stagedAt = in.value("stagedAt", 0.0);
  return task;
}

}  // namespace

StatusOr<std::optional<std::string>> AppStore::frameworkId() {
  return store_->get(kFrameworkIdKey);
}

Status AppStore::putFrameworkId(const std::string& id) {
  WriteBatch batch;
  batch.put(kFrameworkIdKey, id);
  return store_->write(batch);
}

StatusOr<std::vector<App>> AppStore::apps() {
  auto rows = store_->scan(kAppPrefix);
  if (!rows.isOk()) {
    return rows.status();
  }
  std::vector<App> out;
  for (const auto& [key, value] : *rows) {
    json body = json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!validateApp(body).empty()) {
      return Status::io("record '" + key + "' is not a valid app");
    }
    out.push_back(appFromJson(body));
  }
  return out;
}

Status AppStore::putApp(const App& app) { return commit(AppChange{.put = {app}}); }

Status AppStore::removeApp(const std::string& appId) {
  return commit(AppChange{.remove = {appId}});
}

Status AppStore::commit(const AppChange& change) {
  WriteBatch batch;
  for (const std::string& appId : change.remove) {
    auto versions = store_->scan(versionPrefix(appId));
    if (!versions.isOk()) {
      return versions.status();
    }
    batch.remove(kAppPrefix + appId);
    for (const auto& [key, value] : *versions) {
      batch.remove(key);
    }
  }
  for (const App& app : change.put) {
    std::string definition = appToJson(app).dump();
    batch.put(kAppPrefix + app.id, definition);
    batch.put(versionPrefix(app.id) + app.version, definition);
  }
  for (const Deployment& deployment : change.deployments) {
    batch.put(kDeploymentPrefix + deployment.id, serializeDeployment(deployment));
  }
  for (const std::string& id : change.finished) {
    batch.remove(kDeploymentPrefix + id);
  }
  for (const std::string& id : change.removeGroups) {
    batch.remove(kGroupPrefix + id);
  }
  for (const GroupRecord& group : change.groups) {
    batch.put(
        kGroupPrefix + group.id,
        json{{"id", group.id}, {"dependencies", group.dependencies}, {"version", group.version}}
            .dump());
  }
  return store_->write(batch);
}

StatusOr<std::vector<Deployment>> AppStore::deployments() {
  auto rows = store_->scan(kDeploymentPrefix);
  if (!rows.isOk()) {
    return rows.status();
  }
  std::vector<Deployment> out;
  for (const auto& [key, value] : *rows) {
    auto deployment = parseDeployment(value);
    if (!deployment.isOk()) {
      return Status::io("record '" + key + "': " + deployment.status().message());
    }
    out.push_back(std::move(*deployment));
  }
  return out;
}

Status AppStore::putGroupVersion(const std::string& groupId, const std::string& version,
                                 const std::string& definition) {
  WriteBatch batch;
  batch.put(groupVersionPrefix(groupId) + version, definition);
  return store_->write(batch);
}

StatusOr<std::vector<std::string>> AppStore::groupVersions(const std::string& groupId) {
  return keysAfter(groupVersionPrefix(groupId));
}

StatusOr<std::optional<std::string>> AppStore::groupAt(const std::string& groupId,
                                                       const std::string& version) {
  return store_->get(groupVersionPrefix(groupId) + version);
}

StatusOr<std::vector<std::string>> AppStore::versions(const std::string& appId) {
  return keysAfter(versionPrefix(appId));
}

StatusOr<std::vector<std::string>> AppStore::keysAfter(const std::string& prefix) {
  auto rows = store_->scan(prefix);
  if (!rows.isOk()) {
    return rows.status();
  }
  std::vector<std::string> out;
  for (const auto& [key, value] : *rows) {
    out.push_back(key.substr(prefix.size()));  // ISO times sort as text.
  }
  return out;
}

StatusOr<std::optional<App>> AppStore::appAt(const std::string& appId, const std::string& version) {
  auto raw = store_->get(versionPrefix(appId) + version);
  if (!raw.isOk()) {
    return raw.status();
  }
  if (!raw->has_value()) {
    return std::optional<App>();
  }
  json body = json::parse(**raw, nullptr, /*allow_exceptions=*/false);
  if (!validateApp(body).empty()) {
    return Status::io("version " + version + " of app " + appId + " is corrupt");
  }
  return std::optional<App>(appFromJson(body));
}

StatusOr<std::vector<GroupRecord>> AppStore::groups() {
  auto rows = store_->scan(kGroupPrefix);
  if (!rows.isOk()) {
    return rows.status();
  }
  std::vector<GroupRecord> out;
  for (const auto& [key, value] : *rows) {
    json record = json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object()) {
      return Status::io("record '" + key + "' is corrupt");
    }
    out.push_back(GroupRecord{record.value("id", ""),
                              record.value("dependencies", std::vector<std::string>{}),
                              record.value("version", "")});
  }
  return out;
}

StatusOr<std::vector<TaskRecord>> AppStore::tasks() {
  auto rows = store_->scan(kTaskPrefix);
  if (!rows.isOk()) {
    return rows.status();
  }
  std::vector<TaskRecord> out;
  for (const auto& [key, value] : *rows) {
    json record = json::parse(value, nullptr, /*allow_exceptions=*/false);
    if (!record.is_object()) {
      return Status::io("record '" + key + "' is corrupt");
    }
    out.push_back(taskFromJson(record));
  }
  return out;
}

Status AppStore::putTasks(const std::vector<TaskRecord>& tasks) {
  WriteBatch batch;
  for (const TaskRecord& task : tasks) {
    batch.put(kTaskPrefix + task.id, taskToJson(task).dump());
  }
  return store_->write(batch);
}

Status AppStore::removeTask(const std::string& taskId) {
  WriteBatch batch;
  batch.remove(kTaskPrefix + taskId);
  return store_->write(batch);
}

}  // namespace agora::services
