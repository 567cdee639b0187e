// The fetcher end to end: a real master, agent and executor, a scheduler built on the SDK,
// and a real HTTP server on loopback (cpp-httplib in this process) serving a tarball made
// with `tar`. The executor fetches the task's `command.uris` into the sandbox between
// STARTING and RUNNING; the command reads what was fetched and extracted. A failed fetch
// fails the task with the URI and the HTTP status, and a bad URI is refused by the master.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/file_server.hpp"

namespace agora::testing {
namespace {

namespace fs = std::filesystem;

// A gzip-compressed tarball of `conf/settings.ini`, made by `tar` in a temporary directory.
std::string makeTarball() {
  char pattern[] = "/tmp/agftXXXXXX";
  std::string dir = mkdtemp(pattern);
  fs::create_directories(dir + "/content/conf");
  std::ofstream(dir + "/content/conf/settings.ini") << "greeting=fetched and extracted\n";
  std::string command = "tar -czf " + dir + "/app.tar.gz -C " + dir + "/content conf";
  EXPECT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(dir + "/app.tar.gz", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove_all(dir);
  return bytes;
}

class FetchTest : public ::testing::Test {
 protected:
  TestCluster cluster_;
};

// The command finds the extracted archive and the executable script in its sandbox; it
// runs only after the fetch (STARTING, RUNNING, FINISHED), and the archive is kept.
TEST_F(FetchTest, CommandReadsFetchedAndExtractedFiles) {
  FileServer server(
      {{"app.tar.gz", makeTarball()}, {"tool.sh", "#!/bin/sh\necho \"tool ran with $1\"\n"}});
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo task = shellTask("fetching", "cat conf/settings.ini && ./tool.sh arg");
  task.mutable_command()->add_uris()->set_value(server.fileUrl("app.tar.gz"));
  auto* tool = task.mutable_command()->add_uris();
  tool->set_value(server.fileUrl("tool.sh"));
  tool->set_executable(true);
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("fetching", v1::TASK_FINISHED))
      << framework.scheduler.lastStatus("fetching")->DebugString();
  EXPECT_EQ(framework.scheduler.statesOf("fetching"),
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}));
  std::string out = cluster_.sandboxFile(0, "fetching", "stdout");
  EXPECT_NE(out.find("greeting=fetched and extracted"), std::string::npos) << out;
  EXPECT_NE(out.find("tool ran with arg"), std::string::npos) << out;
  std::string sandbox = cluster_.sandboxDir(0, "fetching");
  EXPECT_TRUE(fs::is_regular_file(sandbox + "/app.tar.gz")) << sandbox;
}

// A 404 fails the task before its command runs: TASK_FAILED with the URI and the status.
TEST_F(FetchTest, FailedFetchFailsTheTaskWithTheUriAndCause) {
  FileServer server;
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo task = shellTask("unfetched", "touch ran");
  task.mutable_command()->add_uris()->set_value(server.fileUrl("missing.tgz"));
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("unfetched", v1::TASK_FAILED));
  EXPECT_EQ(framework.scheduler.statesOf("unfetched"),
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_FAILED}));
  auto last = framework.scheduler.lastStatus("unfetched");
  EXPECT_EQ(last->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_EQ(last->message(),
            "Failed to fetch '" + server.fileUrl("missing.tgz") + "': HTTP 404 Not Found");
  std::string sandbox = cluster_.sandboxDir(0, "unfetched");
  ASSERT_FALSE(sandbox.empty());
  EXPECT_FALSE(fs::exists(sandbox + "/ran"));
}

// A URI the fetcher cannot speak is refused at launch with the field named.
TEST_F(FetchTest, UnsupportedUriIsATaskError) {
  cluster_.start(1);
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo task = shellTask("ftp", "true");
  task.mutable_command()->add_uris()->set_value("ftp://example.org/app.tgz");
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("ftp", v1::TASK_ERROR));
  auto last = framework.scheduler.lastStatus("ftp");
  EXPECT_EQ(last->reason(), v1::TaskStatus::REASON_TASK_INVALID);
  EXPECT_NE(last->message().find("command.uris[0].value 'ftp://example.org/app.tgz'"),
            std::string::npos)
      << last->message();
}

}  // namespace
}  // namespace agora::testing
