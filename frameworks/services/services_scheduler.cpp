#include "frameworks/services/services_scheduler.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "common/base/ids.hpp"
#include "common/base/task_states.hpp"
#include "frameworks/services/health_check.hpp"
#include "frameworks/services/task_builder.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

// TASK_UNKNOWN answers a reconciliation for a task the master does not know: for us it is
// gone (launched just before a crash and never reached the master, or long forgotten).
bool hasEnded(v1::TaskState state) { return isTerminalState(state) || state == v1::TASK_UNKNOWN; }

bool isStaged(int state) { return state == v1::TASK_STAGING || state == v1::TASK_STARTING; }

}  // namespace

ServicesScheduler::ServicesScheduler(EventLoop* loop, AppStore* store, SchedulerOptions options)
    : loop_(loop), store_(store), prober_(std::make_unique<HttpProber>()), options_(options) {}

Status ServicesScheduler::recover() {
  auto apps = store_->apps();
  if (!apps.isOk()) {
    return apps.status().withContext("reading apps");
  }
  for (App& app : *apps) {
    if (app.lastConfigChangeAt.empty()) {
      app.lastConfigChangeAt = app.version;
    }
    apps_[app.id] = std::move(app);
  }
  auto tasks = store_->tasks();
  if (!tasks.isOk()) {
    return tasks.status().withContext("reading tasks");
  }
  for (TaskRecord& task : *tasks) {
    task.state = v1::TASK_STAGING;  // Until the reconciliation after subscribing says more.
    auto app = apps_.find(task.appId);
    if (task.configVersion.empty() && app != apps_.end()) {
      task.configVersion = app->second.lastConfigChangeAt;
    }
    addTask(std::move(task));
  }
  auto deployments = store_->deployments();
  if (!deployments.isOk()) {
    return deployments.status().withContext("reading deployments");
  }
  for (Deployment& deployment : *deployments) {
    deployments_[deployment.id] = std::move(deployment);
  }
  auto groups = store_->groups();
  if (!groups.isOk()) {
    return groups.status().withContext("reading groups");
  }
  for (GroupRecord& group : *groups) {
    groups_[group.id] = std::move(group);
  }
  auto id = store_->frameworkId();
  if (!id.isOk()) {
    return id.status().withContext("reading the framework id");
  }
  frameworkId_ = id->value_or("");
  LOG(INFO) << "Recovered " << apps_.size() << " apps, " << tasks_.size() << " tasks and "
            << deployments_.size() << " deployments"
            << (frameworkId_.empty() ? "" : " of framework " + frameworkId_);
  return Status::ok();
}

// --- driver callbacks: hop onto the loop. -------------------------------------------------

void ServicesScheduler::subscribed(sdk::SchedulerDriver*, const v1::FrameworkID& id,
                                   const v1::MasterID&) {
  loop_->post([this, id = id.value()] { onSubscribed(id); });
}

void ServicesScheduler::resourceOffers(sdk::SchedulerDriver*,
                                       const std::vector<v1::Offer>& offers) {
  loop_->post([this, offers] { onOffers(offers); });
}

void ServicesScheduler::statusUpdate(sdk::SchedulerDriver*, const v1::TaskStatus& status) {
  loop_->post([this, status] { onStatus(status); });
}

void ServicesScheduler::disconnected(sdk::SchedulerDriver*) {
  loop_->post([this] {
    LOG(WARNING) << "Lost the master; the driver is looking for it";
    subscribed_ = false;
  });
}

void ServicesScheduler::error(sdk::SchedulerDriver*, const std::string& message) {
  LOG(ERROR) << "The master refused the framework: " << message;
  if (options_.onFatalError) {
    options_.onFatalError(message);
  }
}

// --- loop side. ---------------------------------------------------------------------------

void ServicesScheduler::onSubscribed(const std::string& frameworkId) {
  if (frameworkId != frameworkId_) {
    Status status = store_->putFrameworkId(frameworkId);
    if (!status.isOk()) {
      // Without it a restart would subscribe as a new framework and orphan the tasks.
      LOG(ERROR) << "Could not persist framework id " << frameworkId << ": " << status.message();
    }
    frameworkId_ = frameworkId;
  }
  LOG(INFO) << "Subscribed as framework " << frameworkId << " with " << tasks_.size()
            << " known tasks";
  subscribed_ = true;
  suppressed_.reset();
  // Explicit reconciliation ends every recorded task the master does not know (TASK_UNKNOWN);
  // implicit reconciliation reports tasks we have no record of.
  std::vector<v1::TaskStatus> known;
  for (auto& [id, task] : tasks_) {
    v1::TaskStatus status;
    status.mutable_task_id()->set_value(id);
    status.mutable_agent_id()->set_value(task.agentId);
    known.push_back(status);
    if (task.killing) {
      kill(task);  // A kill sent while disconnected was dropped.
    }
  }
  driver_->reconcileTasks(known);
  driver_->reconcileTasks({});
  startReconcileTimer();
  converge();
  reviveIfWaiting();
}

