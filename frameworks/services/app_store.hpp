// `AppStore`: what agora-services keeps in its RocksDB (`--work_dir`) so that a restart
// loses nothing: the framework id (to re-subscribe as the same framework and keep its
// tasks), the app definitions, and every task it launched (written before the launch, so
// a restart knows every task that may be running and launches no duplicate).
//
// Keys: "framework_id"; "apps/<app id>" -> the app's JSON; "versions/<app id>#<version>"
// -> the app's JSON at each version ('#' cannot be in an id, so one app's prefix never
// matches another's); "tasks/<task id>" -> a small JSON record; "deployments/<id>" -> a
// deployment in progress; "groups/<id>" -> a group's dependencies and version;
// "groupversions/<id>#<version>" -> the group's JSON tree after each change. Apps are JSON (not
// protobuf) because Marathon's format is the schema here. Thread-compatible: used only on the
// services loop.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/status.hpp"
#include "common/state/state_store.hpp"
#include "frameworks/services/app.hpp"
#include "frameworks/services/deployment.hpp"
#include "frameworks/services/group.hpp"

namespace agora::services {

// A task this framework launched and has not yet seen end.
struct TaskRecord {
  std::string id;
  std::string appId;
  std::string agentId;
  std::string host;
  std::string version;  // The app version it was launched from.
  // The app's `lastConfigChangeAt` at launch: tasks of an older config are replaced.
  std::string configVersion;
  std::vector<int> ports;
  int state = 0;         // `v1::TaskState`; STAGING until a status says otherwise.
  bool killing = false;  // We asked for the kill: it no longer counts as an instance.
  std::optional<bool> healthy;  // The last health check result, once there is one.
  double unreachableSince = 0;  // Wall seconds it became TASK_UNREACHABLE (0: reachable).
  // Unreachable for longer than its app's unreachableStrategy waits: it no longer counts as
  // an instance (a replacement launches) until it is seen again.
  bool inactive = false;
  // readinessChecks: whether an answer said ready (unset until one did), a probe in flight,
  // and the last answer (an HTTP status, or why there was none).
  std::optional<bool> ready;
  bool probing = false;
  std::string lastReadiness;
  double stagedAt = 0;
};

// One atomic change of apps and deployments: a deployment is on disk iff its app change is.
struct AppChange {
  std::vector<App> put = {};                 // Written with their version records.
  std::vector<std::string> remove = {};      // App ids, removed with their versions.
  std::vector<Deployment> deployments = {};  // Written (new or updated).
  std::vector<std::string> finished = {};    // Deployment ids removed.
  std::vector<GroupRecord> groups = {};      // Written.
  std::vector<std::string> removeGroups = {};
};

class AppStore {
 public:
  explicit AppStore(std::unique_ptr<StateStore> store) : store_(std::move(store)) {}

  StatusOr<std::optional<std::string>> frameworkId();
  Status putFrameworkId(const std::string& id);

  StatusOr<std::vector<App>> apps();
  // Writes the app and its version record.
  Status putApp(const App& app);
  // Removes the app and its versions. Its tasks stay recorded until they end.
  Status removeApp(const std::string& appId);
  // The app's versions, oldest first.
  StatusOr<std::vector<std::string>> versions(const std::string& appId);
  StatusOr<std::optional<App>> appAt(const std::string& appId, const std::string& version);

  // Applies `change` in one write batch.
  Status commit(const AppChange& change);
  StatusOr<std::vector<Deployment>> deployments();
  StatusOr<std::vector<GroupRecord>> groups();
  // The group as it was after each of its changes (its JSON tree), by version.
  Status putGroupVersion(const std::string& groupId, const std::string& version,
                         const std::string& definition);
  // Versions oldest first.
  StatusOr<std::vector<std::string>> groupVersions(const std::string& groupId);
  StatusOr<std::optional<std::string>> groupAt(const std::string& groupId,
                                               const std::string& version);

  StatusOr<std::vector<TaskRecord>> tasks();
  Status putTasks(const std::vector<TaskRecord>& tasks);
  Status removeTask(const std::string& taskId);

 private:
  // The rest of every key under `prefix`, in key order.
  StatusOr<std::vector<std::string>> keysAfter(const std::string& prefix);

  std::unique_ptr<StateStore> store_;
};

}  // namespace agora::services
