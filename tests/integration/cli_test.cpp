// The `agora` CLI against a real cluster.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

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

// `--fetch` puts a file into the sandbox before the command runs (here a path on the
// agent's host, copied).
TEST(CliTest, RunFetchesIntoTheSandbox) {
  TestCluster cluster;
  cluster.start(1);
  std::string source = cluster.dir() + "/fetched-input.txt";
  std::ofstream(source) << "input from the fetcher\n";
  std::string out;
  int status = cluster.runTool({binDir() + "/agora", "--master=" + cluster.masterAddress(), "run",
                                "--fetch", source, "--", "cat", "fetched-input.txt"},
                               &out);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("input from the fetcher"), std::string::npos) << out;
}

TEST(CliTest, RunKeepsStreamingAcrossAnAgentRestart) {
  TestCluster cluster;
  cluster.start(1);
  std::string gate = cluster.dir() + "/cli.go";
  std::string outPath = cluster.dir() + "/cli-run.out";
  auto cli = Process::spawn(
      {binDir() + "/agora", "--master=" + cluster.masterAddress(), "run", "--", "sh", "-c",
       "echo before; while [ ! -f " + gate + " ]; do sleep 0.05; done; echo after; exit 5"},
      outPath, {}, outPath + ".err");
  auto outputHas = [&](const std::string& text) {
    std::ifstream in(outPath);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    return all.find(text) != std::string::npos;
  };
  ASSERT_TRUE(cluster.waitFor([&] { return outputHas("before"); }, 30, "the CLI prints 'before'"));
  cluster.stopAgent(0, SIGKILL);
  cluster.startAgent(0);
  ASSERT_TRUE(cluster.waitForAgents(1));
  std::ofstream(gate) << "go";
  auto status = cli->waitFor(60);
  ASSERT_TRUE(status.has_value()) << "the CLI did not exit";
  EXPECT_EQ(*status, 5);
  EXPECT_TRUE(outputHas("after"));
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