void ServicesScheduler::onOffers(const std::vector<v1::Offer>& offers) {
  for (const v1::Offer& offer : offers) {
    useOffer(offer);
  }
  updateSuppression();
}

void ServicesScheduler::useOffer(const v1::Offer& offer) {
  auto offered = Resources::fromProto(offer.resources());
  std::vector<v1::TaskInfo> launches;
  std::vector<TaskRecord> records;
  Resources remaining = offered.isOk() ? *offered : Resources();
  agentValues_[offer.agent_id().value()] = agentValuesOf(offer);
  for (const auto& [appId, app] : apps_) {
    if (!launchable(appId)) {
      continue;
    }
    int missing = launchRoom(appId);
    OfferStats& stats = offerStats_[appId];
    ++stats.processed;
    bool used = false;
    std::string rejected;  // Why the offer took no (more) task of this app.
    for (; missing > 0; --missing) {
      if (!placementAllowed(app, offer.agent_id().value())) {
        rejected = "UnfulfilledConstraint";
        break;
      }
      auto roles = acceptedRoles(app, options_.role);
      auto fit = fitTask(app, remaining, roles);
      if (!fit.has_value()) {
        rejected = noFitReason(app, remaining, roles);
        break;
      }
      used = true;
      remaining -= fit->resources;
      std::string taskId = newTaskId(appId);
      launches.push_back(buildTask(app, taskId, offer, *fit));
      records.push_back(TaskRecord{.id = taskId,
                                   .appId = appId,
                                   .agentId = offer.agent_id().value(),
                                   .host = offer.hostname(),
                                   .version = app.version,
                                   .configVersion = app.lastConfigChangeAt,
                                   .ports = fit->ports,
                                   .state = v1::TASK_STAGING,
                                   .stagedAt = wallSeconds()});
      addTask(records.back());
    }
    if (!used && !rejected.empty()) {
      ++stats.rejected[rejected];
    }
    (used ? stats.lastUsedAt : stats.lastUnusedAt) = versionNow();
    stats.unused += used ? 0 : 1;
  }
  v1::Filters filters;
  filters.set_refuse_seconds(anyWaiting() ? options_.busyRefuseSeconds
                                          : options_.idleRefuseSeconds);
  if (launches.empty()) {
    driver_->declineOffer(offer.id(), filters);
    return;
  }
  // The records go to disk before the launch, so a restart never launches a duplicate.
  Status status = store_->putTasks(records);
  if (!status.isOk()) {
    LOG(ERROR) << "Not launching " << launches.size() << " tasks: " << status.message();
    for (const TaskRecord& record : records) {
      eraseTask(record.id);
    }
    driver_->declineOffer(offer.id(), filters);
    return;
  }
  for (const TaskRecord& record : records) {
    LOG(INFO) << "Launching task " << record.id << " of app " << record.appId << " on "
              << record.host;
  }
  driver_->launchTasks({offer.id()}, launches, filters);
}

bool ServicesScheduler::placementAllowed(const App& app, const std::string& agentId) const {
  if (!app.extra.contains("constraints")) {
    return true;
  }
  std::vector<AgentValues> placed;
  for (const TaskRecord* task : tasksOf(app.id)) {
    if (!task->killing && !task->inactive) {
      auto values = agentValues_.find(task->agentId);
      placed.push_back(values == agentValues_.end() ? AgentValues() : values->second);
    }
  }
  auto candidate = agentValues_.find(agentId);
  return constraintsAllow(parseConstraints(app.extra["constraints"]),
                          candidate == agentValues_.end() ? AgentValues() : candidate->second,
                          placed);
}

