#include "frameworks/services/http_api.hpp"

#include <glog/logging.h>

#include <functional>
#include <map>
#include <optional>
#include <set>

#include "common/base/ids.hpp"
#include "common/http/http.hpp"
#include "frameworks/services/app_filter.hpp"
#include "frameworks/services/http_support.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

const char* kVersion = "1.11.0";  // The Marathon API level clients may expect.

// What `embed=` asks to add to each app (as `apps.X` on lists, `app.X` on one app).
struct Embeds {
  bool tasks = false;
  bool taskStats = false;
  bool readiness = false;
};

Embeds embedsOf(const httplib::Request& req) {
  Embeds embeds;
  for (auto [it, end] = req.params.equal_range("embed"); it != end; ++it) {
    std::string what = it->second.substr(it->second.find('.') + 1);
    embeds.tasks = embeds.tasks || what == "tasks";
    embeds.taskStats = embeds.taskStats || what == "taskStats";
    embeds.readiness = embeds.readiness || what == "readiness";
  }
  return embeds;
}

// The app as Marathon shows it with `embeds` (counts, deployments and the last failure
// are always there).
json embeddedApp(const ServicesScheduler* scheduler, const std::string& id, const Embeds& embeds) {
  json app = scheduler->appJson(id, embeds.tasks);
  if (embeds.taskStats) {
    app["taskStats"] = scheduler->taskStatsJson(id);
  }
  if (embeds.readiness) {
    app["readinessCheckResults"] = scheduler->readinessJson(id);
  }
  return app;
}

void createApp(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = parseBody(req, res);
  if (!body.has_value()) {
    return;
  }
  std::vector<FieldError> errors = validateApp(*body);
  if (!errors.empty()) {
    replyJson(res, 422, validationErrorBody(errors));
    return;
  }
  App app = appFromJson(*body);
  ServicesScheduler* scheduler = ctx.scheduler;
  onLoop(ctx, res, [scheduler, app]() -> Reply {
    auto change = scheduler->createApp(app);
    if (!change.isOk()) {
      return changeError(scheduler, app.id, change.status());
    }
    return {201,
            scheduler->appJson(app.id, /*withTasks=*/false),
            {{"Location", app.id}, {"Marathon-Deployment-Id", change->deploymentId}}};
  });
  if (res.status == 201) {
    publishApiPost(ctx, req, *body);
  }
}

// The definition a PUT asks for: like Marathon (`partialUpdate` defaults to true), the
// body's fields replace those of an existing app and the others are kept.
json mergedDefinition(const std::optional<App>& existing, const json& body, bool partial) {
  if (!existing.has_value() || !partial || !body.is_object()) {
    return body;
  }
  json merged = appToJson(*existing);
  for (const auto& [key, value] : body.items()) {
    merged[key] = value;
  }
  if (body.contains("cmd") && !body.contains("args")) {
    merged.erase("args");
  } else if (body.contains("args") && !body.contains("cmd")) {
    merged.erase("cmd");
  }
  return merged;
}

void replaceApp(const Context& ctx, const std::string& rawId, const httplib::Request& req,
                httplib::Response& res) {
  auto body = parseBody(req, res);
  if (!body.has_value()) {
    return;
  }
  // PATCH (Marathon 1.5+) always merges, and only into an existing app.
  bool patch = req.method == "PATCH";
  bool partial = patch || req.get_param_value("partialUpdate") != "false";
  bool force = forced(req);
  ServicesScheduler* scheduler = ctx.scheduler;
  // Validated on the loop: a partial update needs the current definition.
  onLoop(ctx, res, [scheduler, rawId, partial, patch, force, body = *body]() -> Reply {
    auto id = normalizeAppId(rawId);
    if (patch && (!id.isOk() || !scheduler->findApp(*id).has_value())) {
      return errorReply(404, "App '" + (id.isOk() ? *id : "/" + rawId) + "' does not exist");
    }
    json definition =
        mergedDefinition(id.isOk() ? scheduler->findApp(*id) : std::nullopt, body, partial);
    std::vector<FieldError> errors = validateApp(definition, rawId);
    if (!errors.empty()) {
      return {422, validationErrorBody(errors), {}};
    }
    App app = appFromJson(definition, rawId);
    auto change = scheduler->replaceApp(app, force);
    if (!change.isOk()) {
      return changeError(scheduler, app.id, change.status());
    }
    return deploymentReply(change->created ? 201 : 200, *change);
  });
  if (res.status == 200 || res.status == 201) {
    publishApiPost(ctx, req, *body);
  }
}

