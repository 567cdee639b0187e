// The groups of `ServicesScheduler` (/v2/groups): a group is a prefix of app ids, plus an
// optional record (dependencies, version) when it was created or changed as a group. Group
// changes go through `changeApps` like app changes: one deployment, in dependency order.
#include <glog/logging.h>

#include <cmath>

#include "frameworks/services/services_scheduler.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

Status groupNotFound(const std::string& groupId) {
  return Status::notFound("Group '" + groupId + "' does not exist");
}

}  // namespace

bool ServicesScheduler::groupExists(const std::string& groupId) const {
  if (groupId == "/" || groups_.count(groupId) > 0) {
    return true;
  }
  for (const auto& [id, app] : apps_) {
    if (id != groupId && isUnder(id, groupId)) {
      return true;
    }
  }
  return false;
}

std::set<std::string> ServicesScheduler::childGroups(const std::string& groupId) const {
  std::set<std::string> children;
  auto childOf = [&](const std::string& id) {
    if (id == groupId || !isUnder(id, groupId)) {
      return;
    }
    size_t start = groupId == "/" ? 1 : groupId.size() + 1;
    size_t end = id.find('/', start);
    if (end != std::string::npos) {
      children.insert(id.substr(0, end));  // The app or group lies deeper: its ancestor.
    }
  };
  for (const auto& [id, app] : apps_) {
    childOf(id);
  }
  for (const auto& [id, group] : groups_) {
    if (id != groupId && isUnder(id, groupId) && parentOf(id) == groupId) {
      children.insert(id);
    }
    childOf(id);
  }
  return children;
}

json ServicesScheduler::groupJson(const std::string& groupId, bool withTasks) const {
  if (!groupExists(groupId)) {
    return nullptr;
  }
  json apps = json::array();
  std::string version;
  for (const auto& [id, app] : apps_) {
    if (parentOf(id) == groupId && id != groupId) {
      apps.push_back(appJson(id, withTasks));
      version = std::max(version, app.version);
    }
  }
  json groups = json::array();
  for (const std::string& child : childGroups(groupId)) {
    groups.push_back(groupJson(child, withTasks));
  }
  auto record = groups_.find(groupId);
  json dependencies = record == groups_.end() ? json::array() : json(record->second.dependencies);
  if (record != groups_.end() && !record->second.version.empty()) {
    version = record->second.version;
  }
  return {{"id", groupId},
          {"apps", apps},
          {"groups", groups},
          {"pods", json::array()},
          {"dependencies", dependencies},
          {"version", version},
          {"enforceRole", false}};
}

StatusOr<ChangeResult> ServicesScheduler::changeGroup(const std::string& groupId,
                                                      AppTargets targets, bool force) {
  auto change = changeApps(std::move(targets), force);
  if (!change.isOk()) {
    return change;
  }
  json tree = groupJson(groupId, /*withTasks=*/false);
  if (!tree.is_null()) {
    Status stored = store_->putGroupVersion(groupId, change->version, tree.dump());
    if (!stored.isOk()) {
      LOG(ERROR) << "Could not record version " << change->version << " of group " << groupId
                 << ": " << stored.message();
    }
  }
  return change;
}

StatusOr<ChangeResult> ServicesScheduler::putGroup(const GroupTree& tree, bool create, bool force) {
  if (create && groupExists(tree.id) && tree.id != "/") {
    return Status::error(StatusCode::kAlreadyExists,
                         "Group " + tree.id + " is already created. Use PUT to change this group.");
  }
  return changeGroup(tree.id, groupTargets(tree), force);
}

AppTargets ServicesScheduler::groupTargets(const GroupTree& tree) const {
  AppTargets targets;
  for (const auto& [id, app] : apps_) {
    if (isUnder(id, tree.id)) {
      targets.apps[id] = std::nullopt;  // Unless the tree keeps it, below.
    }
  }
  for (const App& app : tree.apps) {
    auto current = apps_.find(app.id);
    if (current != apps_.end() && !configChanged(current->second, app) &&
        current->second.instances == app.instances) {
      targets.apps.erase(app.id);  // Unchanged: neither redeployed nor given a new version.
      continue;
    }
    targets.apps[app.id] = app;
  }
  targets.putGroups = tree.groups;
  for (const auto& [id, group] : groups_) {
    bool kept = std::any_of(tree.groups.begin(), tree.groups.end(),
                            [&](const GroupRecord& g) { return g.id == id; });
    if (isUnder(id, tree.id) && !kept) {
      targets.removeGroups.push_back(id);
    }
  }
  return targets;
}

StatusOr<json> ServicesScheduler::planGroup(const GroupTree& tree) const {
  AppTargets targets = groupTargets(tree);
  std::map<std::string, std::optional<App>> before;
  for (const auto& [appId, after] : targets.apps) {
    before[appId] = findApp(appId);
  }
  auto steps = planOf(targets, before);
  if (!steps.isOk()) {
    return steps.status();
  }
  json plan = deploymentToJson(Deployment{.steps = *steps});
  return json{{"steps", plan["steps"]}, {"affectedApps", plan["affectedApps"]}};
}

StatusOr<ChangeResult> ServicesScheduler::scaleGroup(const std::string& groupId, double factor,
                                                     bool force) {
  if (!groupExists(groupId)) {
    return groupNotFound(groupId);
  }
  AppTargets targets;
  for (const auto& [id, app] : apps_) {
    if (isUnder(id, groupId)) {
      App scaled = app;
      scaled.instances = static_cast<int>(std::ceil(app.instances * factor - 1e-9));
      targets.apps[id] = std::move(scaled);
    }
  }
  return changeGroup(groupId, std::move(targets), force);
}

StatusOr<ChangeResult> ServicesScheduler::restoreGroup(const std::string& groupId,
                                                       const std::string& version, bool force) {
  auto stored = store_->groupAt(groupId, version);
  if (!stored.isOk()) {
    return stored.status();
  }
  if (!stored->has_value()) {
    return Status::notFound("Version '" + version + "' of group '" + groupId + "' does not exist");
  }
  json body = json::parse(**stored, nullptr, /*allow_exceptions=*/false);
  if (!validateGroup(body).empty()) {
    return Status::io("version " + version + " of group " + groupId + " is corrupt");
  }
  return putGroup(groupFromJson(body), /*create=*/false, force);
}

StatusOr<ChangeResult> ServicesScheduler::deleteGroup(const std::string& groupId, bool force) {
  if (!groupExists(groupId)) {
    return groupNotFound(groupId);
  }
  AppTargets targets;
  for (const auto& [id, app] : apps_) {
    if (isUnder(id, groupId)) {
      targets.apps[id] = std::nullopt;
    }
  }
  for (const auto& [id, group] : groups_) {
    if (isUnder(id, groupId)) {
      targets.removeGroups.push_back(id);
    }
  }
  return changeApps(std::move(targets), force);
}

StatusOr<json> ServicesScheduler::groupVersionsJson(const std::string& groupId) {
  if (!groupExists(groupId)) {
    return groupNotFound(groupId);
  }
  auto versions = store_->groupVersions(groupId);
  if (!versions.isOk()) {
    return versions.status();
  }
  std::reverse(versions->begin(), versions->end());
  return json(*versions);
}

}  // namespace agora::services
