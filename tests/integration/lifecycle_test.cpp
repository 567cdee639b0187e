// End to end over real processes: master, agents, executors, and frameworks built on the
// SDK (in the test) or shipped as binaries (load framework, CLI).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

class LifecycleTest : public ::testing::Test {
 protected:
  TestCluster cluster_;
};

// A task goes STARTING -> RUNNING -> FINISHED, each update delivered exactly once, and the
// master shows it completed with its resources returned.
TEST_F(LifecycleTest, TaskRunsToCompletionWithEachUpdateOnce) {
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(shellTask("t1", "echo hello; exit 0"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("t1", v1::TASK_FINISHED));
  EXPECT_EQ(framework.scheduler.statesOf("t1"),
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}));
  auto last = framework.scheduler.lastStatus("t1");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->exit_code(), 0);
  EXPECT_TRUE(cluster_.waitFor([&] { return cluster_.findTask("t1")["state"] == "TASK_FINISHED"; },
                               10, "the master shows t1 finished"));
  EXPECT_TRUE(cluster_.waitFor(
      [&] { return cluster_.state()["slaves"][0]["used_resources"]["cpus"] == 0.0; }, 10,
      "t1's resources are back"));
}

TEST_F(LifecycleTest, FailingCommandReportsExitCode) {
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(shellTask("bad", "exit 3"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("bad", v1::TASK_FAILED));
  auto last = framework.scheduler.lastStatus("bad");
  EXPECT_EQ(last->exit_code(), 3);
  EXPECT_NE(last->message().find("3"), std::string::npos) << last->message();
}

TEST_F(LifecycleTest, KillHonoursTheGracePeriod) {
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(shellTask(
      "victim", "trap 'echo got TERM; exit 0' TERM; while true; do sleep 0.05; done"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("victim", v1::TASK_RUNNING));
  auto agentId = framework.scheduler.lastStatus("victim")->agent_id();
  framework.driver->killTask(v1::TaskID(framework.scheduler.lastStatus("victim")->task_id()),
                             agentId, 5.0);
  ASSERT_TRUE(framework.scheduler.waitForState("victim", v1::TASK_KILLED));
  auto states = framework.scheduler.statesOf("victim");
  EXPECT_NE(std::find(states.begin(), states.end(), v1::TASK_KILLING), states.end());
  // The task saw SIGTERM and exited by itself within the grace period.
  auto agent = cluster_.agentState(0);
  std::string sandbox;
  for (const char* list : {"frameworks", "completed_frameworks"}) {
    for (const auto& fw : agent[list]) {
      for (const char* executors : {"executors", "completed_executors"}) {
        if (!fw.contains(executors)) continue;
        for (const auto& ex : fw[executors]) {
          if (ex["id"] == "victim") sandbox = ex["directory"];
        }
      }
    }
  }
  ASSERT_FALSE(sandbox.empty()) << agent.dump();
  std::ifstream out(sandbox + "/stdout");
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("got TERM"), std::string::npos);
}

TEST_F(LifecycleTest, DeclineFilterIsHonouredUntilRevive) {
  cluster_.start(1);
  TestFramework first(cluster_.masterAddress(), {.name = "first"});
  first.scheduler.setDeclineUnused(true, 3600);
  ASSERT_TRUE(first.start());
  ASSERT_TRUE(first.scheduler.waitUntil([&] { return first.scheduler.offersLocked().size() == 1; }));
  // Declined for an hour: a second framework gets the agent instead, the first gets nothing.
  TestFramework second(cluster_.masterAddress(), {.name = "second"});
  second.scheduler.setDeclineUnused(false);
  ASSERT_TRUE(second.start());
  ASSERT_TRUE(second.scheduler.waitUntil([&] { return !second.scheduler.offersLocked().empty(); }));
  second.driver->stop(sdk::FailoverMode::kTeardown);
  ASSERT_TRUE(second.driver->join().isOk());
  second.driver.reset();
  EXPECT_TRUE(cluster_.waitFor(
      [&] {
        nlohmann::json state = cluster_.state();
        for (const auto& fw : state["frameworks"]) {
          if (fw["name"] == "first") {
            return fw["pending_reason"].get<std::string>().find("DECLINE") != std::string::npos;
          }
        }
        return false;
      },
      10, "the master says the first framework is filtered"));
  EXPECT_EQ(first.scheduler.offers().size(), 1u);
  first.scheduler.setDeclineUnused(false);
  first.driver->reviveOffers();
  EXPECT_TRUE(first.scheduler.waitUntil([&] { return first.scheduler.offersLocked().size() == 2; }));
}

TEST_F(LifecycleTest, OfferIsRescindedWhenItsAgentIsLost) {
  cluster_.start(2);
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.setDeclineUnused(false);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitUntil(
      [&] { return framework.scheduler.offersLocked().size() == 2; }));
  std::string agent0 = cluster_.agentState(0)["id"];
  cluster_.stopAgent(0, SIGKILL);
  ASSERT_TRUE(framework.scheduler.waitUntil(
      [&] { return framework.scheduler.lostAgentsLocked().count(agent0) > 0; }));
  for (const v1::Offer& offer : framework.scheduler.offers()) {
    bool rescinded = framework.scheduler.rescinded().count(offer.id().value()) > 0;
    EXPECT_EQ(rescinded, offer.agent_id().value() == agent0) << offer.agent_id().value();
  }
}

TEST_F(LifecycleTest, ReconciliationAnswersKnownAndUnknownTasks) {
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(shellTask("long", "sleep 600"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("long", v1::TASK_RUNNING));
  v1::TaskStatus known;
  known.mutable_task_id()->set_value("long");
  v1::TaskStatus unknown;
  unknown.mutable_task_id()->set_value("ghost");
  framework.driver->reconcileTasks({known, unknown});
  ASSERT_TRUE(framework.scheduler.waitForState("ghost", v1::TASK_LOST));
  ASSERT_TRUE(framework.scheduler.waitUntil(
      [&] { return framework.scheduler.statesOfLocked("long").size() >= 3; }));
  EXPECT_EQ(framework.scheduler.statesOf("long").back(), v1::TASK_RUNNING);
  // Implicit reconciliation reports every active task.
  framework.driver->reconcileTasks({});
  EXPECT_TRUE(framework.scheduler.waitUntil(
      [&] { return framework.scheduler.statesOfLocked("long").size() >= 4; }));
}

TEST_F(LifecycleTest, LoadFrameworkFinishesAllTasks) {
  cluster_.start(2);
  std::string out;
  int status = cluster_.runTool({binDir() + "/agora-load-framework",
                                 "--master=" + cluster_.masterAddress(), "--num_tasks=20",
                                 "--command=echo hi", "--task_resources=cpus:0.1;mem:16"},
                                &out);
  EXPECT_EQ(status, 0) << out;
  int finished = 0;
  nlohmann::json tasks = cluster_.tasks();
  for (const auto& task : tasks["tasks"]) {
    finished += task["state"] == "TASK_FINISHED";
  }
  EXPECT_EQ(finished, 20) << tasks.dump();
}

}  // namespace
}  // namespace agora::testing