void getApp(const Context& ctx, const std::string& id, const httplib::Request& req,
            httplib::Response& res) {
  ServicesScheduler* scheduler = ctx.scheduler;
  Embeds embeds = embedsOf(req);
  embeds.tasks = true;  // One app always comes with its tasks.
  onLoop(ctx, res, [scheduler, id, embeds]() -> Reply {
    if (!scheduler->findApp(id).has_value()) {
      return errorReply(404, "App '" + id + "' does not exist");
    }
    return {200, {{"app", embeddedApp(scheduler, id, embeds)}}, {}};
  });
}

void deleteApp(const Context& ctx, const std::string& id, bool force, httplib::Response& res) {
  ServicesScheduler* scheduler = ctx.scheduler;
  onLoop(ctx, res, [scheduler, id, force]() -> Reply {
    auto change = scheduler->deleteApp(id, force);
    if (!change.isOk()) {
      return changeError(scheduler, id, change.status());
    }
    return deploymentReply(200, *change);
  });
}

// GET /v2/apps/{id}/tasks; DELETE /v2/apps/{id}/tasks[/{taskId}] (?scale=true).
void appTasks(const Context& ctx, const std::string& appId, const std::string& taskId,
              const httplib::Request& req, httplib::Response& res) {
  ServicesScheduler* scheduler = ctx.scheduler;
  if (req.method == "GET") {
    onLoop(ctx, res, [scheduler, appId, text = wantsText(req)]() -> Reply {
      if (!scheduler->findApp(appId).has_value()) {
        return errorReply(404, "App '" + appId + "' does not exist");
      }
      if (text) {
        return {200, nullptr, {}, scheduler->tasksText(appId)};
      }
      return {200, {{"tasks", scheduler->tasksJson(appId)}}, {}};
    });
    return;
  }
  bool scale = req.get_param_value("scale") == "true";
  bool force = forced(req);
  onLoop(ctx, res, [scheduler, appId, taskId, scale, force]() -> Reply {
    auto killed = scheduler->killTasks(appId, taskId, scale, force);
    if (!killed.isOk()) {
      return changeError(scheduler, appId, killed.status());
    }
    if (scale) {
      return {200, *killed, {}};
    }
    if (!taskId.empty()) {
      return {200, {{"task", (*killed)[0]}}, {}};
    }
    return {200, {{"tasks", *killed}}, {}};
  });
}

// Splits ".../tasks" and ".../tasks/{taskId}" off a /v2/apps path. Returns false when the
// path names an app itself.
bool splitTasksPath(const std::string& rawId, std::string* appPart, std::string* taskId) {
  const std::string marker = "/tasks";
  size_t at = rawId.rfind(marker);
  if (at == std::string::npos) {
    return false;
  }
  std::string rest = rawId.substr(at + marker.size());
  if (!rest.empty() && (rest[0] != '/' || rest.find('/', 1) != std::string::npos)) {
    return false;
  }
  *appPart = rawId.substr(0, at);
  *taskId = rest.empty() ? "" : rest.substr(1);
  return true;
}

// GET /v2/apps/{id}/versions[/{version}].
bool serveVersions(const Context& ctx, const std::string& rawId, const httplib::Request& req,
                   httplib::Response& res) {
  size_t at = rawId.rfind("/versions");
  if (req.method != "GET" || at == std::string::npos) {
    return false;
  }
  std::string rest = rawId.substr(at + 9);
  if (!rest.empty() && (rest[0] != '/' || rest.find('/', 1) != std::string::npos)) {
    return false;
  }
  auto id = normalizeAppId(rawId.substr(0, at));
  if (!id.isOk()) {
    return false;
  }
  std::string version = rest.empty() ? "" : rest.substr(1);
  ServicesScheduler* scheduler = ctx.scheduler;
  onLoop(ctx, res, [scheduler, id = *id, version]() -> Reply {
    auto body = version.empty() ? scheduler->versionsJson(id) : scheduler->versionJson(id, version);
    if (!body.isOk()) {
      return errorReply(statusFor(body.status()), body.status().message());
    }
    return {200, *body, {}};
  });
  return true;
}

