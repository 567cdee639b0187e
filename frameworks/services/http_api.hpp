// The Marathon v2 REST API of agora-services (the subset this version serves): /ping,
// /v2/info, /v2/leader, /v2/apps and everything under /v2/apps/{id} (nested ids),
// /v2/tasks, /v2/queue, /v2/deployments and /v2/events (server-sent events). Handlers run on the
// HTTP server's threads: they parse and validate there (pure code), then run the change on the
// scheduler's loop through `EventLoop::runSync`. Ownership: borrows `loop` and `scheduler`, which
// must outlive the server.
#pragma once

#include <httplib.h>

#include <string>

#include "common/event/event_loop.hpp"
#include "frameworks/services/event_bus.hpp"
#include "frameworks/services/services_scheduler.hpp"

namespace agora::services {

struct ApiInfo {
  std::string master;  // The --master flag.
  int httpPort = 8080;
  double failoverTimeout = 0;
  std::string role = "*";
};

// Registers every route on `server`. `events` feeds /v2/events.
void registerRoutes(httplib::Server& server, EventLoop* loop, ServicesScheduler* scheduler,
                    EventBus* events, const ApiInfo& info);

}  // namespace agora::services
