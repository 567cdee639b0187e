// The maintenance and drain routes of the master's operator API: /maintenance/*,
// /machine/down|up and the v1 operator calls on POST /api/v1.
#include <glog/logging.h>

#include "common/http/http.hpp"
#include "master/http_api.hpp"
#include "master/maintenance_requests.hpp"

namespace agora::master {

namespace {
// Runs `fn` on the master loop and replies with its JSON; 503 when the loop is stuck.
template <typename F>
void replyOnLoop(Master& master, httplib::Response& res, F fn) {
  auto result = master.loop().runSync(fn);
  if (!result) {
    replyError(res, 503, "the master's event loop did not answer in time");
    return;
  }
  replyJson(res, 200, *result);
}
}  // namespace

// 400 invalid, 404 unknown agent, 409 wrong state, 503 otherwise.
void HttpApi::replyOperatorStatus(httplib::Response& res, const std::optional<Status>& status) {
  if (status && status->code() == StatusCode::kNotFound) {
    replyError(res, 404, status->message());
  } else if (status && status->code() == StatusCode::kFailedPrecondition) {
    replyError(res, 409, status->message());
  } else {
    replyStatus(res, status);
  }
}

void HttpApi::maintenanceRoutes() {
  server_.Get("/maintenance/schedule", [this](const httplib::Request&, httplib::Response& res) {
    replyOnLoop(master_, res, [this] { return master_.maintenanceScheduleJson(); });
  });
  server_.Post("/maintenance/schedule",
               [this](const httplib::Request& req, httplib::Response& res) {
                 auto schedule = parseScheduleRequest(req.body);
                 if (!schedule.isOk()) {
                   replyError(res, 400, schedule.status().message());
                   return;
                 }
                 replyStatus(res, master_.loop().runSync([this, s = *schedule] {
                   return master_.updateMaintenanceSchedule(s);
                 }));
               });
  server_.Get("/maintenance/status", [this](const httplib::Request&, httplib::Response& res) {
    replyOnLoop(master_, res, [this] { return master_.maintenanceStatusJson(); });
  });
  for (const std::string path : {"/machine/down", "/machine/up"}) {
    bool down = path == "/machine/down";
    server_.Post(path, [this, down](const httplib::Request& req, httplib::Response& res) {
      auto machines = parseMachineIdsRequest(req.body);
      if (!machines.isOk()) {
        replyError(res, 400, machines.status().message());
        return;
      }
      replyStatus(res, master_.loop().runSync([this, down, m = *machines] {
        return down ? master_.machinesDown(m) : master_.machinesUp(m);
      }));
    });
  }
  // The v1 operator API; only the agent drain calls so far.
  server_.Post("/api/v1", [this](const httplib::Request& req, httplib::Response& res) {
    auto maintenance = parseMaintenanceOperatorCall(req.body);
    if (!maintenance.isOk()) {
      replyError(res, 400, maintenance.status().message());
      return;
    }
    if (maintenance->has_value()) {
      maintenanceOperatorCall(res, **maintenance);
      return;
    }
    auto call = parseAgentOperatorCall(req.body);
    if (!call.isOk()) {
      replyError(res, 400, call.status().message());
      return;
    }
    replyOperatorStatus(res, master_.loop().runSync([this, c = *call] {
      switch (c.type) {
        case AgentOperatorCall::Type::kDrainAgent:
          return master_.drainAgent(c.agentId, c.config);
        case AgentOperatorCall::Type::kDeactivateAgent:
          return master_.deactivateAgent(c.agentId);
        case AgentOperatorCall::Type::kMarkAgentGone:
          return master_.markAgentGone(c.agentId);
        case AgentOperatorCall::Type::kReactivateAgent:
          break;
      }
      return master_.reactivateAgent(c.agentId);
    }));
  });
}

void HttpApi::maintenanceOperatorCall(httplib::Response& res, const MaintenanceOperatorCall& call) {
  using Type = MaintenanceOperatorCall::Type;
  switch (call.type) {
    case Type::kGetSchedule:
      replyOnLoop(master_, res, [this] {
        return nlohmann::json{
            {"type", "GET_MAINTENANCE_SCHEDULE"},
            {"get_maintenance_schedule", {{"schedule", master_.maintenanceScheduleJson()}}}};
      });
      return;
    case Type::kGetStatus:
      replyOnLoop(master_, res, [this] {
        return nlohmann::json{
            {"type", "GET_MAINTENANCE_STATUS"},
            {"get_maintenance_status", {{"status", master_.maintenanceStatusJson()}}}};
      });
      return;
    case Type::kUpdateSchedule:
      replyStatus(res, master_.loop().runSync([this, s = call.schedule] {
        return master_.updateMaintenanceSchedule(s);
      }));
      return;
    case Type::kStartMaintenance:
    case Type::kStopMaintenance:
      replyStatus(res, master_.loop().runSync(
                           [this, down = call.type == Type::kStartMaintenance, m = call.machines] {
                             return down ? master_.machinesDown(m) : master_.machinesUp(m);
                           }));
      return;
  }
}

}  // namespace agora::master