// The app id in a path, normalised; answers 404 (Marathon's wording) when it cannot be one.
std::optional<std::string> appIdOrNotFound(const std::string& raw, httplib::Response& res) {
  auto id = normalizeAppId(raw);
  if (!id.isOk()) {
    replyError(res, 404, "App '/" + raw + "' does not exist");
    return std::nullopt;
  }
  return *id;
}

// Routes /v2/apps/{id}[/tasks[/{taskId}]] by method; an id that cannot be an app id is
// simply not found. ("tasks" is reserved, as in Marathon.)
void appRoute(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string rawId = req.matches[1];
  if (serveVersions(ctx, rawId, req, res)) {
    return;
  }
  std::string appPart;
  std::string taskId;
  bool isWrite = req.method == "PUT" || req.method == "PATCH";
  if (!isWrite && splitTasksPath(rawId, &appPart, &taskId)) {
    auto id = normalizeAppId(appPart);
    if (!id.isOk() || (req.method == "GET" && !taskId.empty())) {
      replyError(res, 404, "App '/" + appPart + "' does not exist");
      return;
    }
    appTasks(ctx, *id, taskId, req, res);
    return;
  }
  if (isWrite) {
    replaceApp(ctx, rawId, req, res);
    return;
  }
  auto id = appIdOrNotFound(rawId, res);
  if (!id) {
    return;
  }
  if (req.method == "GET") {
    getApp(ctx, *id, req, res);
  } else {
    deleteApp(ctx, *id, forced(req), res);
  }
}

void info(const Context& ctx, httplib::Response& res) {
  ServicesScheduler* scheduler = ctx.scheduler;
  ApiInfo apiInfo = ctx.info;
  onLoop(ctx, res, [scheduler, apiInfo]() -> Reply {
    std::string frameworkId = scheduler->frameworkId();
    return {200,
            {{"name", "agora-services"},
             {"version", kVersion},
             {"elected", true},
             {"leader", "127.0.0.1:" + std::to_string(apiInfo.httpPort)},
             {"frameworkId", frameworkId.empty() ? json(nullptr) : json(frameworkId)},
             {"marathon_config",
              {{"master", apiInfo.master},
               {"failover_timeout", apiInfo.failoverTimeout},
               {"mesos_role", apiInfo.role}}},
             {"http_config", {{"http_port", apiInfo.httpPort}}}},
            {}};
  });
}

// GET /v2/apps with Marathon's `id`, `cmd` and `label` filters and `embed=apps.tasks`,
// `apps.taskStats`, `apps.readiness`.
void listApps(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  Embeds embeds = embedsOf(req);
  AppFilter filter{.id = req.get_param_value("id"),
                   .cmd = req.get_param_value("cmd"),
                   .label = req.get_param_value("label")};
  ServicesScheduler* scheduler = ctx.scheduler;
  onLoop(ctx, res, [scheduler, embeds, filter]() -> Reply {
    json apps = json::array();
    for (const std::string& id : scheduler->appIds()) {
      auto keep = appMatches(*scheduler->findApp(id), filter);
      if (!keep.isOk()) {
        return errorReply(400, "Invalid label selector: " + keep.status().message());
      }
      if (*keep) {
        apps.push_back(embeddedApp(scheduler, id, embeds));
      }
    }
    return {200, {{"apps", apps}}, {}};
  });
}

