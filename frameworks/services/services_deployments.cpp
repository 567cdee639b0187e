// The deployments of `ServicesScheduler`: every change of an app goes through `changeApp`,
// which starts a deployment; `converge()` ends it once its apps have reached their target.
#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "frameworks/services/group.hpp"
#include "frameworks/services/services_scheduler.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

std::string lockedMessage(const std::vector<std::string>& deploymentIds) {
  return "App is locked by one or more deployments. Override with the option '?force=true'. "
         "View details at '/v2/deployments/" +
         deploymentIds.front() + "'.";
}

}  // namespace

StatusOr<ChangeResult> ServicesScheduler::createApp(App app) {
  if (apps_.count(app.id) > 0) {
    return Status::error(StatusCode::kAlreadyExists,
                         "An app with id [" + app.id + "] already exists.");
  }
  std::string id = app.id;
  return changeApp(id, std::move(app), /*restart=*/false, /*force=*/false);
}

StatusOr<ChangeResult> ServicesScheduler::replaceApp(App app, bool force) {
  std::string id = app.id;
  return changeApp(id, std::move(app), /*restart=*/false, force);
}

StatusOr<ChangeResult> ServicesScheduler::restartApp(const std::string& appId, bool force) {
  auto app = apps_.find(appId);
  if (app == apps_.end()) {
    return Status::notFound("App '" + appId + "' does not exist");
  }
  return changeApp(appId, app->second, /*restart=*/true, force);
}

StatusOr<ChangeResult> ServicesScheduler::deleteApp(const std::string& appId, bool force) {
  if (apps_.count(appId) == 0) {
    return Status::notFound("App '" + appId + "' does not exist");
  }
  return changeApp(appId, std::nullopt, /*restart=*/false, force);
}

std::vector<std::string> ServicesScheduler::lockingDeployments(const std::string& appId) const {
  std::vector<std::string> ids;
  for (const auto& [id, deployment] : deployments_) {
    for (const auto& [affected, previous] : deployment.previous) {
      if (isUnder(affected, appId)) {
        ids.push_back(id);
        break;
      }
    }
  }
  return ids;
}

StatusOr<ChangeResult> ServicesScheduler::changeApp(const std::string& appId,
                                                    std::optional<App> after, bool restart,
                                                    bool force, bool rollback) {
  AppTargets targets;
  targets.apps[appId] = std::move(after);
  if (restart) {
    targets.restart.insert(appId);
  }
  return changeApps(std::move(targets), force, rollback);
}

StatusOr<ChangeResult> ServicesScheduler::changeApps(AppTargets targets, bool force,
                                                     bool rollback) {
  Deployment deployment;
  deployment.id = newUuid();
  deployment.version = versionNow();
  std::map<std::string, std::optional<App>> before;
  for (auto& [appId, after] : targets.apps) {
    before[appId] = findApp(appId);
    if (!after.has_value()) {
      continue;
    }
    after->version = deployment.version;
    after->lastScalingAt = deployment.version;
    // A rollback keeps the config version, so the tasks still running from it stay.
    if (!(rollback && !after->lastConfigChangeAt.empty())) {
      const std::optional<App>& was = before[appId];
      bool newConfig =
          !was.has_value() || targets.restart.count(appId) > 0 || configChanged(*was, *after);
      after->lastConfigChangeAt = newConfig ? deployment.version : was->lastConfigChangeAt;
    }
  }
  for (GroupRecord& group : targets.putGroups) {
    group.version = deployment.version;
  }
  auto steps = planOf(targets, before);
  if (!steps.isOk()) {
    return steps.status();
  }
  deployment.steps = std::move(*steps);
  std::set<std::string> locks;
  for (const std::string& appId : affectedApps(deployment)) {
    deployment.previous[appId] = before[appId];
    for (const std::string& id : lockingDeployments(appId)) {
      locks.insert(id);
    }
  }
  if (!locks.empty() && !force) {
    return Status::error(StatusCode::kFailedPrecondition,
                         lockedMessage({locks.begin(), locks.end()}));
  }
  AppChange change{.deployments = {deployment},
                   .finished = {locks.begin(), locks.end()},
                   .groups = targets.putGroups,
                   .removeGroups = targets.removeGroups};
  for (const auto& [appId, after] : targets.apps) {
    if (after.has_value()) {
      change.put.push_back(*after);
    } else if (before[appId].has_value()) {
      change.remove.push_back(appId);
    }
  }
  AGORA_RETURN_IF_ERROR(store_->commit(change));
  for (const std::string& superseded : locks) {
    LOG(INFO) << "Deployment " << deployment.id << " supersedes " << superseded;
    publish("deployment_failed", {{"id", superseded},
                                  {"plan", deploymentToJson(deployments_[superseded])},
                                  {"reason", "superseded by deployment " + deployment.id}});
    deployments_.erase(superseded);
  }
  for (auto& [appId, after] : targets.apps) {
    applyApp(appId, std::move(after), deployment.id);
  }
  for (const GroupRecord& group : targets.putGroups) {
    groups_[group.id] = group;
  }
  for (const std::string& groupId : targets.removeGroups) {
    groups_.erase(groupId);
  }
  deployments_[deployment.id] = deployment;
  json plan = deploymentToJson(deployment);
  publish("deployment_info",
          {{"plan", plan}, {"currentStep", plan["steps"].empty() ? json() : plan["steps"][0]}});
  bool created = targets.apps.size() == 1 && !before.begin()->second.has_value();
  ChangeResult result{deployment.id, deployment.version, created};
  converge();
  reviveIfWaiting();
  return result;
}

