// Groups of agora-services, as Marathon's (`/v2/groups`): a tree of namespaces over app ids
// ("/shop" holds "/shop/web" and the group "/shop/db"), each with `dependencies` that order
// deployments. A group is written as one JSON tree and deployed as one deployment.
//
// Pure functions and value types: parsing and validating a group body (every bad field at
// its Marathon path, e.g. "/apps(0)/cpus"), resolving relative ids, and planning the steps
// of a change of many apps in dependency order.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "frameworks/services/app.hpp"
#include "frameworks/services/deployment.hpp"

namespace agora::services {

// What the store keeps of a group besides its apps.
struct GroupRecord {
  std::string id;                         // "/" is the root.
  std::vector<std::string> dependencies;  // Absolute ids of apps or groups.
  std::string version;
};

// A group body flattened: the group, every group below it, and every app in them, with
// absolute ids.
struct GroupTree {
  std::string id;
  std::vector<GroupRecord> groups;  // The group itself first.
  std::vector<App> apps;
};

// `id` against the group `base`: absolute ids stay, "web" and "./web" are children of
// `base`, "../db" a sibling. Errors: an id that is not a valid path.
StatusOr<std::string> resolveId(const std::string& base, const std::string& id);
// "/shop" for "/shop/web", "/" for "/web".
std::string parentOf(const std::string& id);
// Whether `id` is `group` or lies under it.
bool isUnder(const std::string& id, const std::string& group);

// Every rule `body` breaks as a group definition; `idFromPath` (PUT /v2/groups/{id}) is
// used when the body has no id. Cyclic dependencies are reported too.
std::vector<FieldError> validateGroup(const nlohmann::json& body,
                                      const std::optional<std::string>& idFromPath = {});
// REQUIRES: `validateGroup(body, idFromPath)` is empty.
GroupTree groupFromJson(const nlohmann::json& body,
                        const std::optional<std::string>& idFromPath = {});

// An app's dependencies: its own (`dependencies`, relative to its group) and those of the
// groups above it (`groupDependencies` by group id).
std::vector<std::string> dependenciesOf(
    const App& app, const std::map<std::string, std::vector<std::string>>& groupDependencies);

// Marathon's plan for changing apps from `before` to `after` (nullopt: absent; `restart`
// forces a restart): stop what goes, start what is new (at 0 instances), then scale or
// restart in dependency order, one step per level. Apps that do not change are not in it.
// `dependencies(appId)` gives absolute ids of apps or groups. Errors: a dependency cycle.
StatusOr<std::vector<DeploymentStep>> planChange(
    const std::map<std::string, std::optional<App>>& before,
    const std::map<std::string, std::optional<App>>& after, const std::set<std::string>& restart,
    const std::function<std::vector<std::string>(const std::string&)>& dependencies);

}  // namespace agora::services
