// Pods (LAUNCH_GROUP) of plain processes end to end: a real master and agent,
// tasks of a group launched together, sharing the pod's directory, each with
// its own status, and the default executor's semantics: one task failing or
// killed kills the rest; one finishing does not. A group with one bad task
// launches nothing. (Pods of containers sharing a network namespace:
// containers_test.cpp.)
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "agora/sdk/operations.hpp"
#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

class PodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.start(1);
    framework_ = std::make_unique<TestFramework>(cluster_.masterAddress());
    framework_->scheduler.setDeclineUnused(false);  // The test answers the offers itself.
    ASSERT_TRUE(framework_->start());
  }

  // Launches `tasks` as pod `executorId` on the next offer.
  void launchPod(const std::string& executorId, const std::vector<v1::TaskInfo>& tasks) {
    auto offer =
        nextOfferWith(*framework_, seen_, [](const Resources& r) { return r.scalar("cpus") >= 1; });
    ASSERT_TRUE(offer.has_value()) << "no offer";
    v1::Filters now;
    now.set_refuse_seconds(0);
    framework_->driver->acceptOffers({offer->id()}, {sdk::launchGroup(executorId, tasks)}, now);
  }

  // A task with the pod's shared directory "data" at `data` in its sandbox.
  static v1::TaskInfo sharing(const std::string& id, const std::string& command) {
    v1::TaskInfo task = shellTask(id, command);
    auto* volume = task.mutable_container()->add_volumes();
    volume->set_host_path("data");
    volume->set_container_path("data");
    volume->set_parent_sandbox(true);
    return task;
  }

  std::string message(const std::string& taskId) {
    auto status = framework_->scheduler.lastStatus(taskId);
    return status ? v1::TaskState_Name(status->state()) + ": " + status->message() : "no status";
  }

  TestCluster cluster_;
  std::unique_ptr<TestFramework> framework_;
  size_t seen_ = 0;
};

TEST_F(PodsTest, ATaskFailingKillsTheRestOfItsPodAndTheyShareADirectory) {
  launchPod("pod-a", {sharing("writer", "echo from-writer > data/msg; exec sleep 1000"),
                      sharing("reader",
                              "while [ ! -f data/msg ]; do sleep 0.05; done; "
                              "cat data/msg; exit 3")});
  ASSERT_TRUE(framework_->scheduler.waitForState("reader", v1::TASK_FAILED, 60))
      << message("reader");
  ASSERT_TRUE(framework_->scheduler.waitForState("writer", v1::TASK_KILLED, 60))
      << message("writer");
  EXPECT_EQ(framework_->scheduler.lastStatus("reader")->exit_code(), 3);
  EXPECT_NE(message("writer").find("task reader of its pod is TASK_FAILED"), std::string::npos)
      << message("writer");
  // Each had its own status history and both ran: the reader saw the writer's
  // file.
  EXPECT_TRUE(framework_->scheduler.waitForState("writer", v1::TASK_RUNNING, 1));
  nlohmann::json reader = cluster_.findTask("reader");
  ASSERT_FALSE(reader.is_null());
  EXPECT_EQ(reader["executor_id"], "pod-a");
  EXPECT_EQ(cluster_.findTask("writer")["executor_id"], "pod-a");
  std::string out = cluster_.sandboxFile(0, "reader", "stdout");
  EXPECT_EQ(out, "from-writer\n");
}

TEST_F(PodsTest, KillingOneTaskKillsItsPod) {
  launchPod("pod-k",
            {shellTask("first", "exec sleep 1000"), shellTask("second", "exec sleep 1000")});
  ASSERT_TRUE(framework_->scheduler.waitForState("first", v1::TASK_RUNNING, 60));
  ASSERT_TRUE(framework_->scheduler.waitForState("second", v1::TASK_RUNNING, 60));
  auto first = framework_->scheduler.lastStatus("first");
  framework_->driver->killTask(first->task_id(), first->agent_id());
  ASSERT_TRUE(framework_->scheduler.waitForState("first", v1::TASK_KILLED, 60));
  ASSERT_TRUE(framework_->scheduler.waitForState("second", v1::TASK_KILLED, 60))
      << message("second");
  EXPECT_NE(message("second").find("Killed with task first of its pod"), std::string::npos)
      << message("second");
}