void ServicesScheduler::onStatus(const v1::TaskStatus& status) {
  const std::string& id = status.task_id().value();
  auto it = tasks_.find(id);
  if (it == tasks_.end()) {
    onUnknownTask(status);
    return;
  }
  TaskRecord& task = it->second;
  if (task.state != status.state()) {
    publishStatus(task, status);
  }
  if (status.state() == v1::TASK_UNREACHABLE && task.state != v1::TASK_UNREACHABLE) {
    task.state = v1::TASK_UNREACHABLE;
    onUnreachable(task);
    return;
  }
  if (status.state() != v1::TASK_UNREACHABLE && task.unreachableSince != 0) {
    LOG(INFO) << "Task " << task.id << " of app " << task.appId << " is reachable again";
    task.unreachableSince = 0;
    task.inactive = false;  // An instance again; converge() kills any excess.
  }
  if (!hasEnded(status.state())) {
    bool nowRunning = status.state() == v1::TASK_RUNNING && task.state != v1::TASK_RUNNING;
    bool healthChanged = status.has_healthy() && task.healthy != status.healthy();
    task.state = status.state();
    if (task.agentId.empty()) {
      task.agentId = status.agent_id().value();
    }
    if (healthChanged) {
      task.healthy = status.healthy();
      publish("health_status_changed_event", {{"appId", task.appId},
                                              {"taskId", task.id},
                                              {"instanceId", task.id},
                                              {"version", task.version},
                                              {"alive", status.healthy()}});
    }
    if (nowRunning || healthChanged) {
      maybeProbe(task);
      converge();  // An upgrade may now kill an old task; a deployment may be done.
    }
    return;
  }
  LOG(INFO) << "Task " << id << " of app " << it->second.appId << " ended "
            << v1::TaskState_Name(status.state())
            << (status.message().empty() ? "" : ": " + status.message());
  if (status.has_healthy() && !status.healthy()) {
    // The executor killed it for failing its health check; a replacement follows.
    publish("unhealthy_instance_kill_event", {{"appId", task.appId},
                                              {"taskId", task.id},
                                              {"instanceId", task.id},
                                              {"version", task.version},
                                              {"reason", status.message()},
                                              {"host", task.host},
                                              {"slaveId", task.agentId}});
  }
  if (!it->second.killing && apps_.count(it->second.appId) > 0) {
    backOff(it->second, status);
  }
  eraseTask(id);
  Status removed = store_->removeTask(id);
  if (!removed.isOk()) {
    LOG(ERROR) << "Could not forget task " << id << ": " << removed.message();
  }
  reviveIfWaiting();
  converge();
}

// Marathon's unreachableStrategy: after inactiveAfterSeconds the task stops counting (a
// replacement launches); after expungeAfterSeconds it is killed, so that if its agent
// comes back it does not run next to its replacement. "disabled" waits for it forever.
void ServicesScheduler::onUnreachable(TaskRecord& task) {
  task.unreachableSince = wallSeconds();
  auto app = apps_.find(task.appId);
  if (app == apps_.end()) {
    return;
  }
  UnreachableStrategy strategy = unreachableStrategyOf(app->second);
  LOG(INFO) << "Task " << task.id << " of app " << task.appId << " is unreachable"
            << (strategy.disabled ? "; waiting for it" : "");
  if (strategy.disabled) {
    return;
  }
  std::string id = task.id;
  double since = task.unreachableSince;
  auto stillUnreachable = [this, id, since]() -> TaskRecord* {
    auto it = tasks_.find(id);
    return it != tasks_.end() && it->second.unreachableSince == since ? &it->second : nullptr;
  };
  loop_->runAfter(std::chrono::duration<double>(strategy.inactiveAfterSeconds),
                  [this, stillUnreachable] {
                    if (TaskRecord* task = stillUnreachable()) {
                      LOG(INFO) << "Replacing unreachable task " << task->id;
                      task->inactive = true;
                      converge();
                      reviveIfWaiting();
                    }
                  });
  loop_->runAfter(std::chrono::duration<double>(strategy.expungeAfterSeconds),
                  [this, stillUnreachable] {
                    if (TaskRecord* task = stillUnreachable(); task && !task->killing) {
                      LOG(INFO) << "Expunging unreachable task " << task->id;
                      kill(*task);
                    }
                  });
}

