// /v2/groups: GET the tree (or one group, or its versions), POST a new group, PUT a group
// (its whole tree, `{"scaleBy": F}` or `{"version": V}`), DELETE a group and all in it.
#include <glog/logging.h>

#include "common/http/http.hpp"
#include "frameworks/services/group.hpp"
#include "frameworks/services/http_support.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

bool wantsTasks(const httplib::Request& req) {
  for (auto [it, end] = req.params.equal_range("embed"); it != end; ++it) {
    if (it->second == "group.apps.tasks") {
      return true;
    }
  }
  return false;
}

// The group id in the path ("" for /v2/groups itself), or nullopt after answering 404.
std::optional<std::string> groupIdOrNotFound(const httplib::Request& req, httplib::Response& res) {
  std::string raw = req.matches.size() > 1 ? std::string(req.matches[1]) : "";
  auto id = resolveId("/", raw);
  if (!id.isOk()) {
    replyError(res, 404, "Group '/" + raw + "' does not exist");
    return std::nullopt;
  }
  return *id;
}

void getGroup(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string raw = req.matches.size() > 1 ? std::string(req.matches[1]) : "";
  bool versions = raw.size() >= 8 && raw.compare(raw.size() - 8, 8, "versions") == 0 &&
                  (raw.size() == 8 || raw[raw.size() - 9] == '/');
  auto id = resolveId("/", versions ? raw.substr(0, raw.size() - 8) : raw);
  if (!id.isOk()) {
    replyError(res, 404, "Group '/" + raw + "' does not exist");
    return;
  }
  ServicesScheduler* scheduler = ctx.scheduler;
  bool withTasks = wantsTasks(req);
  onLoop(ctx, res, [scheduler, id = *id, versions, withTasks]() -> Reply {
    if (versions) {
      auto list = scheduler->groupVersionsJson(id);
      if (!list.isOk()) {
        return errorReply(statusFor(list.status()), list.status().message());
      }
      return {200, *list, {}};
    }
    json group = scheduler->groupJson(id, withTasks);
    if (group.is_null()) {
      return errorReply(404, "Group '" + id + "' does not exist");
    }
    return {200, group, {}};
  });
}

// PUT {"scaleBy": F}: F must be a positive number.
std::optional<double> scaleFactor(const json& body, httplib::Response& res) {
  const json& factor = body["scaleBy"];
  if (!factor.is_number() || factor.get<double>() <= 0) {
    replyJson(res, 422,
              validationErrorBody({FieldError{
                  "/scaleBy",
                  {factor.is_number() ? "must be greater than 0" : "error.expected.jsnumber"}}}));
    return std::nullopt;
  }
  return factor.get<double>();
}

// POST and PUT: a whole group, or (PUT) a scaling or a return to an older version.
void writeGroup(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = parseBody(req, res);
  if (!body.has_value()) {
    return;
  }
  bool create = req.method == "POST";
  bool force = forced(req);
  std::optional<std::string> pathId;
  if (req.matches.size() > 1) {
    pathId = std::string(req.matches[1]);
  } else if (body->is_object() && !body->contains("id")) {
    pathId = "/";  // PUT /v2/groups with no id: the root group.
  }
  ServicesScheduler* scheduler = ctx.scheduler;
  if (!create && body->is_object() && (body->contains("scaleBy") || body->contains("version"))) {
    auto id = resolveId("/", pathId.value_or(body->value("id", "/")));
    if (!id.isOk()) {
      replyError(res, 404, "Group '/" + pathId.value_or("") + "' does not exist");
      return;
    }
    std::optional<double> factor;
    if (body->contains("scaleBy") && !(factor = scaleFactor(*body, res))) {
      return;
    }
    if (body->contains("version") && !(*body)["version"].is_string()) {
      replyJson(res, 422,
                validationErrorBody({FieldError{"/version", {"error.expected.jsstring"}}}));
      return;
    }
    std::string version = body->value("version", "");
    onLoop(ctx, res, [scheduler, id = *id, factor, version, force]() -> Reply {
      auto change = factor ? scheduler->scaleGroup(id, *factor, force)
                           : scheduler->restoreGroup(id, version, force);
      if (!change.isOk()) {
        return changeError(scheduler, id, change.status());
      }
      return deploymentReply(200, *change);
    });
    return;
  }
  std::vector<FieldError> errors = validateGroup(*body, pathId);
  if (!errors.empty()) {
    replyJson(res, 422, validationErrorBody(errors));
    return;
  }
  GroupTree tree = groupFromJson(*body, pathId);
  if (req.get_param_value("dryRun") == "true") {
    onLoop(ctx, res, [scheduler, tree]() -> Reply {
      auto plan = scheduler->planGroup(tree);
      if (!plan.isOk()) {
        return changeError(scheduler, tree.id, plan.status());
      }
      return {200, *plan, {}};
    });
    return;
  }
  onLoop(ctx, res, [scheduler, tree, create, force]() -> Reply {
    auto change = scheduler->putGroup(tree, create, force);
    if (!change.isOk()) {
      return changeError(scheduler, tree.id, change.status());
    }
    return deploymentReply(create ? 201 : 200, *change);
  });
  if (res.status == 200 || res.status == 201) {
    publishApiPost(ctx, req, *body);
  }
}

void deleteGroup(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto id = groupIdOrNotFound(req, res);
  if (!id) {
    return;
  }
  ServicesScheduler* scheduler = ctx.scheduler;
  onLoop(ctx, res, [scheduler, id = *id, force = forced(req)]() -> Reply {
    auto change = scheduler->deleteGroup(id, force);
    if (!change.isOk()) {
      return changeError(scheduler, id, change.status());
    }
    return deploymentReply(200, *change);
  });
}

}  // namespace

void registerGroupRoutes(httplib::Server& server, const std::shared_ptr<Context>& ctx) {
  auto get = [ctx](const httplib::Request& req, httplib::Response& res) {
    getGroup(*ctx, req, res);
  };
  auto write = [ctx](const httplib::Request& req, httplib::Response& res) {
    writeGroup(*ctx, req, res);
  };
  auto remove = [ctx](const httplib::Request& req, httplib::Response& res) {
    deleteGroup(*ctx, req, res);
  };
  server.Get("/v2/groups/?", get);
  server.Get("/v2/groups/(.+)", get);
  server.Post("/v2/groups/?", write);
  server.Post("/v2/groups/(.+)", write);
  server.Put("/v2/groups/?", write);
  server.Put("/v2/groups/(.+)", write);
  server.Patch("/v2/groups/?", write);  // As Marathon: PATCH takes what PUT takes.
  server.Patch("/v2/groups/(.+)", write);
  server.Delete("/v2/groups/?", remove);
  server.Delete("/v2/groups/(.+)", remove);
}

}  // namespace agora::services
