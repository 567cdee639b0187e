// Table printing and the JSON views behind `agora agents|frameworks|tasks|logs`.
#include <gtest/gtest.h>

#include "cli/run_scheduler.hpp"
#include "cli/views.hpp"

namespace agora::cli {
namespace {

using nlohmann::json;

TEST(TableTest, AlignsColumnsWithoutTrailingSpaces) {
  Table table({"ID", "NAME", "STATE"});
  table.addRow({"a1", "long-name", "X"});
  table.addRow({"b22", "n", ""});
  EXPECT_EQ(table.render(),
            "ID   NAME       STATE\n"
            "a1   long-name  X\n"
            "b22  n\n");
}

TEST(TableTest, FormatsNumbersForPeople) {
  EXPECT_EQ(formatNumber(4), "4");
  EXPECT_EQ(formatNumber(0.1), "0.1");
  EXPECT_EQ(formatNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(formatNumber(2.25), "2.25");
  EXPECT_EQ(formatNumber(8192), "8192");
  EXPECT_EQ(formatNumber(-0.0001), "0");
}

// A master (or a proxy in front of it) that answers with JSON of another shape must not
// make the CLI throw: `json::value()` throws on anything but an object.
TEST(CliViewsTest, ArrayFieldToleratesAnyJson) {
  for (const json& reply : {json::array({1, 2}), json("text"), json(nullptr), json(3),
                            json::parse(R"({"tasks": {"t1": 1}})"), json::object()}) {
    EXPECT_EQ(arrayField(reply, "tasks"), json::array()) << reply.dump();
    EXPECT_EQ(tasksTable(reply).render(), tasksTable(json::object()).render()) << reply.dump();
  }
  EXPECT_EQ(arrayField(json::parse(R"({"tasks": [{"id": "t1"}]})"), "tasks").size(), 1u);
}

const json kState = json::parse(R"({
  "slaves": [
    {"id": "a1", "hostname": "h1", "http_address": "h1:5051", "state": "REGISTERED",
     "resources": {"cpus": 4, "mem": 8192, "disk": 1000},
     "used_resources": {"cpus": 0.5, "mem": 64, "disk": 0}},
    {"id": "a2", "hostname": "h2", "port": 5052, "state": "UNREACHABLE"}
  ],
  "frameworks": [
    {"id": "f1", "name": "load", "role": "*", "connected": true,
     "tasks": [{"id": "t1"}, {"id": "t2"}], "used_resources": {"cpus": 0.2, "mem": 64}}
  ]
})");

TEST(ViewsTest, AgentsShowUsedOverTotal) {
  EXPECT_EQ(agentsTable(kState).render(),
            "ID  HOSTNAME  STATE        CPUS   MEM      DISK\n"
            "a1  h1        REGISTERED   0.5/4  64/8192  0/1000\n"
            "a2  h2        UNREACHABLE  0/0    0/0      0/0\n");
}

TEST(ViewsTest, FrameworksCountTasks) {
  EXPECT_EQ(frameworksTable(kState).render(),
            "ID  NAME  ROLE  CONNECTED  TASKS  CPUS  MEM\n"
            "f1  load  *     true       2      0.2   64\n");
}

TEST(ViewsTest, TasksTable) {
  json tasks = json::parse(R"({"tasks": [{"id": "t1", "name": "n", "state": "TASK_RUNNING",
    "framework_id": "f1", "slave_id": "a1"}]})");
  EXPECT_EQ(tasksTable(tasks).render(),
            "ID  NAME  STATE         FRAMEWORK  AGENT\n"
            "t1  n     TASK_RUNNING  f1         a1\n");
  EXPECT_EQ(tasksTable(json::object()).render(), "ID  NAME  STATE  FRAMEWORK  AGENT\n");
}

TEST(ViewsTest, FindsAgentAddresses) {
  EXPECT_EQ(agentHttpAddress(kState, "a1").value(), "h1:5051");
  EXPECT_EQ(agentHttpAddress(kState, "a2").value(), "h2:5052");
  EXPECT_FALSE(agentHttpAddress(kState, "a3").isOk());
}

TEST(ViewsTest, FindsSandboxesOfActiveAndCompletedTasks) {
  json agent = json::parse(R"({
    "frameworks": [{"id": "f1", "executors": [{"id": "t1", "directory": "/w/f1/t1"}]}],
    "completed_frameworks": [{"id": "f0", "executors": [
      {"id": "exec", "directory": "/w/f0/t0", "tasks": [{"id": "t0"}]}]}]
  })");
  EXPECT_EQ(sandboxDirectory(agent, "f1", "t1").value(), "/w/f1/t1");
  EXPECT_EQ(sandboxDirectory(agent, "f0", "t0").value(), "/w/f0/t0");
  EXPECT_EQ(sandboxDirectory(agent, "", "t0").value(), "/w/f0/t0");
  EXPECT_EQ(sandboxDirectory(agent, "f2", "t1").status().code(), StatusCode::kNotFound);
}

TEST(ViewsTest, TerminalStateNames) {
  EXPECT_TRUE(isTerminalStateName("TASK_FINISHED"));
  EXPECT_TRUE(isTerminalStateName("TASK_LOST"));
  EXPECT_FALSE(isTerminalStateName("TASK_UNREACHABLE"));
  EXPECT_FALSE(isTerminalStateName("TASK_RUNNING"));
}

TEST(RunSchedulerTest, FitsUnreservedOrRoleResources) {
  Resources perTask = Resources::parse("cpus:0.1;mem:32").value();
  EXPECT_TRUE(fitTask(Resources::parse("cpus:1;mem:64").value(), perTask, "*").has_value());
  EXPECT_FALSE(fitTask(Resources::parse("cpus:1;mem:16").value(), perTask, "*").has_value());
  auto reserved = fitTask(Resources::parse("cpus(eng):1;mem(eng):64").value(), perTask, "eng");
  ASSERT_TRUE(reserved.has_value());
  EXPECT_EQ(reserved->roles(), std::vector<std::string>{"eng"});
}

}  // namespace
}  // namespace agora::cli