// A task we hold no record of, from the implicit reconciliation: adopt it if its app still
// exists (converge() then kills any excess), kill it otherwise.
void ServicesScheduler::onUnknownTask(const v1::TaskStatus& status) {
  if (hasEnded(status.state())) {
    return;
  }
  const std::string& id = status.task_id().value();
  std::string appId = appIdOfTask(id);
  TaskRecord task;
  task.id = id;
  task.appId = appId;
  task.agentId = status.agent_id().value();
  task.state = status.state();
  task.stagedAt = wallSeconds();
  auto app = apps_.find(appId);
  if (app == apps_.end()) {
    LOG(WARNING) << "Killing task " << id << " of unknown app '" << appId << "'";
    kill(task);
    return;
  }
  LOG(INFO) << "Adopting task " << id << " of app " << appId;
  task.version = app->second.version;
  task.configVersion = app->second.lastConfigChangeAt;
  Status stored = store_->putTasks({task});
  if (!stored.isOk()) {
    LOG(ERROR) << "Could not record adopted task " << id << ": " << stored.message();
  }
  addTask(task);
  converge();
}

void ServicesScheduler::converge() {
  std::map<std::string, std::vector<TaskRecord*>> current;
  std::map<std::string, std::vector<TaskRecord*>> outdated;
  for (auto& [id, task] : tasks_) {
    if (task.killing || task.inactive) {
      continue;
    }
    auto app = apps_.find(task.appId);
    if (app == apps_.end()) {
      kill(task);
    } else if (task.configVersion == app->second.lastConfigChangeAt) {
      current[task.appId].push_back(&task);
    } else {
      outdated[task.appId].push_back(&task);
    }
  }
  for (auto& [appId, tasks] : current) {
    if (!held(appId)) {
      const App& app = apps_[appId];
      killSome(tasks, static_cast<int>(tasks.size()) - app.instances,
               app.extra.value("killSelection", "") == "OLDEST_FIRST");
    }
  }
  for (auto& [appId, tasks] : outdated) {
    if (!held(appId)) {
      replaceOutdated(apps_[appId], current[appId], tasks);
    }
  }
  progressDeployments();
  updateSuppression();
}

// Marathon's rolling replacement: old tasks are killed while at least
// ceil(instances × minimumHealthCapacity) tasks stay ready, counting old tasks as ready
// (they served before); new ones start within the over-capacity (`launchRoom`).
void ServicesScheduler::replaceOutdated(const App& app, std::vector<TaskRecord*>& current,
                                        std::vector<TaskRecord*>& outdated) {
  int newReady = 0;
  int newPending = 0;
  for (const TaskRecord* task : current) {
    bool ready = isReady(app, *task);
    newReady += ready ? 1 : 0;
    newPending += ready ? 0 : 1;
  }
  int minHealthy = static_cast<int>(std::ceil(app.instances * app.minimumHealthCapacity - 1e-9));
  int old = static_cast<int>(outdated.size());
  int keep = std::min(old, std::max(0, minHealthy - newReady));
  // With no room to start a new task and none on its way, one old task must go first, or
  // the upgrade never moves (e.g. minimumHealthCapacity 1 with maximumOverCapacity 0).
  if (keep == old && keep > 0 && newPending == 0 && launchRoom(app.id) <= 0 &&
      newReady < app.instances) {
    --keep;
  }
  killSome(outdated, old - keep);
}

bool ServicesScheduler::isReady(const App& app, const TaskRecord& task) const {
  if (task.state != v1::TASK_RUNNING) {
    return false;
  }
  return passesHealth(app, task) && (!readinessCheckOf(app).has_value() || task.ready == true);
}

bool ServicesScheduler::passesHealth(const App& app, const TaskRecord& task) const {
  return !hasHealthChecks(app) || task.healthy == true;
}

void ServicesScheduler::maybeProbe(TaskRecord& task) {
  auto app = apps_.find(task.appId);
  if (app == apps_.end() || task.ready == true || task.probing || task.killing ||
      task.state != v1::TASK_RUNNING) {
    return;
  }
  auto check = readinessCheckOf(app->second);
  if (!check.has_value() || !passesHealth(app->second, task) ||
      check->portIndex >= static_cast<int>(task.ports.size())) {
    return;
  }
  task.probing = true;
  std::string id = task.id;
  prober_->probe(task.host, task.ports[check->portIndex], check->path, check->timeoutSeconds,
                 [this, id](int status, const std::string& error) {
                   loop_->post([this, id, status, error] { onReadiness(id, status, error); });
                 });
}

