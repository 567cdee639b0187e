// `ServicesScheduler`: the heart of agora-services. It owns the apps and the tasks they run,
// keeps every app at `instances` tasks (launching from offers, killing on scale-down or
// delete), persists through `AppStore` before acting, and answers the REST layer.
//
// Thread-safety: all state lives on `loop`. The `sdk::Scheduler` callbacks arrive on the
// driver's thread and only post to `loop`; the REST layer calls the other public methods
// through `EventLoop::runSync` (they REQUIRE the loop thread). Ownership: `loop`, `store`
// and the driver (`setDriver`) are borrowed and must outlive this object.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agora/sdk/scheduler.hpp"
#include "agora/sdk/scheduler_driver.hpp"
#include "common/event/event_loop.hpp"
#include "frameworks/services/app.hpp"
#include "frameworks/services/app_store.hpp"
#include "frameworks/services/constraints.hpp"
#include "frameworks/services/deployment.hpp"
#include "frameworks/services/event_bus.hpp"
#include "frameworks/services/group.hpp"
#include "frameworks/services/readiness.hpp"

namespace agora::services {

struct SchedulerOptions {
  // Offers declined while an app waits for more room come back after this long.
  double busyRefuseSeconds = 5;
  // Offers declined while nothing waits (the framework is also suppressed then).
  double idleRefuseSeconds = 120;
  // How often to reconcile all tasks with the master (lost updates, adopted tasks).
  double reconcileSeconds = 60;
  // Called (on the driver's thread) when the master refuses the framework for good, e.g.
  // it was torn down: the daemon should exit rather than serve an API that launches nothing.
  std::function<void(const std::string&)> onFatalError;
  // The framework's role (--mesos_role): resources reserved to it are offered too.
  std::string role = "*";
  // Where events go (`/v2/events`); may be null. Borrowed.
  EventBus* events = nullptr;
};

// What a change of an app answers: the deployment it started (Marathon's
// `{"deploymentId", "version"}`), and whether it created the app.
// A change of several apps at once (a group), deployed as one deployment.
struct AppTargets {
  std::map<std::string, std::optional<App>> apps;  // nullopt: delete the app.
  std::set<std::string> restart;                   // Restarted even if unchanged.
  std::vector<GroupRecord> putGroups;
  std::vector<std::string> removeGroups;
};

struct ChangeResult {
  std::string deploymentId;
  std::string version;
  bool created = false;
};

class ServicesScheduler : public sdk::Scheduler {
 public:
  ServicesScheduler(EventLoop* loop, AppStore* store, SchedulerOptions options = {});

  // Loads apps and tasks from the store. REQUIRES: before the loop and the driver start.
  Status recover();
  // REQUIRES: before the driver starts.
  void setDriver(sdk::SchedulerDriver* driver) { driver_ = driver; }