// POST /v2/tasks/delete {"ids": [...]}: kills the tasks (of any apps); with scale=true
// their apps shrink by as many (one deployment per app; the answer names the last).
void deleteTasks(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = parseBody(req, res);
  if (!body.has_value()) {
    return;
  }
  if (!body->is_object() || !body->value("ids", json()).is_array()) {
    replyJson(res, 422, validationErrorBody({FieldError{"/ids", {"error.expected.jsarray"}}}));
    return;
  }
  std::vector<std::string> ids;
  for (const json& id : (*body)["ids"]) {
    if (!id.is_string()) {
      replyJson(res, 422, validationErrorBody({FieldError{"/ids", {"error.expected.jsstring"}}}));
      return;
    }
    ids.push_back(id.get<std::string>());
  }
  bool scale = req.get_param_value("scale") == "true";
  ServicesScheduler* scheduler = ctx.scheduler;
  onLoop(ctx, res, [scheduler, ids, scale, force = forced(req)]() -> Reply {
    // Checked first, so an unknown id kills nothing.
    for (const std::string& id : ids) {
      std::string appId = appIdOfTask(id);
      if (!scheduler->findApp(appId).has_value() || !scheduler->hasTask(id)) {
        return errorReply(404, "Task '" + id + "' does not exist");
      }
    }
    json killed = json::array();
    json deployment;
    for (const std::string& id : ids) {
      std::string appId = appIdOfTask(id);
      auto result = scheduler->killTasks(appId, id, scale, force);
      if (!result.isOk()) {
        return changeError(scheduler, appId, result.status());
      }
      if (scale) {
        deployment = *result;
      } else {
        killed.insert(killed.end(), result->begin(), result->end());
      }
    }
    return {200, scale ? deployment : json{{"tasks", killed}}, {}};
  });
}

void registerDeploymentRoutes(httplib::Server& server, const std::shared_ptr<Context>& ctx) {
  server.Get("/v2/deployments/?", [ctx](const httplib::Request&, httplib::Response& res) {
    ServicesScheduler* scheduler = ctx->scheduler;
    onLoop(*ctx, res, [scheduler]() -> Reply { return {200, scheduler->deploymentsJson(), {}}; });
  });
  // Without force: a rollback (200 and the new deployment); with force=true: the deployment
  // is dropped as it is (202 Accepted, as Marathon).
  server.Delete(
      "/v2/deployments/([^/]+)", [ctx](const httplib::Request& req, httplib::Response& res) {
        ServicesScheduler* scheduler = ctx->scheduler;
        onLoop(*ctx, res,
               [scheduler, id = std::string(req.matches[1]), force = forced(req)]() -> Reply {
                 auto change = scheduler->cancelDeployment(id, force);
                 if (!change.isOk()) {
                   return errorReply(statusFor(change.status()), change.status().message());
                 }
                 if (force) {
                   return {202, json::object(), {}};
                 }
                 return deploymentReply(200, *change);
               });
      });
}

// GET /v2/events: Marathon's server-sent events, optionally only `event_type=` ones. The
// stream first says `event_stream_attached`, then a comment line every 15 s keeps proxies
// from closing an idle connection.
void registerEventRoutes(httplib::Server& server, const std::shared_ptr<Context>& ctx) {
  server.Get("/v2/events", [ctx](const httplib::Request& req, httplib::Response& res) {
    std::set<std::string> types;
    for (auto [it, end] = req.params.equal_range("event_type"); it != end; ++it) {
      types.insert(it->second);
    }
    std::shared_ptr<Subscription> subscription = ctx->events->subscribe(types);
    if (subscription == nullptr) {
      replyError(res, 503, "too many event streams are open; try again later");
      return;
    }
    json attached = {{"eventType", "event_stream_attached"},
                     {"timestamp", versionNow()},
                     {"remoteAddress", req.remote_addr}};
    std::string first = "event: event_stream_attached\ndata: " + attached.dump() + "\n\n";
    res.set_header("Cache-Control", "no-cache");
    EventBus* events = ctx->events;
    res.set_chunked_content_provider(
        "text/event-stream",
        [subscription, first, sentFirst = false](size_t, httplib::DataSink& sink) mutable {
          if (!sentFirst) {
            sentFirst = true;
            return sink.write(first.data(), first.size());
          }
          if (subscription->closed()) {
            sink.done();
            return true;
          }
          std::optional<std::string> frame = subscription->next(std::chrono::seconds(15));
          std::string data = frame.value_or(":\n\n");
          if (!sink.is_writable()) {
            return false;
          }
          return sink.write(data.data(), data.size());
        },
        [events, subscription](bool) { events->unsubscribe(subscription); });
  });
}

}  // namespace

