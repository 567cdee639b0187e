// The `agora` CLI against a real cluster.
#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

TEST(CliTest, RunStreamsOutputAndExitsWithTheTaskStatus) {
  TestCluster cluster;
  cluster.start(1);
  std::string out;
  int status = cluster.runTool({binDir() + "/agora", "--master=" + cluster.masterAddress(), "run",
                                "--", "sh", "-c", "echo from-task; echo to-stderr >&2; exit 7"},
                               &out);
  EXPECT_EQ(status, 7) << out;
  EXPECT_NE(out.find("from-task"), std::string::npos) << out;
}

TEST(CliTest, ListsAgentsFrameworksAndTasks) {
  TestCluster cluster;
  cluster.start(2);
  std::string out;
  ASSERT_EQ(cluster.runTool({binDir() + "/agora", "--master=" + cluster.masterAddress(), "run",
                             "--name", "listed", "--", "true"},
                            &out),
            0)
      << out;
  ASSERT_EQ(cluster.runTool({binDir() + "/agora", "--master=" + cluster.masterAddress(), "agents"},
                            &out),
            0);
  nlohmann::json state = cluster.state();
  for (const auto& agent : state["slaves"]) {
    EXPECT_NE(out.find(agent["id"].get<std::string>()), std::string::npos) << out;
  }
  ASSERT_EQ(cluster.runTool(
                {binDir() + "/agora", "--master=" + cluster.masterAddress(), "tasks", "--json"}, &out),
            0);
  auto tasks = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(tasks.is_discarded()) << out;
  EXPECT_NE(out.find("TASK_FINISHED"), std::string::npos) << out;
}

TEST(CliTest, UnreachableMasterIsAClearError) {
  TestCluster cluster;  // Nothing started.
  std::string out;
  int status = cluster.runTool(
      {binDir() + "/agora", "--master=" + cluster.masterAddress(), "agents"}, &out);
  EXPECT_NE(status, 0);
}

}  // namespace
}  // namespace agora::testing
