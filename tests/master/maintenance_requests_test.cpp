// Maintenance and drain request bodies: accepted Mesos shapes, machine matching, and errors
// that name the field.
#include "master/maintenance_requests.hpp"

#include <gtest/gtest.h>

namespace agora::master {
namespace {

bool mentions(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

TEST(MaintenanceRequestsTest, ScheduleAcceptsMesosShapeAndRoundTrips) {
  const std::string body = R"({"windows": [
      {"machine_ids": [{"hostname": "a.example"}, {"ip": "10.0.0.2"}],
       "unavailability": {"start": {"nanoseconds": 100}, "duration": {"nanoseconds": 50}}},
      {"machine_ids": [{"hostname": "b.example", "ip": "10.0.0.3"}],
       "unavailability": {"start": {"nanoseconds": 7}}}]})";
  auto schedule = parseScheduleRequest(body);
  ASSERT_TRUE(schedule.isOk()) << schedule.status().message();
  ASSERT_EQ(schedule->windows_size(), 2);
  EXPECT_EQ(schedule->windows(0).machine_ids(1).ip(), "10.0.0.2");
  EXPECT_EQ(schedule->windows(0).unavailability().duration().nanoseconds(), 50);
  EXPECT_FALSE(schedule->windows(1).unavailability().has_duration());
  EXPECT_EQ(scheduleJson(*schedule), nlohmann::json::parse(body));
  // `{}` clears the schedule.
  auto empty = parseScheduleRequest("{}");
  ASSERT_TRUE(empty.isOk());
  EXPECT_EQ(empty->windows_size(), 0);
}

TEST(MaintenanceRequestsTest, ScheduleErrorsNameTheField) {
  EXPECT_TRUE(mentions(parseScheduleRequest("{").status(), "JSON"));
  EXPECT_TRUE(mentions(parseScheduleRequest(R"({"windows": 3})").status(), "'windows'"));
  EXPECT_TRUE(mentions(parseScheduleRequest(R"({"windows": [{"machine_ids": [],
      "unavailability": {"start": {"nanoseconds": 1}}}]})")
                           .status(),
                       "windows[0].machine_ids"));
  EXPECT_TRUE(mentions(parseScheduleRequest(R"({"windows": [{"machine_ids": [{}],
      "unavailability": {"start": {"nanoseconds": 1}}}]})")
                           .status(),
                       "windows[0].machine_ids[0]' must name a 'hostname' or an 'ip'"));
  EXPECT_TRUE(mentions(parseScheduleRequest(R"({"windows": [{"machine_ids": [{"ip": "x"}],
      "unavailability": {"start": {"nanoseconds": 1}}}]})")
                           .status(),
                       "machine_ids[0].ip"));
  EXPECT_TRUE(mentions(parseScheduleRequest(R"({"windows": [{"machine_ids": [{"hostname": "h"}],
      "unavailability": {}}]})")
                           .status(),
                       "windows[0].unavailability.start"));
  EXPECT_TRUE(mentions(parseScheduleRequest(R"({"windows": [{"machine_ids": [{"hostname": "h"}],
      "unavailability": {"start": {"nanoseconds": -1}}}]})")
                           .status(),
                       "unavailability.start.nanoseconds"));
  EXPECT_TRUE(mentions(parseScheduleRequest(R"({"windows": [{"machine_ids": [{"hostname": "h"}],
      "unavailability": {"start": {"nanoseconds": 1}, "duration": {"nanoseconds": 1.5}}}]})")
                           .status(),
                       "unavailability.duration.nanoseconds"));
  // A machine in two windows (hostnames compare case-insensitively).
  EXPECT_TRUE(mentions(parseScheduleRequest(R"({"windows": [
      {"machine_ids": [{"hostname": "h"}], "unavailability": {"start": {"nanoseconds": 1}}},
      {"machine_ids": [{"hostname": "H"}], "unavailability": {"start": {"nanoseconds": 2}}}]})")
                           .status(),
                       "windows[1].machine_ids[0]' is in more than one window"));
}

