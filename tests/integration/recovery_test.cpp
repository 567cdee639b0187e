// Failures over real processes: agent kill -9 and restart, master kill -9 and restart, a
// partitioned agent, and framework failover inside and past its failover_timeout.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

class RecoveryTest : public ::testing::Test {
 protected:
  // A task that runs until the test creates `<dir>/<name>.go`, then exits with `code`.
  v1::TaskInfo gatedTask(const std::string& name, int code) {
    std::string gate = cluster_.dir() + "/" + name + ".go";
    return shellTask(name, "echo started; while [ ! -f " + gate +
                               " ]; do sleep 0.05; done; echo done; exit " +
                               std::to_string(code));
  }
  void open(const std::string& name) { std::ofstream(cluster_.dir() + "/" + name + ".go") << "go"; }

  static int count(const std::vector<v1::TaskState>& states, v1::TaskState state) {
    return static_cast<int>(std::count(states.begin(), states.end(), state));
  }

  TestCluster cluster_;
};

TEST_F(RecoveryTest, TaskSurvivesAgentKill9AndUpdatesArriveOnce) {
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress(), {.failoverTimeout = 60});
  framework.scheduler.queueTask(gatedTask("survivor", 0));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("survivor", v1::TASK_RUNNING));

  cluster_.stopAgent(0, SIGKILL);
  cluster_.startAgent(0);
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto agent = cluster_.agentState(0);
        return !agent.is_null() && cluster_.state()["activated_slaves"] == 1;
      },
      30, "the restarted agent is registered"));
  EXPECT_EQ(cluster_.findTask("survivor")["state"], "TASK_RUNNING");
  open("survivor");
  ASSERT_TRUE(framework.scheduler.waitForState("survivor", v1::TASK_FINISHED));
  auto states = framework.scheduler.statesOf("survivor");
  EXPECT_EQ(count(states, v1::TASK_STARTING), 1);
  EXPECT_EQ(count(states, v1::TASK_RUNNING), 1);
  EXPECT_EQ(count(states, v1::TASK_FINISHED), 1);
}

TEST_F(RecoveryTest, TaskThatEndsWhileTheAgentIsDownIsReportedWithItsExitStatus) {
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress(), {.failoverTimeout = 60});
  framework.scheduler.queueTask(gatedTask("orphan", 4));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("orphan", v1::TASK_RUNNING));
  cluster_.stopAgent(0, SIGKILL);
  open("orphan");
  // Give the task time to exit with no agent around: wait for its "done" line.
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(cluster_.dir())) {
          if (entry.path().filename() == "stdout" &&
              entry.path().string().find("orphan") != std::string::npos) {
            std::ifstream in(entry.path());
            std::string text((std::istreambuf_iterator<char>(in)), {});
            return text.find("done") != std::string::npos;
          }
        }
        return false;
      },
      30, "the task exits while the agent is down"));
  cluster_.startAgent(0);
  ASSERT_TRUE(framework.scheduler.waitForState("orphan", v1::TASK_FAILED, 60));
  EXPECT_EQ(framework.scheduler.lastStatus("orphan")->exit_code(), 4);
}

TEST_F(RecoveryTest, MasterKill9LosesNothing) {
  cluster_.start(2);
  TestFramework framework(cluster_.masterAddress(), {.failoverTimeout = 60});
  framework.scheduler.queueTask(gatedTask("durable", 0));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("durable", v1::TASK_RUNNING));
  std::string frameworkId = framework.id();

  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster();
  ASSERT_TRUE(cluster_.waitForAgents(2, 60));
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto task = cluster_.findTask("durable");
        return !task.is_null() && task["state"] == "TASK_RUNNING";
      },
      30, "the re-registered agent reports the task"));
  // The framework re-subscribed with the same id.
  ASSERT_TRUE(framework.scheduler.waitUntil(
      [&] { return framework.scheduler.subscriptionsLocked() >= 2; }, 30));
  EXPECT_EQ(framework.id(), frameworkId);
  open("durable");
  ASSERT_TRUE(framework.scheduler.waitForState("durable", v1::TASK_FINISHED, 30));
}

