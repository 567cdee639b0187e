// The Marathon v2 REST API of agora-services (the subset this version serves): /ping,
// /v2/info, /v2/apps (list, create) and /v2/apps/{id} (get, replace, delete), with nested
// ids. Handlers run on the HTTP server's threads: they parse and validate there (pure
// code), then run the change on the scheduler's loop through `EventLoop::runSync`.
// Ownership: borrows `loop` and `scheduler`, which must outlive the server.
#pragma once

#include <httplib.h>

#include <string>

#include "common/event/event_loop.hpp"
#include "frameworks/services/services_scheduler.hpp"

namespace agora::services {

struct ApiInfo {
  std::string master;  // The --master flag.
  int httpPort = 8080;
  double failoverTimeout = 0;
};

// Registers every route on `server`.
void registerRoutes(httplib::Server& server, EventLoop* loop, ServicesScheduler* scheduler,
                    const ApiInfo& info);

}  // namespace agora::services