  // sdk::Scheduler: each posts to the loop.
  void subscribed(sdk::SchedulerDriver* driver, const v1::FrameworkID& id,
                  const v1::MasterID& master) override;
  void resourceOffers(sdk::SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void statusUpdate(sdk::SchedulerDriver* driver, const v1::TaskStatus& status) override;
  void disconnected(sdk::SchedulerDriver* driver) override;
  void error(sdk::SchedulerDriver* driver, const std::string& message) override;

  // --- REST side; REQUIRE the loop thread. -----------------------------------------------
  // Every change below starts a deployment. Unless `force`, a change to an app that a
  // deployment in progress still changes fails with kFailedPrecondition (Marathon's 409;
  // `lockingDeployments` names them); with `force` those deployments are cancelled.
  // Errors also: kAlreadyExists when the id is taken, kIoError when the store failed.
  StatusOr<ChangeResult> createApp(App app);
  // Creates or replaces.
  StatusOr<ChangeResult> replaceApp(App app, bool force = false);
  // Replaces every task of the app (new ones first), as a config change does. Errors:
  // kNotFound.
  StatusOr<ChangeResult> restartApp(const std::string& appId, bool force = false);
  // Errors: kNotFound. Kills every task of the app.
  StatusOr<ChangeResult> deleteApp(const std::string& appId, bool force = false);
  // Ids of the deployments in progress that change `appId` (or, for a group id, any app
  // under it).
  std::vector<std::string> lockingDeployments(const std::string& appId) const;
  // GET /v2/deployments.
  nlohmann::json deploymentsJson() const;
  // DELETE /v2/deployments/{id}: without `force`, a new deployment that brings the apps
  // back to what they were before (its result); with `force`, the deployment is only
  // forgotten (an empty result). Errors: kNotFound.
  StatusOr<ChangeResult> cancelDeployment(const std::string& deploymentId, bool force);
  // The app as Marathon shows it (with task counts, and its tasks when `withTasks`);
  // null when unknown.
  nlohmann::json appJson(const std::string& appId, bool withTasks) const;
  // Marathon's `taskStats` of the app (embed=apps.taskStats): counts and lifetimes of its
  // tasks in total, of its latest config, of older configs and since its last scaling.
  nlohmann::json taskStatsJson(const std::string& appId) const;
  // Marathon's `readinessCheckResults` of the app's tasks (embed=apps.readiness).
  nlohmann::json readinessJson(const std::string& appId) const;
  std::vector<std::string> appIds() const;
  // `{"versions": [...]}` newest first, or the app at `version`. Errors: kNotFound.
  StatusOr<nlohmann::json> versionsJson(const std::string& appId);
  StatusOr<nlohmann::json> versionJson(const std::string& appId, const std::string& version);
  // Tasks as Marathon lists them (`{"id", "appId", "host", "ports", "state", ...}`), of one
  // app or (empty `appId`) of all.
  nlohmann::json tasksJson(const std::string& appId) const;
  // Marathon's text/plain task list (what haproxy scripts read): per app and port, one line
  // "<app id with _ for />\t<service port>\t<host>:<port>\t..." over its RUNNING tasks.
  std::string tasksText(const std::string& appId) const;
  // Kills the app's tasks (only `taskId` when given). With `scale` the app's instances drop
  // by as many, so they are not replaced. Returns the killed tasks. Errors: kNotFound for an
  // unknown app or task, kIoError when the scaled app could not be stored.
  // With `scale` the answer is the scaling's deployment (`{"deploymentId", "version"}`), and
  // a locked app fails as above unless `force`.
  StatusOr<nlohmann::json> killTasks(const std::string& appId, const std::string& taskId,
                                     bool scale, bool force = false);
  // GET /v2/queue: `{"queue": [...]}`, one entry per app short of tasks, with its launch
  // delay and what became of the offers it saw (processedOffersSummary).
  nlohmann::json queueJson() const;
  // Forgets the app's launch delay (backoff). Errors: kNotFound.
  Status resetDelay(const std::string& appId);
  // --- Groups (services_groups.cpp). ---
  bool groupExists(const std::string& groupId) const;
  // GET /v2/groups[/{id}]: the group with its apps and groups, recursively; null when unknown.
  nlohmann::json groupJson(const std::string& groupId, bool withTasks) const;
  // POST (`create`: kAlreadyExists when the group exists) and PUT /v2/groups: the group
  // becomes `tree`; apps under it that `tree` lacks are deleted, unchanged apps are left as
  // they are. Errors also: kInvalidArgument (a dependency cycle), as `changeApps`.
  StatusOr<ChangeResult> putGroup(const GroupTree& tree, bool create, bool force);
  // `?dryRun=true`: the steps `putGroup(tree)` would deploy, changing nothing.
  // Errors: kInvalidArgument (a dependency cycle).
  StatusOr<nlohmann::json> planGroup(const GroupTree& tree) const;
  // Every app under the group to ceil(instances × factor). Errors: kNotFound.
  StatusOr<ChangeResult> scaleGroup(const std::string& groupId, double factor, bool force);
  // PUT {"version": v}: the group as it was at `version`. Errors: kNotFound.
  StatusOr<ChangeResult> restoreGroup(const std::string& groupId, const std::string& version,
                                      bool force);
  // Deletes every app and group under it. Errors: kNotFound.
  StatusOr<ChangeResult> deleteGroup(const std::string& groupId, bool force);
  // The group's versions, newest first. Errors: kNotFound.
  StatusOr<nlohmann::json> groupVersionsJson(const std::string& groupId);

  // GET /metrics (Marathon's Dropwizard-style JSON): gauges of apps, groups, tasks and
  // deployments.
  nlohmann::json metricsJson() const;

  std::string frameworkId() const { return frameworkId_; }
  std::optional<App> findApp(const std::string& appId) const;
  // Whether the task is known and not being killed already.
  bool hasTask(const std::string& taskId) const;

 private:
  void onSubscribed(const std::string& frameworkId);
  void onOffers(const std::vector<v1::Offer>& offers);
  void onStatus(const v1::TaskStatus& status);
  void onUnknownTask(const v1::TaskStatus& status);
  // The task went TASK_UNREACHABLE: applies its app's unreachableStrategy.
  void onUnreachable(TaskRecord& task);
  // Launches what fits on `offer`, or declines it.
  void useOffer(const v1::Offer& offer);
  // Whether the app's constraints let one more of its tasks go to `agentId`.
  bool placementAllowed(const App& app, const std::string& agentId) const;
  // Kills tasks beyond each app's `instances` and tasks of deleted apps, then revives or
  // suppresses offers.
  void converge();
  void kill(TaskRecord& task);
  // Kills `count` of `tasks`: youngest first, or oldest with the app's killSelection
  // OLDEST_FIRST; staged before running either way.
  void killSome(std::vector<TaskRecord*>& tasks, int count, bool oldestFirst = false);
  // Revives offers (clearing decline filters) when an app waits for tasks.
  void reviveIfWaiting();
  void updateSuppression();
  // Tasks of the app's current config not being killed.
  int activeTasks(const std::string& appId) const;
  // How many tasks the app may launch now: what it lacks, within its upgradeStrategy's
  // over-capacity while older tasks remain.
  int launchRoom(const std::string& appId) const;
  // Kills tasks of an older config as far as the app's minimumHealthCapacity allows.
  void replaceOutdated(const App& app, std::vector<TaskRecord*>& current,
                       std::vector<TaskRecord*>& outdated);
  // Whether the task is reported healthy, or its app has no health check.
  bool passesHealth(const App& app, const TaskRecord& task) const;
  // RUNNING and, when the app has health checks, reported healthy, and, when it has a
  // readiness check, found ready.
  bool isReady(const App& app, const TaskRecord& task) const;
  // Starts a readiness probe of the task when its app has a check it has not passed yet.
  void maybeProbe(TaskRecord& task);
  void onReadiness(const std::string& taskId, int status, const std::string& error);
  // The one path of every app change: checks locks, stores the app and its deployment in one
  // batch, applies them and converges. `after` nullopt deletes the app. A `rollback` keeps
  // `after`'s config version, so the tasks still running from it are not replaced.
  StatusOr<ChangeResult> changeApp(const std::string& appId, std::optional<App> after, bool restart,
                                   bool force, bool rollback = false);
  // The same for many apps and groups: one deployment whose steps follow the dependencies.
  // Errors also: kInvalidArgument for a dependency cycle.
  StatusOr<ChangeResult> changeApps(AppTargets targets, bool force, bool rollback = false);
  // Installs (or, nullopt, removes) the app's new definition in memory.
  void applyApp(const std::string& appId, std::optional<App> after,
                const std::string& deploymentId);
  // Group dependencies by group id, as they will be after `targets`.
  std::map<std::string, std::vector<std::string>> groupDependencies(
      const AppTargets& targets) const;
  // The steps that bring the apps from `before` to `targets`, in dependency order.
  // Errors: kInvalidArgument for a dependency cycle.
  StatusOr<std::vector<DeploymentStep>> planOf(
      const AppTargets& targets, const std::map<std::string, std::optional<App>>& before) const;
  // Whether a deployment holds the app back until the apps it depends on are deployed.
  bool held(const std::string& appId) const;
  // Runs a group change and records the group's new tree as a version of it.
  StatusOr<ChangeResult> changeGroup(const std::string& groupId, AppTargets targets, bool force);
  // The app and group changes that make the group `tree` (unchanged apps left out).
  AppTargets groupTargets(const GroupTree& tree) const;
  // Ids of the groups directly under `groupId` (explicit, or implied by app ids).
  std::set<std::string> childGroups(const std::string& groupId) const;
  // Whether the app has reached what `action` asks of it.
  bool actionDone(DeploymentAction action, const std::string& appId) const;
  // Advances every deployment past its done steps; ends (and announces) finished ones.
  void progressDeployments();
  // Forgets the deployment (store and memory) and announces `eventType`.
  void endDeployment(const std::string& deploymentId, const std::string& eventType);
  void publish(const std::string& eventType, nlohmann::json payload) const;
  void publishStatus(const TaskRecord& task, const v1::TaskStatus& status) const;
  // An app short of tasks whose launch delay (backoff) has passed.
  bool launchable(const std::string& appId) const;
  bool anyWaiting() const;  // Any app launchable now.
  // A task of `appId` ended unasked: delays the app's next launch (backoff) and remembers
  // the failure for `lastTaskFailure`.
  void backOff(const TaskRecord& task, const v1::TaskStatus& status);
  void startReconcileTimer();
  nlohmann::json taskJson(const TaskRecord& task) const;
  TaskRecord& addTask(TaskRecord task);
  void eraseTask(const std::string& taskId);
  // The app's task records (also of a deleted app whose tasks have not ended yet).
  std::vector<const TaskRecord*> tasksOf(const std::string& appId) const;
  std::vector<TaskRecord*> tasksOf(const std::string& appId);

  EventLoop* loop_;
  AppStore* store_;
  std::unique_ptr<HttpProber> prober_;
  SchedulerOptions options_;
  sdk::SchedulerDriver* driver_ = nullptr;
  std::string frameworkId_;
  std::map<std::string, App> apps_;
  // Every task record, by id; add and erase only through addTask/eraseTask, which keep
  // `tasksByApp_` (what most per-app questions read) in step.
  std::map<std::string, TaskRecord> tasks_;
  // App id -> its records by task id (pointers into `tasks_`, whose nodes never move).
  std::map<std::string, std::map<std::string, TaskRecord*>> tasksByApp_;
  std::map<std::string, Deployment> deployments_;  // In progress, by id.
  std::map<std::string, GroupRecord> groups_;      // Created explicitly, by id.
  struct LaunchDelay {
    int failures = 0;
    EventLoop::Clock::time_point until;
    EventLoop::TimerId timer = 0;
  };
  std::map<std::string, LaunchDelay> delays_;  // Reset when the app is replaced.
  std::map<std::string, nlohmann::json> lastFailures_;
  // What happened to the offers each waiting app saw since its last change (the queue's
  // processedOffersSummary): how many it looked at and used, and why the rest did not fit.
  struct OfferStats {
    int processed = 0;
    int unused = 0;
    std::string lastUsedAt;
    std::string lastUnusedAt;
    std::map<std::string, int> rejected;  // By Marathon's reason name.
  };
  std::map<std::string, OfferStats> offerStats_;
  EventLoop::TimerId reconcileTimer_ = 0;
  // What constraints look at, per agent id, learned from offers.
  std::map<std::string, AgentValues> agentValues_;
  // Unknown after a (re-)subscription: the next update sends either call.
  std::optional<bool> suppressed_;
  bool subscribed_ = false;
};

}  // namespace agora::services