TEST_F(PodsTest, ATaskFinishingLeavesTheOthersRunning) {
  launchPod("pod-f", {shellTask("quick", "exit 0"), shellTask("long", "exec sleep 1000")});
  ASSERT_TRUE(framework_->scheduler.waitForState("quick", v1::TASK_FINISHED, 60));
  ASSERT_TRUE(framework_->scheduler.waitForState("long", v1::TASK_RUNNING, 60));
  // The agent acted on `quick`'s end before acknowledging it; `long` is still
  // running now.
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto task = cluster_.findTask("quick");
        return !task.is_null() && task["state"] == "TASK_FINISHED";
      },
      30, "the master records quick as finished"));
  EXPECT_EQ(cluster_.findTask("long")["state"], "TASK_RUNNING");
  EXPECT_EQ(framework_->scheduler.lastStatus("long")->state(), v1::TASK_RUNNING);
}

TEST_F(PodsTest, AGroupWithOneBadTaskLaunchesNothing) {
  v1::TaskInfo huge = shellTask("huge", "true", "cpus:100;mem:16");
  launchPod("pod-bad", {shellTask("fine", "exec sleep 1000"), huge});
  ASSERT_TRUE(framework_->scheduler.waitForState("fine", v1::TASK_ERROR, 30)) << message("fine");
  ASSERT_TRUE(framework_->scheduler.waitForState("huge", v1::TASK_ERROR, 30));
  EXPECT_NE(message("fine").find("Invalid task group: task 'huge' uses"), std::string::npos)
      << message("fine");
  EXPECT_EQ(framework_->scheduler.statesOf("fine").size(), 1u);  // Never staged.
  EXPECT_TRUE(cluster_.findTask("fine").is_null());
  EXPECT_TRUE(cluster_.agentState(0)["frameworks"].empty()) << cluster_.agentState(0).dump();
}

TEST_F(PodsTest, APodNeedsAnExecutorIdAndOneNetwork) {
  v1::TaskInfo bridged = shellTask("bridged", "true");
  bridged.mutable_container()->set_network(v1::ContainerInfo::BRIDGE);
  launchPod("", {shellTask("nameless", "true")});
  ASSERT_TRUE(framework_->scheduler.waitForState("nameless", v1::TASK_ERROR, 30));
  EXPECT_NE(message("nameless").find("executor.executor_id"), std::string::npos)
      << message("nameless");
  launchPod("pod-net", {shellTask("host", "true"), bridged});
  ASSERT_TRUE(framework_->scheduler.waitForState("bridged", v1::TASK_ERROR, 30));
  EXPECT_NE(message("host").find("another network"), std::string::npos) << message("host");
}

TEST_F(PodsTest, AnExecutorIdOfALivePodCannotBeReused) {
  launchPod("pod-once", {shellTask("one", "exec sleep 1000")});
  ASSERT_TRUE(framework_->scheduler.waitForState("one", v1::TASK_RUNNING, 60));
  launchPod("pod-once", {shellTask("two", "true")});
  ASSERT_TRUE(framework_->scheduler.waitForState("two", v1::TASK_ERROR, 30));
  EXPECT_NE(message("two").find("names a live pod"), std::string::npos) << message("two");
  EXPECT_EQ(framework_->scheduler.lastStatus("one")->state(), v1::TASK_RUNNING);
}

// A pod survives an agent restart, and is still one pod after it: the agent recovers the
// group from its checkpoint, so a task failing afterwards still takes the other down.
TEST_F(PodsTest, APodIsStillAPodAfterAnAgentRestart) {
  launchPod("pod-r", {sharing("stays", "exec sleep 1000"),
                      sharing("fails", "while [ ! -f data/go ]; do sleep 0.05; done; exit 5")});
  ASSERT_TRUE(framework_->scheduler.waitForState("stays", v1::TASK_RUNNING, 60));
  ASSERT_TRUE(framework_->scheduler.waitForState("fails", v1::TASK_RUNNING, 60));
  cluster_.stopAgent(0, SIGKILL);
  cluster_.startAgent(0);
  // The shared directory of the pod, from the restarted agent: let "fails" fail now.
  std::string sandbox;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        nlohmann::json state = cluster_.agentState(0);
        if (state.is_null() || !state.value("registered", false)) return false;
        for (const auto& fw : state["frameworks"]) {
          for (const auto& ex : fw["executors"]) {
            if (ex["id"] == "fails") sandbox = ex["directory"].get<std::string>();
          }
        }
        return !sandbox.empty();
      },
      30, "the restarted agent re-registers with the pod's tasks"));
  std::ofstream(sandbox + "/data/go") << "go";
  ASSERT_TRUE(framework_->scheduler.waitForState("fails", v1::TASK_FAILED, 60)) << message("fails");
  ASSERT_TRUE(framework_->scheduler.waitForState("stays", v1::TASK_KILLED, 60)) << message("stays");
  EXPECT_NE(message("stays").find("task fails of its pod is TASK_FAILED"), std::string::npos)
      << message("stays");
}

}  // namespace
}  // namespace agora::testing
