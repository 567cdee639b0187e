#include "frameworks/services/group.hpp"

#include <algorithm>
#include <sstream>

namespace agora::services {

namespace {

using nlohmann::json;

const char* kCycle = "Dependency graph has cyclic dependencies.";

void addError(std::vector<FieldError>& errors, const std::string& path, const std::string& error) {
  for (FieldError& entry : errors) {
    if (entry.path == path) {
      entry.errors.push_back(error);
      return;
    }
  }
  errors.push_back(FieldError{path, {error}});
}

std::string joinPath(const std::string& prefix, const std::string& path) {
  return path == "/" ? (prefix.empty() ? "/" : prefix) : prefix + path;
}

// The string ids of a `dependencies` array resolved against `base`; errors at `path`.
std::vector<std::string> dependencyIds(const json& body, const std::string& base,
                                       const std::string& path, std::vector<FieldError>* errors) {
  std::vector<std::string> ids;
  if (!body.contains("dependencies")) {
    return ids;
  }
  const json& list = body["dependencies"];
  if (!list.is_array()) {
    if (errors != nullptr) {
      addError(*errors, path + "/dependencies", "error.expected.jsarray");
    }
    return ids;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    auto id = list[i].is_string()
                  ? resolveId(base, list[i].get<std::string>())
                  : StatusOr<std::string>(Status::invalid("error.expected.jsstring"));
    if (id.isOk()) {
      ids.push_back(*id);
    } else if (errors != nullptr) {
      addError(*errors, path + "/dependencies(" + std::to_string(i) + ")",
               list[i].is_string() ? "is not a valid path" : "error.expected.jsstring");
    }
  }
  return ids;
}

// Walks a group body: checks it (when `errors` is given) and collects its groups and apps
// with absolute ids into `tree`.
void walkGroup(const json& body, const std::string& id, const std::string& path, GroupTree* tree,
               std::vector<FieldError>* errors) {
  tree->groups.push_back(GroupRecord{id, dependencyIds(body, parentOf(id), path, errors), ""});
  const json apps = body.value("apps", json::array());
  if (!apps.is_array() && errors != nullptr) {
    addError(*errors, path + "/apps", "error.expected.jsarray");
  }
  for (size_t i = 0; apps.is_array() && i < apps.size(); ++i) {
    std::string appPath = path + "/apps(" + std::to_string(i) + ")";
    json app = apps[i];
    StatusOr<std::string> appId = Status::invalid("error.path.missing");
    if (app.is_object() && app.contains("id") && app["id"].is_string()) {
      appId = resolveId(id, app["id"].get<std::string>());
      if (appId.isOk()) {
        app["id"] = *appId;
      }
    }
    if (errors != nullptr) {
      for (const FieldError& error : validateApp(app)) {
        for (const std::string& message : error.errors) {
          addError(*errors, joinPath(appPath, error.path), message);
        }
      }
      if (appId.isOk() && parentOf(*appId) != id) {
        addError(*errors, appPath + "/id",
                 "App " + *appId + " is not a direct child of group " + id + ".");
      }
    }
    if (appId.isOk() && (errors == nullptr || validateApp(app).empty())) {
      App parsed = appFromJson(app);
      // Dependencies are kept absolute: the app may be read without its group.
      auto deps = dependencyIds(app, id, appPath, nullptr);
      if (!deps.empty()) {
        parsed.extra["dependencies"] = deps;
      }
      tree->apps.push_back(std::move(parsed));
    }
  }
  const json groups = body.value("groups", json::array());
  if (!groups.is_array() && errors != nullptr) {
    addError(*errors, path + "/groups", "error.expected.jsarray");
  }
  for (size_t i = 0; groups.is_array() && i < groups.size(); ++i) {
    std::string groupPath = path + "/groups(" + std::to_string(i) + ")";
    const json& group = groups[i];
    StatusOr<std::string> groupId = Status::invalid("error.path.missing");
    if (group.is_object() && group.contains("id") && group["id"].is_string()) {
      groupId = resolveId(id, group["id"].get<std::string>());
    }
    if (!groupId.isOk() || !group.is_object()) {
      if (errors != nullptr) {
        addError(*errors, groupPath + "/id",
                 group.is_object() ? groupId.status().message() : "error.expected.jsobject");
      }
      continue;
    }
    if (parentOf(*groupId) != id && errors != nullptr) {
      addError(*errors, groupPath + "/id",
               "Group " + *groupId + " is not a direct child of group " + id + ".");
    }
    walkGroup(group, *groupId, groupPath, tree, errors);
  }
}

// The group id a body names: `idFromPath` first, then the body's id (relative to the root).
StatusOr<std::string> groupIdOf(const json& body, const std::optional<std::string>& idFromPath) {
  if (idFromPath.has_value()) {
    return resolveId("/", *idFromPath);
  }
  if (!body.contains("id")) {
    return Status::invalid("error.path.missing");
  }
  if (!body["id"].is_string()) {
    return Status::invalid("error.expected.jsstring");
  }
  return resolveId("/", body["id"].get<std::string>());
}

// Depth-first: whether following dependencies from `node` comes back to a node on the path.
bool hasCycle(const std::string& node, const std::map<std::string, std::vector<std::string>>& edges,
              std::map<std::string, int>& state) {
  int& mark = state[node];
  if (mark == 1) {
    return true;
  }
  if (mark == 2) {
    return false;
  }
  mark = 1;
  auto out = edges.find(node);
  if (out != edges.end()) {
    for (const std::string& next : out->second) {
      if (hasCycle(next, edges, state)) {
        return true;
      }
    }
  }
  state[node] = 2;
  return false;
}

// App-to-app edges: a dependency on a group stands for every app under it.
std::map<std::string, std::vector<std::string>> appEdges(
    const std::vector<std::string>& apps,
    const std::function<std::vector<std::string>(const std::string&)>& dependencies) {
  std::map<std::string, std::vector<std::string>> edges;
  for (const std::string& app : apps) {
    for (const std::string& dependency : dependencies(app)) {
      for (const std::string& other : apps) {
        if (other != app && isUnder(other, dependency)) {
          edges[app].push_back(other);
        }
      }
    }
  }
  return edges;
}

}  // namespace

StatusOr<std::string> resolveId(const std::string& base, const std::string& id) {
  std::vector<std::string> segments;
  std::string joined = !id.empty() && id[0] == '/' ? id : base + "/" + id;
  std::stringstream parts(joined);
  std::string segment;
  while (std::getline(parts, segment, '/')) {
    if (segment.empty() || segment == ".") {
      continue;
    }
    if (segment == "..") {
      if (segments.empty()) {
        return Status::invalid("'" + id + "' goes above the root");
      }
      segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  if (segments.empty()) {
    return std::string("/");
  }
  std::string path;
  for (const std::string& part : segments) {
    path += "/" + part;
  }
  return normalizeAppId(path);
}

std::string parentOf(const std::string& id) {
  size_t slash = id.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : id.substr(0, slash);
}

bool isUnder(const std::string& id, const std::string& group) {
  return group == "/" || id == group || id.rfind(group + "/", 0) == 0;
}

std::vector<FieldError> validateGroup(const json& body,
                                      const std::optional<std::string>& idFromPath) {
  std::vector<FieldError> errors;
  if (!body.is_object()) {
    addError(errors, "/", "error.expected.jsobject");
    return errors;
  }
  auto id = groupIdOf(body, idFromPath);
  if (!id.isOk()) {
    addError(errors, "/id", id.status().message());
    return errors;
  }
  GroupTree tree;
  walkGroup(body, *id, "", &tree, &errors);
  std::set<std::string> seen;
  for (const App& app : tree.apps) {
    if (!seen.insert(app.id).second) {
      addError(errors, "/apps", "App " + app.id + " is defined more than once.");
    }
  }
  if (errors.empty()) {
    std::map<std::string, std::vector<std::string>> groupDeps;
    for (const GroupRecord& group : tree.groups) {
      groupDeps[group.id] = group.dependencies;
    }
    std::vector<std::string> ids(seen.begin(), seen.end());
    auto edges = appEdges(ids, [&](const std::string& appId) {
      auto app = std::find_if(tree.apps.begin(), tree.apps.end(),
                              [&](const App& a) { return a.id == appId; });
      return dependenciesOf(*app, groupDeps);
    });
    std::map<std::string, int> state;
    for (const std::string& appId : ids) {
      if (hasCycle(appId, edges, state)) {
        addError(errors, "/", kCycle);
        break;
      }
    }
  }
  return errors;
}

GroupTree groupFromJson(const json& body, const std::optional<std::string>& idFromPath) {
  GroupTree tree;
  tree.id = *groupIdOf(body, idFromPath);
  walkGroup(body, tree.id, "", &tree, nullptr);
  return tree;
}

std::vector<std::string> dependenciesOf(
    const App& app, const std::map<std::string, std::vector<std::string>>& groupDependencies) {
  std::vector<std::string> out;
  if (app.extra.contains("dependencies") && app.extra["dependencies"].is_array()) {
    for (const json& dependency : app.extra["dependencies"]) {
      if (dependency.is_string()) {
        auto id = resolveId(parentOf(app.id), dependency.get<std::string>());
        if (id.isOk()) {
          out.push_back(*id);
        }
      }
    }
  }
  for (std::string group = parentOf(app.id);; group = parentOf(group)) {
    auto deps = groupDependencies.find(group);
    if (deps != groupDependencies.end()) {
      out.insert(out.end(), deps->second.begin(), deps->second.end());
    }
    if (group == "/") {
      break;
    }
  }
  return out;
}

StatusOr<std::vector<DeploymentStep>> planChange(
    const std::map<std::string, std::optional<App>>& before,
    const std::map<std::string, std::optional<App>>& after, const std::set<std::string>& restart,
    const std::function<std::vector<std::string>(const std::string&)>& dependencies) {
  DeploymentStep stops;
  DeploymentStep starts;
  std::map<std::string, DeploymentAction> moving;  // Scaled or restarted, by app id.
  for (const auto& [id, target] : after) {
    auto was = before.find(id);
    bool existed = was != before.end() && was->second.has_value();
    if (!target.has_value()) {
      if (existed) {
        stops.actions.emplace_back(DeploymentAction::kStop, id);
      }
    } else if (!existed) {
      starts.actions.emplace_back(DeploymentAction::kStart, id);
      moving[id] = DeploymentAction::kScale;
    } else if (restart.count(id) > 0 || configChanged(*was->second, *target)) {
      moving[id] = DeploymentAction::kRestart;
    } else if (was->second->instances != target->instances) {
      moving[id] = DeploymentAction::kScale;
    }
  }
  std::vector<std::string> ids;
  for (const auto& [id, action] : moving) {
    ids.push_back(id);
  }
  auto edges = appEdges(ids, dependencies);
  // Level = the longest chain of moving apps below an app; each level is one step.
  std::map<std::string, int> level;
  std::function<StatusOr<int>(const std::string&, int)> levelOf = [&](const std::string& id,
                                                                      int depth) -> StatusOr<int> {
    if (depth > static_cast<int>(ids.size())) {
      return Status::invalid(kCycle);
    }
    auto known = level.find(id);
    if (known != level.end()) {
      return known->second;
    }
    int mine = 0;
    for (const std::string& next : edges[id]) {
      auto below = levelOf(next, depth + 1);
      if (!below.isOk()) {
        return below.status();
      }
      mine = std::max(mine, *below + 1);
    }
    level[id] = mine;
    return mine;
  };
  std::vector<DeploymentStep> steps;
  for (DeploymentStep* step : {&stops, &starts}) {
    if (!step->actions.empty()) {
      steps.push_back(*step);
    }
  }
  std::map<int, DeploymentStep> byLevel;
  for (const auto& [id, action] : moving) {
    auto mine = levelOf(id, 0);
    if (!mine.isOk()) {
      return mine.status();
    }
    byLevel[*mine].actions.emplace_back(action, id);
  }
  for (auto& [depth, step] : byLevel) {
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace agora::services