TEST_F(RecoveryTest, PartitionedAgentIsUnreachableThenReconciled) {
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress(), {.partitionAware = true});
  framework.scheduler.queueTask(gatedTask("island", 0));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("island", v1::TASK_RUNNING));
  cluster_.agentProcess(0)->signal(SIGSTOP);
  ASSERT_TRUE(framework.scheduler.waitForState("island", v1::TASK_UNREACHABLE));
  cluster_.agentProcess(0)->signal(SIGCONT);
  ASSERT_TRUE(framework.scheduler.waitUntil(
      [&] { return framework.scheduler.statesOfLocked("island").back() == v1::TASK_RUNNING; },
      30));
  EXPECT_TRUE(cluster_.waitForAgents(1));
  open("island");
  ASSERT_TRUE(framework.scheduler.waitForState("island", v1::TASK_FINISHED));
}

TEST_F(RecoveryTest, FrameworkFailoverWithinTimeoutKeepsTasks) {
  cluster_.start(1);
  std::string frameworkId;
  {
    TestFramework first(cluster_.masterAddress(), {.name = "ha", .failoverTimeout = 60});
    first.scheduler.queueTask(gatedTask("kept", 0));
    ASSERT_TRUE(first.start());
    ASSERT_TRUE(first.scheduler.waitForState("kept", v1::TASK_RUNNING));
    frameworkId = first.id();
    first.driver->stop(sdk::FailoverMode::kFailover);
    ASSERT_TRUE(first.driver->join().isOk());
    first.driver.reset();
  }
  ASSERT_TRUE(cluster_.waitFor(
      [&] { return cluster_.state()["frameworks"][0]["connected"] == false; }, 10,
      "the master sees the framework disconnected"));
  TestFramework second(cluster_.masterAddress(),
                       {.name = "ha", .failoverTimeout = 60, .id = frameworkId});
  ASSERT_TRUE(second.start());
  EXPECT_EQ(second.id(), frameworkId);
  open("kept");
  ASSERT_TRUE(second.scheduler.waitForState("kept", v1::TASK_FINISHED));
}

TEST_F(RecoveryTest, FrameworkPastFailoverTimeoutIsRemovedAndItsTasksKilled) {
  cluster_.start(1);
  std::string frameworkId;
  {
    TestFramework first(cluster_.masterAddress(), {.name = "brief", .failoverTimeout = 1});
    first.scheduler.queueTask(shellTask("doomed", "sleep 600"));
    ASSERT_TRUE(first.start());
    ASSERT_TRUE(first.scheduler.waitForState("doomed", v1::TASK_RUNNING));
    frameworkId = first.id();
    first.driver->stop(sdk::FailoverMode::kFailover);
    ASSERT_TRUE(first.driver->join().isOk());
    first.driver.reset();
  }
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto s = cluster_.state();
        return s["frameworks"].empty() && s["completed_frameworks"].size() == 1;
      },
      20, "the framework is removed after its failover timeout"));
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto agent = cluster_.agentState(0);
        for (const auto& fw : agent["frameworks"]) {
          for (const auto& ex : fw["executors"]) {
            for (const auto& task : ex["tasks"]) {
              if (task["state"] == "TASK_RUNNING") return false;
            }
          }
        }
        return true;
      },
      20, "the agent killed the framework's task"));
  // Re-subscribing with the removed id is refused.
  TestFramework late(cluster_.masterAddress(), {.name = "brief", .id = frameworkId});
  ASSERT_TRUE(late.driver->start().isOk());
  EXPECT_TRUE(late.scheduler.waitUntil([&] { return !late.scheduler.errorsLocked().empty(); }));
}

}  // namespace
}  // namespace agora::testing