void registerRoutes(httplib::Server& server, EventLoop* loop, ServicesScheduler* scheduler,
                    EventBus* events, const ApiInfo& apiInfo) {
  auto ctx = std::make_shared<Context>(Context{loop, scheduler, events, apiInfo});
  registerDeploymentRoutes(server, ctx);
  registerEventRoutes(server, ctx);
  registerGroupRoutes(server, ctx);
  server.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("pong", "text/plain");
  });
  server.Get("/v2/info",
             [ctx](const httplib::Request&, httplib::Response& res) { info(*ctx, res); });
  server.Get("/v2/apps/?", [ctx](const httplib::Request& req, httplib::Response& res) {
    listApps(*ctx, req, res);
  });
  server.Post("/v2/apps/(.+)/restart", [ctx](const httplib::Request& req, httplib::Response& res) {
    auto id = appIdOrNotFound(req.matches[1], res);
    if (!id) {
      return;
    }
    ServicesScheduler* scheduler = ctx->scheduler;
    onLoop(*ctx, res, [scheduler, id = *id, force = forced(req)]() -> Reply {
      auto change = scheduler->restartApp(id, force);
      if (!change.isOk()) {
        return changeError(scheduler, id, change.status());
      }
      return deploymentReply(200, *change);
    });
  });
  server.Get("/v2/queue/?", [ctx](const httplib::Request&, httplib::Response& res) {
    ServicesScheduler* scheduler = ctx->scheduler;
    onLoop(*ctx, res, [scheduler]() -> Reply { return {200, scheduler->queueJson(), {}}; });
  });
  server.Delete("/v2/queue/(.+)/delay", [ctx](const httplib::Request& req, httplib::Response& res) {
    auto id = appIdOrNotFound(req.matches[1], res);
    if (!id) {
      return;
    }
    ServicesScheduler* scheduler = ctx->scheduler;
    onLoop(*ctx, res, [scheduler, id = *id]() -> Reply {
      Status status = scheduler->resetDelay(id);
      if (!status.isOk()) {
        return errorReply(statusFor(status), status.message());
      }
      return {204, nullptr, {}};
    });
  });
  server.Get("/v2/leader", [ctx](const httplib::Request&, httplib::Response& res) {
    replyJson(res, 200, {{"leader", "127.0.0.1:" + std::to_string(ctx->info.httpPort)}});
  });
  server.Get("/v2/tasks/?", [ctx](const httplib::Request& req, httplib::Response& res) {
    ServicesScheduler* scheduler = ctx->scheduler;
    onLoop(*ctx, res, [scheduler, text = wantsText(req)]() -> Reply {
      if (text) {
        return {200, nullptr, {}, scheduler->tasksText("")};
      }
      return {200, {{"tasks", scheduler->tasksJson("")}}, {}};
    });
  });
  server.Post("/v2/apps/?", [ctx](const httplib::Request& req, httplib::Response& res) {
    createApp(*ctx, req, res);
  });
  server.Post("/v2/tasks/delete", [ctx](const httplib::Request& req, httplib::Response& res) {
    deleteTasks(*ctx, req, res);
  });
  server.Get("/metrics", [ctx](const httplib::Request&, httplib::Response& res) {
    ServicesScheduler* scheduler = ctx->scheduler;
    onLoop(*ctx, res, [scheduler]() -> Reply { return {200, scheduler->metricsJson(), {}}; });
  });
  auto route = [ctx](const httplib::Request& req, httplib::Response& res) {
    appRoute(*ctx, req, res);
  };
  server.Get("/v2/apps/(.+)", route);
  server.Put("/v2/apps/(.+)", route);
  server.Patch("/v2/apps/(.+)", route);
  server.Delete("/v2/apps/(.+)", route);
  // Nothing from the network may crash the daemon: a handler that throws is a 500.
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        LOG(WARNING) << req.method << " " << req.path << " failed: " << what;
        replyError(res, 500, what);
      });
}

}  // namespace agora::services
