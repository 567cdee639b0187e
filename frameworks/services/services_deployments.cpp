// The deployments of `ServicesScheduler`: every change of an app goes through `changeApp`,
// which starts a deployment; `converge()` ends it once its apps have reached their target.
#include <glog/logging.h>

#include "common/base/ids.hpp"
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
    if (deployment.previous.count(appId) > 0) {
      ids.push_back(id);
    }
  }
  return ids;
}

StatusOr<ChangeResult> ServicesScheduler::changeApp(const std::string& appId,
                                                    std::optional<App> after, bool restart,
                                                    bool force, bool rollback) {
  std::vector<std::string> locks = lockingDeployments(appId);
  if (!locks.empty() && !force) {
    return Status::error(StatusCode::kFailedPrecondition, lockedMessage(locks));
  }
  std::optional<App> before = findApp(appId);
  Deployment deployment;
  deployment.id = newUuid();
  deployment.version = versionNow();
  deployment.previous[appId] = before;
  if (after.has_value()) {
    after->version = deployment.version;
    after->lastScalingAt = deployment.version;
    bool keepConfigVersion = rollback && !after->lastConfigChangeAt.empty();
    if (!keepConfigVersion) {
      bool newConfig = !before.has_value() || restart || configChanged(*before, *after);
      after->lastConfigChangeAt = newConfig ? deployment.version : before->lastConfigChangeAt;
    }
  }
  deployment.steps = planFor(before, after, restart);
  AppChange change{.deployments = {deployment}, .finished = locks};
  if (after.has_value()) {
    change.put.push_back(*after);
  } else {
    change.remove.push_back(appId);
  }
  AGORA_RETURN_IF_ERROR(store_->commit(change));
  for (const std::string& superseded : locks) {
    LOG(INFO) << "Deployment " << deployment.id << " supersedes " << superseded;
    publish("deployment_failed", {{"id", superseded},
                                  {"plan", deploymentToJson(deployments_[superseded])},
                                  {"reason", "superseded by deployment " + deployment.id}});
    deployments_.erase(superseded);
  }
  // A new definition starts without the old one's backoff (as in Marathon).
  auto delay = delays_.find(appId);
  if (delay != delays_.end()) {
    loop_->cancel(delay->second.timer);
    delays_.erase(delay);
  }
  if (after.has_value()) {
    LOG(INFO) << (before ? "Changed" : "Created") << " app " << appId << " with "
              << after->instances << " instances (deployment " << deployment.id << ")";
    apps_[appId] = std::move(*after);
  } else {
    LOG(INFO) << "Deleted app " << appId << " (deployment " << deployment.id << ")";
    apps_.erase(appId);
    lastFailures_.erase(appId);
    publish("app_terminated_event", {{"appId", appId}});
  }
  deployments_[deployment.id] = deployment;
  publish("deployment_info", {{"plan", deploymentToJson(deployment)},
                              {"currentStep", deploymentToJson(deployment)["steps"][0]}});
  ChangeResult result{deployment.id, deployment.version, !before.has_value()};
  converge();
  reviveIfWaiting();
  return result;
}

bool ServicesScheduler::actionDone(DeploymentAction action, const std::string& appId) const {
  auto app = apps_.find(appId);
  if (action == DeploymentAction::kStart) {
    return app != apps_.end();
  }
  int current = 0;
  for (const auto& [id, task] : tasks_) {
    if (task.appId != appId) {
      continue;
    }
    // Anything still being killed, or of an older config, or not yet ready is work left.
    if (action == DeploymentAction::kStop || app == apps_.end() || task.killing ||
        task.configVersion != app->second.lastConfigChangeAt || !isReady(app->second, task)) {
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
    out.push_back(deploymentToJson(deployment));
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
