// Agent drain end to end over real processes: DRAIN_AGENT makes the real agent SIGTERM the
// task (which traps it and leaves a marker), the agent becomes DRAINED and offers nothing
// until REACTIVATE_AGENT.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>

#include "common/http/http.hpp"
#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

class DrainTest : public ::testing::Test {
 protected:
  int postOperatorCall(const std::string& body) {
    auto address = *parseHostPort(cluster_.masterAddress());
    httplib::Client http(address.host, address.port);
    auto reply = http.Post("/api/v1", body, "application/json");
    return reply ? reply->status : -1;
  }

  std::string drainState() {
    nlohmann::json state = cluster_.state();
    if (state["slaves"].empty() || !state["slaves"][0].contains("drain_info")) {
      return "";
    }
    return state["slaves"][0]["drain_info"]["state"];
  }

  size_t offersFrom(TestFramework& framework, const std::string& agentId) {
    size_t count = 0;
    for (const auto& offer : framework.scheduler.offers()) {
      count += offer.agent_id().value() == agentId;
    }
    return count;
  }

  double allocationRuns() {
    auto snapshot = httpGetJson(*parseHostPort(cluster_.masterAddress()), "/metrics/snapshot");
    return snapshot.isOk() ? snapshot->value("allocator/allocation_runs", 0.0) : 0;
  }

  TestCluster cluster_;
};

TEST_F(DrainTest, DrainSigtermsTheTaskAndStopsOffersUntilReactivated) {
  cluster_.start(1);
  std::string marker = cluster_.dir() + "/got-sigterm";
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(shellTask(
      "drainee", "trap 'touch " + marker + "; exit 0' TERM; while true; do sleep 0.05; done"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("drainee", v1::TASK_RUNNING));
  std::string agentId = framework.scheduler.lastStatus("drainee")->agent_id().value();

  ASSERT_EQ(postOperatorCall(R"({"type": "DRAIN_AGENT", "drain_agent": {"agent_id": {"value": ")" +
                             agentId + R"("}, "max_grace_period": {"nanoseconds": 5000000000}}})"),
            200);
  ASSERT_TRUE(framework.scheduler.waitForState("drainee", v1::TASK_KILLED));
  EXPECT_TRUE(std::filesystem::exists(marker)) << "the task did not see SIGTERM";
  EXPECT_EQ(framework.scheduler.lastStatus("drainee")->reason(),
            v1::TaskStatus::REASON_AGENT_DRAINING);
  ASSERT_TRUE(
      cluster_.waitFor([&] { return drainState() == "DRAINED"; }, 20, "the agent is DRAINED"));

  // Two allocation passes go by without an offer from the drained agent.
  size_t before = offersFrom(framework, agentId);
  double runs = allocationRuns();
  ASSERT_TRUE(
      cluster_.waitFor([&] { return allocationRuns() >= runs + 2; }, 20, "two allocation passes"));
  EXPECT_EQ(offersFrom(framework, agentId), before);

  ASSERT_EQ(postOperatorCall(R"({"type": "REACTIVATE_AGENT", "reactivate_agent": {"agent_id":
      {"value": ")" + agentId +
                             R"("}}})"),
            200);
  EXPECT_TRUE(cluster_.waitFor([&] { return offersFrom(framework, agentId) > before; }, 20,
                               "an offer from the reactivated agent"));
  EXPECT_EQ(drainState(), "");
}

}  // namespace
}  // namespace agora::testing
