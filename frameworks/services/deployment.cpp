#include "frameworks/services/deployment.hpp"

#include <algorithm>

namespace agora::services {

namespace {

using nlohmann::json;

const char* actionName(DeploymentAction action) {
  switch (action) {
    case DeploymentAction::kStart:
      return "StartApplication";
    case DeploymentAction::kScale:
      return "ScaleApplication";
    case DeploymentAction::kRestart:
      return "RestartApplication";
    case DeploymentAction::kStop:
      return "StopApplication";
  }
  return "ScaleApplication";
}

std::optional<DeploymentAction> actionFromName(const std::string& name) {
  for (DeploymentAction action : {DeploymentAction::kStart, DeploymentAction::kScale,
                                  DeploymentAction::kRestart, DeploymentAction::kStop}) {
    if (name == actionName(action)) {
      return action;
    }
  }
  return std::nullopt;
}

json stepToJson(const DeploymentStep& step) {
  json actions = json::array();
  for (const auto& [action, appId] : step.actions) {
    actions.push_back({{"action", actionName(action)}, {"app", appId}});
  }
  return {{"actions", actions}};
}

}  // namespace

std::vector<std::string> affectedApps(const Deployment& deployment) {
  std::vector<std::string> apps;
  for (const DeploymentStep& step : deployment.steps) {
    for (const auto& [action, appId] : step.actions) {
      if (std::find(apps.begin(), apps.end(), appId) == apps.end()) {
        apps.push_back(appId);
      }
    }
  }
  return apps;
}

json deploymentToJson(const Deployment& deployment) {
  json steps = json::array();
  for (const DeploymentStep& step : deployment.steps) {
    steps.push_back(stepToJson(step));
  }
  json current = json::array();
  if (deployment.stepsDone < deployment.steps.size()) {
    for (const auto& [action, appId] : deployment.steps[deployment.stepsDone].actions) {
      current.push_back({{"action", actionName(action)},
                         {"app", appId},
                         {"readinessCheckResults", json::array()}});
    }
  }
  size_t total = deployment.steps.size();
  return {{"id", deployment.id},
          {"version", deployment.version},
          {"affectedApps", affectedApps(deployment)},
          {"affectedPods", json::array()},
          {"steps", steps},
          {"currentActions", current},
          {"currentStep", std::min(deployment.stepsDone + 1, total)},
          {"totalSteps", total}};
}

std::string serializeDeployment(const Deployment& deployment) {
  json out = deploymentToJson(deployment);
  out["stepsDone"] = deployment.stepsDone;
  json previous = json::object();
  for (const auto& [appId, app] : deployment.previous) {
    previous[appId] = app.has_value() ? appToJson(*app) : json(nullptr);
  }
  out["previous"] = previous;
  return out.dump();
}

StatusOr<Deployment> parseDeployment(const std::string& text) {
  json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !in.contains("id") || !in["id"].is_string() ||
      !in.value("steps", json()).is_array()) {
    return Status::invalid("not a deployment record");
  }
  Deployment deployment;
  deployment.id = in["id"].get<std::string>();
  deployment.version = in.value("version", "");
  deployment.stepsDone = in.value("stepsDone", size_t{0});
  for (const json& step : in["steps"]) {
    DeploymentStep parsed;
    const json actions = step.value("actions", json::array());  // Not a temporary: iterated.
    for (const json& action : actions) {
      auto kind = actionFromName(action.value("action", ""));
      if (!kind.has_value()) {
        return Status::invalid("unknown action '" + action.value("action", "") + "'");
      }
      parsed.actions.emplace_back(*kind, action.value("app", ""));
    }
    deployment.steps.push_back(std::move(parsed));
  }
  const json previous = in.value("previous", json::object());
  for (const auto& [appId, app] : previous.items()) {
    if (app.is_null()) {
      deployment.previous[appId] = std::nullopt;
    } else if (validateApp(app).empty()) {
      deployment.previous[appId] = appFromJson(app);
    } else {
      return Status::invalid("the previous definition of " + appId + " is not a valid app");
    }
  }
  return deployment;
}

}  // namespace agora::services