TEST(MaintenanceRequestsTest, MachineIdsList) {
  auto machines = parseMachineIdsRequest(R"([{"hostname": "h"}, {"ip": "1.2.3.4"}])");
  ASSERT_TRUE(machines.isOk()) << machines.status().message();
  ASSERT_EQ(machines->size(), 2u);
  EXPECT_EQ((*machines)[1].ip(), "1.2.3.4");
  EXPECT_TRUE(mentions(parseMachineIdsRequest("[]").status(), "non-empty array"));
  EXPECT_TRUE(mentions(parseMachineIdsRequest(R"({"hostname": "h"})").status(), "array"));
  EXPECT_TRUE(mentions(parseMachineIdsRequest(R"([{"hostname": 1}])").status(), "[0].hostname"));
  EXPECT_TRUE(mentions(parseMachineIdsRequest(R"([{"hostname": "h"}, {"hostname": "h"}])").status(),
                       "[1]' is listed twice"));
}

TEST(MaintenanceRequestsTest, MachinesMatchAgentsByHostnameAndIp) {
  v1::AgentInfo agent;
  agent.set_hostname("Node1.example");
  agent.set_ip("10.0.0.1");
  v1::MachineID byName;
  byName.set_hostname("node1.example");
  v1::MachineID byIp;
  byIp.set_ip("10.0.0.1");
  v1::MachineID both = byName;
  both.set_ip("10.0.0.1");
  v1::MachineID wrongIp = byName;
  wrongIp.set_ip("10.0.0.9");
  EXPECT_TRUE(machineMatches(byName, agent));
  EXPECT_TRUE(machineMatches(byIp, agent));
  EXPECT_TRUE(machineMatches(both, agent));
  EXPECT_FALSE(machineMatches(wrongIp, agent));
  EXPECT_FALSE(machineMatches(v1::MachineID(), agent));
  // Without a reported ip, an ip-literal hostname is the agent's ip.
  v1::AgentInfo literal;
  literal.set_hostname("127.0.0.1");
  v1::MachineID loopback;
  loopback.set_ip("127.0.0.1");
  EXPECT_TRUE(machineMatches(loopback, literal));
}

TEST(MaintenanceRequestsTest, DrainAndReactivateCalls) {
  auto drain = parseAgentOperatorCall(R"({"type": "DRAIN_AGENT", "drain_agent": {
      "agent_id": {"value": "S1"}, "max_grace_period": {"nanoseconds": 2000000000},
      "mark_gone": false}})");
  ASSERT_TRUE(drain.isOk()) << drain.status().message();
  EXPECT_EQ(drain->type, AgentOperatorCall::Type::kDrainAgent);
  EXPECT_EQ(drain->agentId, "S1");
  EXPECT_EQ(drain->config.max_grace_period().nanoseconds(), 2000000000);
  auto noGrace = parseAgentOperatorCall(
      R"({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": {"value": "S1"}}})");
  ASSERT_TRUE(noGrace.isOk());
  EXPECT_FALSE(noGrace->config.has_max_grace_period());
  auto reactivate = parseAgentOperatorCall(
      R"({"type": "REACTIVATE_AGENT", "reactivate_agent": {"agent_id": {"value": "S2"}}})");
  ASSERT_TRUE(reactivate.isOk());
  EXPECT_EQ(reactivate->type, AgentOperatorCall::Type::kReactivateAgent);
  EXPECT_EQ(reactivate->agentId, "S2");
  auto deactivate = parseAgentOperatorCall(
      R"({"type": "DEACTIVATE_AGENT", "deactivate_agent": {"agent_id": {"value": "S3"}}})");
  ASSERT_TRUE(deactivate.isOk());
  EXPECT_EQ(deactivate->type, AgentOperatorCall::Type::kDeactivateAgent);
  EXPECT_EQ(deactivate->agentId, "S3");
  EXPECT_TRUE(mentions(parseAgentOperatorCall(R"({"type": "DEACTIVATE_AGENT"})").status(),
                       "deactivate_agent.agent_id.value"));
  auto goneAfterDrain = parseAgentOperatorCall(R"({"type": "DRAIN_AGENT", "drain_agent": {
      "agent_id": {"value": "S1"}, "mark_gone": true}})");
  ASSERT_TRUE(goneAfterDrain.isOk()) << goneAfterDrain.status().message();
  EXPECT_TRUE(goneAfterDrain->config.mark_gone());
  auto gone = parseAgentOperatorCall(
      R"({"type": "MARK_AGENT_GONE", "mark_agent_gone": {"agent_id": {"value": "S4"}}})");
  ASSERT_TRUE(gone.isOk()) << gone.status().message();
  EXPECT_EQ(gone->type, AgentOperatorCall::Type::kMarkAgentGone);
  EXPECT_EQ(gone->agentId, "S4");
}

