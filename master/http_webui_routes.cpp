// The routes the web UI needs beyond the operator API: paginated lists (/tasks, /slaves,
// /frameworks, /offers, /overview), the agents' sandbox files and usage forwarded from the master's
// origin (/agents/{id}/...), and the static files (/, /webui/...).
#include <glog/logging.h>

#include <future>

#include "common/http/http.hpp"
#include "master/http_api.hpp"
#include "master/http_forward.hpp"
#include "master/http_listing_query.hpp"

namespace agora::master {
namespace {

QueryParams queryOf(const httplib::Request& req) {
  return QueryParams(req.params.begin(), req.params.end());
}

// The agent endpoints the master forwards, and the query parameters each takes.
const std::map<std::string, std::vector<std::string>>& forwardedAgentPaths() {
  static const std::map<std::string, std::vector<std::string>> kPaths = {
      {"state", {}},
      {"monitor/statistics", {}},
      {"files/browse", {"path"}},
      {"files/read", {"path", "offset", "length"}},
  };
  return kPaths;
}

// Runs `view` on the master loop and replies with its JSON; 503 when the loop is stuck.
template <typename F>
void replyOnLoop(Master& master, httplib::Response& res, F view) {
  auto result = master.loop().runSync(view);
  if (!result) {
    replyError(res, 503, "the master's event loop did not answer in time");
    return;
  }
  replyJson(res, 200, *result);
}

}  // namespace

void HttpApi::webuiRoutes() {
  // A page of one list: the query is checked here (400 naming the parameter), the page written on
  // the loop.
  auto list = [this](const std::string& path, auto parse, auto view) {
    server_.Get(path, [this, parse, view](const httplib::Request& req, httplib::Response& res) {
      auto query = parse(queryOf(req));
      if (!query.isOk()) {
        replyError(res, 400, query.status().message());
        return;
      }
      replyOnLoop(master_, res, [this, view, q = *query] { return (master_.*view)(q); });
    });
  };
  server_.Get("/tasks", [this](const httplib::Request& req, httplib::Response& res) {
    auto query = parseTaskQuery(queryOf(req));
    if (!query.isOk()) {
      replyError(res, 400, query.status().message());
      return;
    }
    auto promise = std::make_shared<std::promise<SplicedJson>>();
    std::future<SplicedJson> page = promise->get_future();
    master_.loop().post([this, promise, q = *query] {
      master_.listTasks(q, [promise](SplicedJson done) { promise->set_value(std::move(done)); });
    });
    if (page.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      replyError(res, 503, "the master did not finish listing its tasks in time");
      return;
    }
    res.status = 200;
    res.set_content(page.get().render(), "application/json");
  });
  list("/slaves", parseAgentQuery, &Master::agentsJson);
  list("/frameworks", parseFrameworkQuery, &Master::frameworksJson);
  list("/offers", parseOfferQuery, &Master::offersJson);
  server_.Get("/overview", [this](const httplib::Request&, httplib::Response& res) {
    replyOnLoop(master_, res, [this] { return master_.overviewJson(); });
  });
  server_.Get(R"(/agents/([^/]+)/(.+))",
              [this](const httplib::Request& req, httplib::Response& res) {
                forwardToAgent(req.matches[1], req.matches[2], req, res);
              });
  server_.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
    static_.serve("", req, res);
  });
  server_.Get(R"(/webui/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
    static_.serve(req.matches[1], req, res);
  });
}

void HttpApi::forwardToAgent(const std::string& agentId, const std::string& path,
                             const httplib::Request& req, httplib::Response& res) {
  auto allowed = forwardedAgentPaths().find(path);
  if (allowed == forwardedAgentPaths().end()) {
    replyError(res, 404,
               "no such agent endpoint '" + path +
                   "' (forwarded: state, monitor/statistics, files/browse, "
                   "files/read)");
    return;
  }
  auto address =
      master_.loop().runSync([this, agentId] { return master_.agentHttpAddress(agentId); });
  if (!address) {
    replyError(res, 503, "the master's event loop did not answer in time");
    return;
  }
  if (!address->isOk()) {
    replyError(res, 404, address->status().message());
    return;
  }
  auto hostPort = parseHostPort(**address);
  if (!hostPort.isOk()) {
    replyError(res, 502, "agent " + agentId + " has no usable HTTP address '" + **address + "'");
    return;
  }
  std::string target = "/" + path;
  char separator = '?';
  for (const std::string& name : allowed->second) {
    if (req.has_param(name.c_str())) {
      target += separator + name + "=" + percentEncode(req.get_param_value(name.c_str()));
      separator = '&';
    }
  }
  // The agent's answer as it is: its status code and its `{"message"}` on errors.
  ForwardedRequest request;
  request.target = target;
  forwardHttp(*hostPort, "agent " + agentId, request, res);
}

}  // namespace agora::master
