#include "frameworks/services/http_support.hpp"

#include <glog/logging.h>

#include "common/http/http.hpp"

namespace agora::services {

using nlohmann::json;

Reply errorReply(int status, const std::string& message) {
  return {status, {{"message", message}}, {}};
}

void onLoop(const Context& ctx, httplib::Response& res, std::function<Reply()> fn) {
  // A throw on the loop thread would end the daemon: the last line of defence is a 500.
  auto guarded = [fn = std::move(fn)]() -> Reply {
    try {
      return fn();
    } catch (const std::exception& e) {
      LOG(WARNING) << "Request failed on the loop: " << e.what();
      return errorReply(500, e.what());
    }
  };
  std::optional<Reply> reply = ctx.loop->runSync(guarded, std::chrono::seconds(30));
  if (!reply.has_value()) {
    replyError(res, 503, "agora-services is busy; try again");
    return;
  }
  for (const auto& [name, value] : reply->headers) {
    res.set_header(name, value);
  }
  if (reply->status == 204) {
    res.status = 204;  // No Content: no body at all.
    return;
  }
  if (reply->text.has_value()) {
    res.status = reply->status;
    res.set_content(*reply->text, "text/plain");
    return;
  }
  replyJson(res, reply->status, reply->body);
}

std::optional<json> parseBody(const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    replyJson(res, 400, {{"message", "Invalid JSON"}, {"details", "the body is not valid JSON"}});
    return std::nullopt;
  }
  return body;
}

int statusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kInvalidArgument:
      return 422;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    default:
      return 500;
  }
}

Reply changeError(const ServicesScheduler* scheduler, const std::string& appId,
                  const Status& status) {
  Reply reply = errorReply(statusFor(status), status.message());
  if (status.code() == StatusCode::kFailedPrecondition) {
    json ids = json::array();
    for (const std::string& id : scheduler->lockingDeployments(appId)) {
      ids.push_back({{"id", id}});
    }
    reply.body["deployments"] = ids;
  } else if (status.code() == StatusCode::kInvalidArgument) {
    reply.body = validationErrorBody({FieldError{"/", {status.message()}}});
  }
  return reply;
}

Reply deploymentReply(int status, const ChangeResult& change) {
  return {status,
          {{"deploymentId", change.deploymentId}, {"version", change.version}},
          {{"Marathon-Deployment-Id", change.deploymentId}}};
}

bool wantsText(const httplib::Request& req) {
  std::string accept = req.get_header_value("Accept");
  return accept.find("text/plain") != std::string::npos &&
         accept.find("application/json") == std::string::npos;
}

bool forced(const httplib::Request& req) { return req.get_param_value("force") == "true"; }

void publishApiPost(const Context& ctx, const httplib::Request& req, const json& definition) {
  ctx.events->publish(
      "api_post_event",
      {{"clientIp", req.remote_addr}, {"uri", req.path}, {"appDefinition", definition}});
}

}  // namespace agora::services