TEST(MaintenanceRequestsTest, OperatorCallErrorsNameTheField) {
  EXPECT_TRUE(mentions(parseAgentOperatorCall("nope").status(), "JSON"));
  EXPECT_TRUE(mentions(parseAgentOperatorCall("{}").status(), "'type'"));
  EXPECT_TRUE(mentions(parseAgentOperatorCall(R"({"type": "GET_STATE"})").status(),
                       "unsupported call type 'GET_STATE'"));
  EXPECT_TRUE(mentions(parseAgentOperatorCall(R"({"type": "DRAIN_AGENT"})").status(),
                       "drain_agent.agent_id.value"));
  EXPECT_TRUE(mentions(parseAgentOperatorCall(R"({"type": "DRAIN_AGENT", "drain_agent": {
      "agent_id": {"value": "S1"}, "max_grace_period": {"nanoseconds": "1"}}})")
                           .status(),
                       "drain_agent.max_grace_period.nanoseconds"));
  EXPECT_TRUE(mentions(parseAgentOperatorCall(R"({"type": "DRAIN_AGENT", "drain_agent": {
      "agent_id": {"value": "S1"}, "mark_gone": "yes"}})")
                           .status(),
                       "mark_gone"));
  EXPECT_TRUE(mentions(parseAgentOperatorCall(R"({"type": "MARK_AGENT_GONE"})").status(),
                       "mark_agent_gone.agent_id.value"));
  EXPECT_TRUE(mentions(parseAgentOperatorCall(R"({"type": "REACTIVATE_AGENT",
      "reactivate_agent": {"agent_id": {}}})")
                           .status(),
                       "reactivate_agent.agent_id.value"));
}

TEST(MaintenanceRequestsTest, V1MaintenanceCalls) {
  auto update = parseMaintenanceOperatorCall(R"({"type": "UPDATE_MAINTENANCE_SCHEDULE",
      "update_maintenance_schedule": {"schedule": {"windows": [{"machine_ids": [{"ip":
      "10.0.0.1"}], "unavailability": {"start": {"nanoseconds": 3}}}]}}})");
  ASSERT_TRUE(update.isOk()) << update.status().message();
  ASSERT_TRUE(update->has_value());
  EXPECT_EQ((*update)->type, MaintenanceOperatorCall::Type::kUpdateSchedule);
  EXPECT_EQ((*update)->schedule.windows(0).machine_ids(0).ip(), "10.0.0.1");
  auto start = parseMaintenanceOperatorCall(
      R"({"type": "START_MAINTENANCE", "start_maintenance": {"machines": [{"hostname": "h"}]}})");
  ASSERT_TRUE(start.isOk() && start->has_value());
  EXPECT_EQ((*start)->type, MaintenanceOperatorCall::Type::kStartMaintenance);
  EXPECT_EQ((*start)->machines.at(0).hostname(), "h");
  auto status = parseMaintenanceOperatorCall(R"({"type": "GET_MAINTENANCE_STATUS"})");
  ASSERT_TRUE(status.isOk() && status->has_value());
  EXPECT_EQ((*status)->type, MaintenanceOperatorCall::Type::kGetStatus);
  // Not a maintenance call: left to the agent calls.
  auto drain = parseMaintenanceOperatorCall(R"({"type": "DRAIN_AGENT"})");
  ASSERT_TRUE(drain.isOk());
  EXPECT_FALSE(drain->has_value());

  EXPECT_TRUE(mentions(parseMaintenanceOperatorCall(R"({"type": "UPDATE_MAINTENANCE_SCHEDULE",
      "update_maintenance_schedule": {"schedule": {"windows": [{"machine_ids": [{}]}]}}})")
                           .status(),
                       "update_maintenance_schedule.schedule.windows[0].machine_ids[0]"));
  EXPECT_TRUE(mentions(parseMaintenanceOperatorCall(R"({"type": "STOP_MAINTENANCE"})").status(),
                       "stop_maintenance.machines"));
  EXPECT_TRUE(mentions(parseMaintenanceOperatorCall(R"({"type": "START_MAINTENANCE",
      "start_maintenance": {"machines": [{"ip": "nope"}]}})")
                           .status(),
                       "start_maintenance.machines[0].ip"));
}

}  // namespace
}  // namespace agora::master