void ServicesScheduler::applyApp(const std::string& appId, std::optional<App> after,
                                 const std::string& deploymentId) {
  offerStats_.erase(appId);
  // A new definition starts without the old one's backoff (as in Marathon).
  auto delay = delays_.find(appId);
  if (delay != delays_.end()) {
    loop_->cancel(delay->second.timer);
    delays_.erase(delay);
  }
  if (after.has_value()) {
    LOG(INFO) << "App " << appId << " now has " << after->instances << " instances of config "
              << after->lastConfigChangeAt << " (deployment " << deploymentId << ")";
    apps_[appId] = std::move(*after);
  } else if (apps_.erase(appId) > 0) {
    LOG(INFO) << "Deleted app " << appId << " (deployment " << deploymentId << ")";
    lastFailures_.erase(appId);
    publish("app_terminated_event", {{"appId", appId}});
  }
}

std::map<std::string, std::vector<std::string>> ServicesScheduler::groupDependencies(
    const AppTargets& targets) const {
  std::map<std::string, std::vector<std::string>> deps;
  for (const auto& [id, group] : groups_) {
    deps[id] = group.dependencies;
  }
  for (const std::string& id : targets.removeGroups) {
    deps.erase(id);
  }
  for (const GroupRecord& group : targets.putGroups) {
    deps[group.id] = group.dependencies;
  }
  return deps;
}

StatusOr<std::vector<DeploymentStep>> ServicesScheduler::planOf(
    const AppTargets& targets, const std::map<std::string, std::optional<App>>& before) const {
  auto groupDeps = groupDependencies(targets);
  return planChange(before, targets.apps, targets.restart, [&](const std::string& appId) {
    const std::optional<App>& app = targets.apps.at(appId);
    return app.has_value() ? dependenciesOf(*app, groupDeps) : std::vector<std::string>{};
  });
}

bool ServicesScheduler::held(const std::string& appId) const {
  for (const auto& [id, deployment] : deployments_) {
    for (size_t step = 0; step < deployment.steps.size(); ++step) {
      for (const auto& [action, app] : deployment.steps[step].actions) {
        if (app == appId &&
            (action == DeploymentAction::kScale || action == DeploymentAction::kRestart)) {
          if (step > deployment.stepsDone) {
            return true;  // Its turn has not come: what it depends on is still deploying.
          }
        }
      }
    }
  }
  return false;
}

bool ServicesScheduler::actionDone(DeploymentAction action, const std::string& appId) const {
  auto app = apps_.find(appId);
  if (action == DeploymentAction::kStart) {
    return app != apps_.end();
  }
  int current = 0;
  for (const TaskRecord* task : tasksOf(appId)) {
    if (task->inactive) {
      continue;  // Replaced already; it counts for nothing until it is seen again.
    }
    // Anything still being killed, or of an older config, or not yet ready is work left.
    if (action == DeploymentAction::kStop || app == apps_.end() || task->killing ||
        task->configVersion != app->second.lastConfigChangeAt || !isReady(app->second, *task)) {
      return false;
    }
    ++current;
  }
  return action == DeploymentAction::kStop ||
         (app != apps_.end() && current == app->second.instances);
}