void ServicesScheduler::onReadiness(const std::string& taskId, int status,
                                    const std::string& error) {
  auto it = tasks_.find(taskId);
  if (it == tasks_.end()) {
    return;
  }
  TaskRecord& task = it->second;
  task.probing = false;
  task.lastReadiness = status != 0 ? std::to_string(status) : error;
  auto app = apps_.find(task.appId);
  auto check = app == apps_.end() ? std::nullopt : readinessCheckOf(app->second);
  if (!check.has_value()) {
    return;
  }
  if (check->readyStatuses.count(status) > 0) {
    LOG(INFO) << "Task " << taskId << " of app " << task.appId << " is ready";
    task.ready = true;
    converge();
    return;
  }
  task.ready = false;
  loop_->runAfter(std::chrono::duration<double>(check->intervalSeconds), [this, taskId] {
    auto again = tasks_.find(taskId);
    if (again != tasks_.end()) {
      maybeProbe(again->second);
    }
  });
}

int ServicesScheduler::launchRoom(const std::string& appId) const {
  auto app = apps_.find(appId);
  if (app == apps_.end() || held(appId)) {
    return 0;
  }
  int current = 0;
  int others = 0;  // Tasks of an older config, and tasks still being killed.
  for (const TaskRecord* task : tasksOf(appId)) {
    if (task->inactive) {
      continue;  // Neither an instance nor in the way of its replacement.
    }
    bool isCurrent = !task->killing && task->configVersion == app->second.lastConfigChangeAt;
    current += isCurrent ? 1 : 0;
    others += isCurrent ? 0 : 1;
  }
  int missing = app->second.instances - current;
  if (others == 0) {
    return missing;
  }
  int capacity = static_cast<int>(
      std::floor(app->second.instances * (1 + app->second.maximumOverCapacity) + 1e-9));
  return std::min(missing, capacity - current - others);
}

void ServicesScheduler::killSome(std::vector<TaskRecord*>& tasks, int count, bool oldestFirst) {
  if (count <= 0) {
    return;
  }
  // Staged before running, then by age (youngest first is Marathon's default).
  std::sort(tasks.begin(), tasks.end(), [oldestFirst](const TaskRecord* a, const TaskRecord* b) {
    if (isStaged(a->state) != isStaged(b->state)) {
      return isStaged(a->state);
    }
    return oldestFirst ? a->stagedAt < b->stagedAt : a->stagedAt > b->stagedAt;
  });
  for (int i = 0; i < count && i < static_cast<int>(tasks.size()); ++i) {
    kill(*tasks[i]);
  }
}

void ServicesScheduler::kill(TaskRecord& task) {
  LOG(INFO) << "Killing task " << task.id << " of app " << task.appId;
  task.killing = true;
  v1::TaskID taskId;
  taskId.set_value(task.id);
  v1::AgentID agentId;
  agentId.set_value(task.agentId);
  driver_->killTask(taskId, agentId);
}

void ServicesScheduler::reviveIfWaiting() {
  if (subscribed_ && anyWaiting()) {
    driver_->reviveOffers();
    suppressed_ = false;
  }
}

void ServicesScheduler::updateSuppression() {
  if (!subscribed_) {
    return;
  }
  bool waiting = anyWaiting();
  if (waiting && suppressed_ != false) {
    driver_->reviveOffers();
    suppressed_ = false;
  } else if (!waiting && suppressed_ != true) {
    driver_->suppressOffers();
    suppressed_ = true;
  }
}

int ServicesScheduler::activeTasks(const std::string& appId) const {
  auto app = apps_.find(appId);
  if (app == apps_.end()) {
    return 0;
  }
  int count = 0;
  for (const TaskRecord* task : tasksOf(appId)) {
    count +=
        !task->killing && !task->inactive && task->configVersion == app->second.lastConfigChangeAt
            ? 1
            : 0;
  }
  return count;
}

bool ServicesScheduler::launchable(const std::string& appId) const {
  if (launchRoom(appId) <= 0) {
    return false;
  }
  auto delay = delays_.find(appId);
  return delay == delays_.end() || delay->second.until <= loop_->now();
}

bool ServicesScheduler::anyWaiting() const {
  for (const auto& [appId, app] : apps_) {
    if (launchable(appId)) {
      return true;
    }
  }
  return false;
}

