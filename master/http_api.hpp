// The master's operator HTTP API (cpp-httplib on its own threads). Handlers read the
// master's state through `EventLoop::runSync`, so they never touch it off the loop.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

#include "master/http_static.hpp"
#include "master/master.hpp"

namespace agora::master {

struct MaintenanceOperatorCall;

class HttpApi {
 public:
  // `flags` is the JSON served by /flags.
  HttpApi(Master& master, nlohmann::json flags);
  ~HttpApi();
  // Binds ip:port and serves on a background thread.
  Status start(const std::string& ip, int port);
  void stop();

 private:
  void routes();
  void maintenanceRoutes();
  // Lists, agent forwarding and static files for the web UI (http_webui_routes.cpp).
  void webuiRoutes();
  // GET `path` (one of a few read-only endpoints) of the agent, answered as it answers.
  void forwardToAgent(const std::string& agentId, const std::string& path,
                      const httplib::Request& req, httplib::Response& res);
  void maintenanceOperatorCall(httplib::Response& res, const MaintenanceOperatorCall& call);
  static void replyOperatorStatus(httplib::Response& res, const std::optional<Status>& status);
  // Runs `fn` on the master loop; 503 when the loop does not answer in time.
  template <typename F>
  void onLoop(httplib::Response& res, F fn);
  static void replyStatus(httplib::Response& res, const std::optional<Status>& status);

  Master& master_;
  nlohmann::json flags_;
  HttpStatic static_;
  httplib::Server server_;
  std::thread thread_;
};

}  // namespace agora::master
