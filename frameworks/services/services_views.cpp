// The read side of `ServicesScheduler`: apps, tasks and versions as Marathon shows them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/base/ids.hpp"
#include "frameworks/services/services_scheduler.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

bool isStaged(int state) { return state == v1::TASK_STAGING || state == v1::TASK_STARTING; }

}  // namespace

std::optional<App> ServicesScheduler::findApp(const std::string& appId) const {
  auto it = apps_.find(appId);
  return it == apps_.end() ? std::nullopt : std::optional<App>(it->second);
}

bool ServicesScheduler::hasTask(const std::string& taskId) const {
  auto it = tasks_.find(taskId);
  return it != tasks_.end() && !it->second.killing;
}

json ServicesScheduler::taskJson(const TaskRecord& task) const {
  json results = json::array();
  if (task.healthy.has_value()) {
    results.push_back({{"alive", *task.healthy}, {"taskId", task.id}, {"instanceId", task.id}});
  }
  return {{"id", task.id},
          {"healthCheckResults", results},
          {"appId", task.appId},
          {"host", task.host},
          {"ports", task.ports},
          {"slaveId", task.agentId},
          {"state", v1::TaskState_Name(static_cast<v1::TaskState>(task.state))},
          {"stagedAt", task.stagedAt},
          {"version", task.version}};
}

json ServicesScheduler::appJson(const std::string& appId, bool withTasks) const {
  auto app = apps_.find(appId);
  if (app == apps_.end()) {
    return nullptr;
  }
  json out = appToJson(app->second);
  int running = 0;
  int staged = 0;
  int healthy = 0;
  int unhealthy = 0;
  json tasks = json::array();
  for (const TaskRecord* record : tasksOf(appId)) {
    const TaskRecord& task = *record;
    running += task.state == v1::TASK_RUNNING ? 1 : 0;
    staged += isStaged(task.state) ? 1 : 0;
    healthy += task.healthy == true ? 1 : 0;
    unhealthy += task.healthy == false ? 1 : 0;
    tasks.push_back(taskJson(task));
  }
  out["tasksRunning"] = running;
  out["tasksStaged"] = staged;
  out["tasksHealthy"] = healthy;
  out["tasksUnhealthy"] = unhealthy;
  out["deployments"] = json::array();
  for (const std::string& id : lockingDeployments(appId)) {
    out["deployments"].push_back({{"id", id}});
  }
  auto failure = lastFailures_.find(appId);
  if (failure != lastFailures_.end()) {
    out["lastTaskFailure"] = failure->second;
  }
  if (withTasks) {
    out["tasks"] = tasks;
  }
  return out;
}

namespace {

// "2026-11-23T20:58:01.123Z" as seconds since the epoch (0 when it is not one).
double parseVersion(const std::string& version) {
  std::tm utc{};
  int millis = 0;
  if (sscanf(version.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
             &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &millis) < 6) {
    return 0;
  }
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return static_cast<double>(timegm(&utc)) + millis / 1000.0;
}

json statsOf(const std::vector<const TaskRecord*>& tasks, double now) {
  int staged = 0;
  int running = 0;
  int healthy = 0;
  int unhealthy = 0;
  std::vector<double> lifetimes;
  for (const TaskRecord* task : tasks) {
    staged += isStaged(task->state) ? 1 : 0;
    running += task->state == v1::TASK_RUNNING ? 1 : 0;
    healthy += task->healthy == true ? 1 : 0;
    unhealthy += task->healthy == false ? 1 : 0;
    lifetimes.push_back(std::max(0.0, now - task->stagedAt));
  }
  std::sort(lifetimes.begin(), lifetimes.end());
  double sum = 0;
  for (double lifetime : lifetimes) {
    sum += lifetime;
  }
  json stats = {
      {"counts",
       {{"staged", staged}, {"running", running}, {"healthy", healthy}, {"unhealthy", unhealthy}}}};
  if (!lifetimes.empty()) {
    stats["lifeTime"] = {{"averageSeconds", sum / lifetimes.size()},
                         {"medianSeconds", lifetimes[lifetimes.size() / 2]}};
  }
  return {{"stats", stats}};
}

}  // namespace

json ServicesScheduler::taskStatsJson(const std::string& appId) const {
  auto app = apps_.find(appId);
  if (app == apps_.end()) {
    return nullptr;
  }
  double scaledAt = parseVersion(app->second.lastScalingAt);
  std::map<std::string, std::vector<const TaskRecord*>> groups;
  for (const TaskRecord* task : tasksOf(appId)) {
    groups["totalSummary"].push_back(task);
    bool latest = task->configVersion == app->second.lastConfigChangeAt;
    groups[latest ? "withLatestConfig" : "withOutdatedConfig"].push_back(task);
    if (task->stagedAt >= scaledAt) {
      groups["startedAfterLastScaling"].push_back(task);
    }
  }
  json out = json::object();
  double now = wallSeconds();
  for (const auto& [name, tasks] : groups) {
    out[name] = statsOf(tasks, now);  // Marathon leaves out the empty ones too.
  }
  return out;
}

