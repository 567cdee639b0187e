// `HttpApi`: the agent's HTTP server (docs/contracts.md, "Agent"): `/health`, `/state`,
// `/flags`, `/metrics`, `/metrics/snapshot` and the confined `/files/*` endpoints.
//
// Thread-safety: handlers run on the server's own threads. They read agent state only
// through `EventLoop::runSync` (on the agent's loop) and the file endpoints only touch
// the filesystem. `start()`/`stop()` are called from the owner's thread.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "common/base/status.hpp"
#include "common/event/event_loop.hpp"
#include "common/metrics/metrics.hpp"
#include "slave/agent.hpp"

namespace agora::slave {

class HttpApi {
 public:
  // `agent` and `metrics` must outlive the server.
  HttpApi(EventLoop& loop, const Agent& agent, Metrics& metrics);
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds `ip:port` and serves on a background thread. Error when the port is taken.
  Status start(const std::string& ip, int port);
  void stop();

 private:
  void routes();

  EventLoop& loop_;
  const Agent& agent_;
  Metrics& metrics_;
  const std::string sandboxes_;
  httplib::Server server_;
  std::thread thread_;
};

}  // namespace agora::slave