void ServicesScheduler::backOff(const TaskRecord& task, const v1::TaskStatus& status) {
  const App& app = apps_[task.appId];
  LaunchDelay& delay = delays_[task.appId];
  double seconds = app.backoffSeconds * std::pow(app.backoffFactor, delay.failures);
  seconds = std::min(seconds, app.maxLaunchDelaySeconds);
  ++delay.failures;
  delay.until = loop_->now() + std::chrono::duration_cast<EventLoop::Clock::duration>(
                                   std::chrono::duration<double>(seconds));
  loop_->cancel(delay.timer);
  // When the delay ends, offers are revived (they were declined or suppressed meanwhile).
  delay.timer = loop_->runAfter(std::chrono::duration<double>(seconds), [this] {
    reviveIfWaiting();
    updateSuppression();
  });
  LOG(INFO) << "Delaying the next launch of app " << task.appId << " by " << seconds << "s";
  lastFailures_[task.appId] = {
      {"appId", task.appId},         {"host", task.host},
      {"message", status.message()}, {"state", v1::TaskState_Name(status.state())},
      {"taskId", task.id},           {"timestamp", versionNow()},
      {"version", task.version},     {"slaveId", task.agentId}};
}

void ServicesScheduler::startReconcileTimer() {
  if (reconcileTimer_ != 0) {
    return;
  }
  // Catches updates lost while disconnected; answers go through onStatus like any other.
  reconcileTimer_ =
      loop_->runEvery(std::chrono::duration<double>(options_.reconcileSeconds), [this] {
        if (subscribed_) {
          driver_->reconcileTasks({});
        }
      });
}

TaskRecord& ServicesScheduler::addTask(TaskRecord task) {
  std::string id = task.id;
  TaskRecord& stored = tasks_[id] = std::move(task);
  tasksByApp_[stored.appId][id] = &stored;
  return stored;
}

void ServicesScheduler::eraseTask(const std::string& taskId) {
  auto it = tasks_.find(taskId);
  if (it == tasks_.end()) {
    return;
  }
  auto ids = tasksByApp_.find(it->second.appId);
  if (ids != tasksByApp_.end()) {
    ids->second.erase(taskId);
    if (ids->second.empty()) {
      tasksByApp_.erase(ids);
    }
  }
  tasks_.erase(it);
}

std::vector<const TaskRecord*> ServicesScheduler::tasksOf(const std::string& appId) const {
  std::vector<const TaskRecord*> out;
  auto records = tasksByApp_.find(appId);
  if (records != tasksByApp_.end()) {
    for (const auto& [id, record] : records->second) {
      out.push_back(record);
    }
  }
  return out;
}

std::vector<TaskRecord*> ServicesScheduler::tasksOf(const std::string& appId) {
  std::vector<TaskRecord*> out;
  auto records = tasksByApp_.find(appId);
  if (records != tasksByApp_.end()) {
    for (const auto& [id, record] : records->second) {
      out.push_back(record);
    }
  }
  return out;
}

// --- REST side (the deployments themselves are in services_deployments.cpp). -------------

Status ServicesScheduler::resetDelay(const std::string& appId) {
  if (apps_.count(appId) == 0) {
    return Status::notFound("App '" + appId + "' does not exist");
  }
  auto delay = delays_.find(appId);
  if (delay != delays_.end()) {
    loop_->cancel(delay->second.timer);
    delays_.erase(delay);
  }
  reviveIfWaiting();
  return Status::ok();
}

StatusOr<json> ServicesScheduler::killTasks(const std::string& appId, const std::string& taskId,
                                            bool scale, bool force) {
  auto app = apps_.find(appId);
  if (app == apps_.end()) {
    return Status::notFound("App '" + appId + "' does not exist");
  }
  std::vector<TaskRecord*> victims;
  for (TaskRecord* task : tasksOf(appId)) {
    if (!task->killing && (taskId.empty() || task->id == taskId)) {
      victims.push_back(task);
    }
  }
  if (!taskId.empty() && victims.empty()) {
    return Status::notFound("Task '" + taskId + "' does not exist");
  }
  json answer = json::array();
  if (scale) {
    App scaled = app->second;
    scaled.instances = std::max(0, scaled.instances - static_cast<int>(victims.size()));
    // The victims are marked first so the scaling kills them and not others.
    for (TaskRecord* task : victims) {
      task->killing = true;
    }
    auto change = changeApp(appId, scaled, /*restart=*/false, force);
    for (TaskRecord* task : victims) {
      task->killing = false;
    }
    if (!change.isOk()) {
      return change.status();
    }
    answer = {{"deploymentId", change->deploymentId}, {"version", change->version}};
  }
  json killed = json::array();
  for (TaskRecord* task : victims) {
    killed.push_back(taskJson(*task));
    kill(*task);
  }
  converge();
  reviveIfWaiting();  // Without `scale` the killed tasks are replaced.
  return scale ? answer : killed;
}

}  // namespace agora::services
