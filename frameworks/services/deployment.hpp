// A deployment of agora-services, as Marathon's `DeploymentPlan`: every change to an app
// (create, replace, scale, restart, delete) is one deployment, listed by /v2/deployments
// until the apps it touches have reached their new target, and locking them meanwhile (a
// further change is refused with 409 unless forced). It remembers each app as it was before,
// so DELETE /v2/deployments/{id} can roll the change back.
//
// Value types and pure functions; the scheduler owns the live deployments.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "frameworks/services/app.hpp"

namespace agora::services {

// Marathon's action names.
enum class DeploymentAction { kStart, kScale, kRestart, kStop };

struct DeploymentStep {
  // (action, app id) pairs run together.
  std::vector<std::pair<DeploymentAction, std::string>> actions;
};

struct Deployment {
  std::string id;
  std::string version;  // When it was made, as Marathon prints versions.
  std::vector<DeploymentStep> steps;
  // Each affected app as it was before (nullopt: it did not exist), for a rollback.
  std::map<std::string, std::optional<App>> previous;
  // Index of the first step not yet done (== steps.size() when complete).
  size_t stepsDone = 0;
};

// The apps a deployment changes, in step order, each once.
std::vector<std::string> affectedApps(const Deployment& deployment);

// GET /v2/deployments' entry: id, version, affectedApps, affectedPods, steps,
// currentActions, currentStep, totalSteps.
nlohmann::json deploymentToJson(const Deployment& deployment);

// What the store keeps (the above plus `previous`), and back. Errors: a malformed record.
std::string serializeDeployment(const Deployment& deployment);
StatusOr<Deployment> parseDeployment(const std::string& text);

}  // namespace agora::services
