// What the REST handlers of agora-services share: the context they run in, running a change
// on the scheduler's loop (`onLoop`) and Marathon's error and deployment answers. Internal
// to the http_*.cpp files.
#pragma once

#include <httplib.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/event/event_loop.hpp"
#include "frameworks/services/event_bus.hpp"
#include "frameworks/services/http_api.hpp"
#include "frameworks/services/services_scheduler.hpp"

namespace agora::services {

struct Context {
  EventLoop* loop;
  ServicesScheduler* scheduler;
  EventBus* events;
  ApiInfo info;
};

// What a handler answers, built on the loop and written on the HTTP thread.
struct Reply {
  int status = 200;
  nlohmann::json body;
  std::map<std::string, std::string> headers;
  std::optional<std::string> text;  // Sent as text/plain instead of `body` when set.
};

// Whether the client asked for Marathon's plain-text form (Accept: text/plain).
bool wantsText(const httplib::Request& req);

Reply errorReply(int status, const std::string& message);

// Runs `fn` on the scheduler's loop and writes its reply. `fn` captures only values: when
// the loop does not answer in time (a 503, never a hang) it still runs later.
void onLoop(const Context& ctx, httplib::Response& res, std::function<Reply()> fn);

// The body as JSON, or a 400 in Marathon's format.
std::optional<nlohmann::json> parseBody(const httplib::Request& req, httplib::Response& res);

// The HTTP status for a scheduler error.
int statusFor(const Status& status);

// A refused change. A locked app (409) lists the deployments holding it, as Marathon does;
// a dependency cycle is a 422.
Reply changeError(const ServicesScheduler* scheduler, const std::string& appId,
                  const Status& status);

// `{"deploymentId", "version"}` with the Marathon-Deployment-Id header.
Reply deploymentReply(int status, const ChangeResult& change);

bool forced(const httplib::Request& req);

// Marathon's api_post_event: who changed which app or group to what.
void publishApiPost(const Context& ctx, const httplib::Request& req,
                    const nlohmann::json& definition);

// /v2/groups (http_groups.cpp).
void registerGroupRoutes(httplib::Server& server, const std::shared_ptr<Context>& ctx);

}  // namespace agora::services