void ServicesScheduler::progressDeployments() {
  std::vector<std::string> finished;
  for (auto& [id, deployment] : deployments_) {
    size_t before = deployment.stepsDone;
    while (deployment.stepsDone < deployment.steps.size()) {
      bool done = true;
      for (const auto& [action, appId] : deployment.steps[deployment.stepsDone].actions) {
        done = done && actionDone(action, appId);
      }
      if (!done) {
        break;
      }
      publish("deployment_step_success",
              {{"plan", deploymentToJson(deployment)},
               {"currentStep", deploymentToJson(deployment)["steps"][deployment.stepsDone]}});
      ++deployment.stepsDone;
    }
    if (deployment.stepsDone == deployment.steps.size()) {
      finished.push_back(id);
    } else if (deployment.stepsDone != before) {
      Status stored = store_->commit(AppChange{.deployments = {deployment}});
      if (!stored.isOk()) {
        LOG(ERROR) << "Could not record progress of deployment " << id << ": " << stored.message();
      }
    }
  }
  for (const std::string& id : finished) {
    LOG(INFO) << "Deployment " << id << " succeeded";
    endDeployment(id, "deployment_success");
  }
}

void ServicesScheduler::endDeployment(const std::string& deploymentId,
                                      const std::string& eventType) {
  auto it = deployments_.find(deploymentId);
  if (it == deployments_.end()) {
    return;
  }
  Status stored = store_->commit(AppChange{.finished = {deploymentId}});
  if (!stored.isOk()) {
    // It is re-checked after a restart and ends again then.
    LOG(ERROR) << "Could not forget deployment " << deploymentId << ": " << stored.message();
  }
  publish(eventType, {{"id", deploymentId}, {"plan", deploymentToJson(it->second)}});
  deployments_.erase(it);
}

json ServicesScheduler::deploymentsJson() const {
  json out = json::array();
  for (const auto& [id, deployment] : deployments_) {
    json plan = deploymentToJson(deployment);
    // What the readiness checks of the apps being deployed said so far.
    for (json& action : plan["currentActions"]) {
      std::string appId = action.value("app", "");
      action["readinessCheckResults"] = readinessJson(appId);
    }
    out.push_back(plan);
  }
  return out;
}

StatusOr<ChangeResult> ServicesScheduler::cancelDeployment(const std::string& deploymentId,
                                                           bool force) {
  auto it = deployments_.find(deploymentId);
  if (it == deployments_.end()) {
    return Status::notFound("DeploymentPlan " + deploymentId + " does not exist");
  }
  if (force) {
    LOG(INFO) << "Deployment " << deploymentId << " cancelled without rollback";
    endDeployment(deploymentId, "deployment_failed");
    return ChangeResult{};
  }
  // A rollback is a new deployment to the previous definitions; it supersedes this one.
  Deployment cancelled = it->second;
  ChangeResult result;
  for (const auto& [appId, previous] : cancelled.previous) {
    std::optional<App> target = previous;
    if (!target.has_value() && apps_.count(appId) == 0) {
      continue;  // Created, then deleted by the same deployment: nothing to undo.
    }
    auto change = changeApp(appId, target, /*restart=*/false, /*force=*/true, /*rollback=*/true);
    if (!change.isOk()) {
      return change.status();
    }
    result = *change;
  }
  LOG(INFO) << "Deployment " << deploymentId << " rolled back by " << result.deploymentId;
  return result;
}

void ServicesScheduler::publish(const std::string& eventType, json payload) const {
  if (options_.events != nullptr) {
    options_.events->publish(eventType, std::move(payload));
  }
}

void ServicesScheduler::publishStatus(const TaskRecord& task, const v1::TaskStatus& status) const {
  publish("status_update_event", {{"slaveId", task.agentId},
                                  {"taskId", task.id},
                                  {"taskStatus", v1::TaskState_Name(status.state())},
                                  {"message", status.message()},
                                  {"appId", task.appId},
                                  {"host", task.host},
                                  {"ipAddresses", json::array()},
                                  {"ports", task.ports},
                                  {"version", task.version}});
}

}  // namespace agora::services