json ServicesScheduler::readinessJson(const std::string& appId) const {
  json out = json::array();
  auto app = apps_.find(appId);
  auto check = app == apps_.end() ? std::nullopt : readinessCheckOf(app->second);
  for (const TaskRecord* task : check ? tasksOf(appId) : std::vector<const TaskRecord*>{}) {
    if (task->ready.has_value() || !task->lastReadiness.empty()) {
      out.push_back({{"name", check->name},
                     {"taskId", task->id},
                     {"ready", task->ready == true},
                     {"lastResponse", task->lastReadiness}});
    }
  }
  return out;
}

json ServicesScheduler::tasksJson(const std::string& appId) const {
  json tasks = json::array();
  if (!appId.empty()) {
    for (const TaskRecord* task : tasksOf(appId)) {
      tasks.push_back(taskJson(*task));
    }
    return tasks;
  }
  for (const auto& [id, task] : tasks_) {
    tasks.push_back(taskJson(task));
  }
  return tasks;
}

std::string ServicesScheduler::tasksText(const std::string& appId) const {
  std::string out;
  for (const auto& [id, app] : apps_) {
    if (!appId.empty() && id != appId) {
      continue;
    }
    std::string cleanId = id.substr(1);
    std::replace(cleanId.begin(), cleanId.end(), '/', '_');
    const json definitions = app.extra.value("portDefinitions", json::array());
    for (int index = 0; index < app.ports; ++index) {
      int servicePort =
          index < static_cast<int>(definitions.size()) ? definitions[index].value("port", 0) : 0;
      out += cleanId + "\t" + std::to_string(servicePort) + "\t";
      for (const TaskRecord* task : tasksOf(id)) {
        if (task->state == v1::TASK_RUNNING && index < static_cast<int>(task->ports.size())) {
          out += task->host + ":" + std::to_string(task->ports[index]) + "\t";
        }
      }
      out += "\n";
    }
  }
  return out;
}

std::vector<std::string> ServicesScheduler::appIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, app] : apps_) {
    ids.push_back(id);
  }
  return ids;
}

StatusOr<json> ServicesScheduler::versionsJson(const std::string& appId) {
  if (apps_.count(appId) == 0) {
    return Status::notFound("App '" + appId + "' does not exist");
  }
  auto versions = store_->versions(appId);
  if (!versions.isOk()) {
    return versions.status();
  }
  std::reverse(versions->begin(), versions->end());
  return json{{"versions", *versions}};
}

StatusOr<json> ServicesScheduler::versionJson(const std::string& appId,
                                              const std::string& version) {
  if (apps_.count(appId) == 0) {
    return Status::notFound("App '" + appId + "' does not exist");
  }
  auto app = store_->appAt(appId, version);
  if (!app.isOk()) {
    return app.status();
  }
  if (!app->has_value()) {
    return Status::notFound("Version '" + version + "' of app '" + appId + "' does not exist");
  }
  return appToJson(**app);
}

json ServicesScheduler::queueJson() const {
  json queue = json::array();
  for (const auto& [appId, app] : apps_) {
    int missing = app.instances - activeTasks(appId);
    if (missing <= 0) {
      continue;
    }
    double left = 0;
    auto delay = delays_.find(appId);
    if (delay != delays_.end()) {
      left =
          std::max(0.0, std::chrono::duration<double>(delay->second.until - loop_->now()).count());
    }
    json summary = {{"processedOffersCount", 0},
                    {"unusedOffersCount", 0},
                    {"rejectSummaryLastOffers", json::array()}};
    auto stats = offerStats_.find(appId);
    if (stats != offerStats_.end()) {
      const OfferStats& seen = stats->second;
      summary["processedOffersCount"] = seen.processed;
      summary["unusedOffersCount"] = seen.unused;
      if (!seen.lastUsedAt.empty()) {
        summary["lastUsedOfferAt"] = seen.lastUsedAt;
      }
      if (!seen.lastUnusedAt.empty()) {
        summary["lastUnusedOfferAt"] = seen.lastUnusedAt;
      }
      for (const auto& [reason, count] : seen.rejected) {
        summary["rejectSummaryLastOffers"].push_back(
            {{"reason", reason}, {"declined", count}, {"processed", seen.processed}});
      }
    }
    queue.push_back({{"count", missing},
                     {"delay", {{"timeLeftSeconds", left}, {"overdue", left == 0}}},
                     {"processedOffersSummary", summary},
                     {"app", appJson(appId, false)}});
  }
  return {{"queue", queue}};
}

json ServicesScheduler::metricsJson() const {
  int running = 0;
  int staged = 0;
  for (const auto& [id, task] : tasks_) {
    running += task.state == v1::TASK_RUNNING ? 1 : 0;
    staged += isStaged(task.state) ? 1 : 0;
  }
  auto gauge = [](double value) { return json{{"value", value}}; };
  return {{"version", "4.0.0"},
          {"gauges",
           {{"marathon.apps.active.gauge", gauge(static_cast<double>(apps_.size()))},
            {"marathon.groups.active.gauge", gauge(static_cast<double>(groups_.size()))},
            {"marathon.deployments.active.gauge", gauge(static_cast<double>(deployments_.size()))},
            {"marathon.tasks.running.gauge", gauge(running)},
            {"marathon.tasks.staged.gauge", gauge(staged)},
            {"marathon.instances.launch-overdue.gauge",
             gauge(static_cast<double>(queueJson()["queue"].size()))}}},
          {"counters", json::object()},
          {"histograms", json::object()},
          {"meters", json::object()},
          {"timers", json::object()}};
}

}  // namespace agora::services
