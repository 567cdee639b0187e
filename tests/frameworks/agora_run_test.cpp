// `agora run` as a user runs it: the real binary against the fake master and a fake agent
// HTTP API that serves a real sandbox directory. It must launch the task with the quoted
// command, stream the sandbox's stdout, exit with the task's exit code, and tear down.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "common/resources/resources.hpp"
#include "tests/frameworks/fake_master.hpp"

namespace agora::cli {
namespace {

using testing::FakeMaster;
using v1::scheduler::Call;
using v1::scheduler::Event;

// Serves /state (one sandbox) and /files/read from the local disk.
class FakeAgent {
 public:
  explicit FakeAgent(std::string sandbox) : sandbox_(std::move(sandbox)) {
    http_.Get("/state", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      nlohmann::json executor = {{"id", taskId_}, {"directory", sandbox_}};
      nlohmann::json state = {{"frameworks", {{{"id", "fw-1"}, {"executors", {executor}}}}}};
      res.set_content(state.dump(), "application/json");
    });
    http_.Get("/files/read", [](const httplib::Request& req, httplib::Response& res) {
      std::ifstream in(req.get_param_value("path"), std::ios::binary);
      if (!in) {
        res.status = 404;
        res.set_content("{\"message\": \"no such file\"}", "application/json");
        return;
      }
      in.seekg(std::stoll(req.get_param_value("offset")));
      std::string data(std::stoul(req.get_param_value("length")), '\0');
      in.read(data.data(), static_cast<std::streamsize>(data.size()));
      data.resize(static_cast<size_t>(in.gcount()));
      res.set_content(nlohmann::json{{"data", data}, {"offset", 0}}.dump(), "application/json");
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
  }
  ~FakeAgent() {
    http_.stop();
    thread_.join();
  }
  void setTask(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    taskId_ = id;
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string sandbox_;
  std::mutex mutex_;
  std::string taskId_;
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
};

struct ProcessResult {
  int exitCode = -1;
  std::string stdoutText;
};

ProcessResult runCommand(const std::string& command) {
  ProcessResult result;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.stdoutText.append(buffer, n);
  }
  int status = pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

Event statusEvent(const std::string& task, v1::TaskState state, const std::string& uuid) {
  Event event;
  auto* status = event.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value(task);
  status->mutable_agent_id()->set_value("agent-1");
  status->set_state(state);
  status->set_uuid(uuid);
  if (state == v1::TASK_FAILED) {
    status->set_exit_code(3);
  }
  return event;
}

TEST(AgoraRunTest, StreamsOutputAndExitsWithTheTaskExitCode) {
  std::string sandbox = ::testing::TempDir() + "agora-run-test-" + std::to_string(getpid());
  std::filesystem::create_directories(sandbox);
  FakeMaster master;
  FakeAgent agent(sandbox);

  auto process = std::async(std::launch::async, [&] {
    return runCommand(std::string(AGORA_CLI_PATH) + " --master=" + master.httpAddress() +
                      " run --cpus 0.5 --env GREETING=hi -- echo 'a b' 2>/dev/null");
  });

  auto subscribe = master.waitForCall(Call::kSubscribe);
  ASSERT_TRUE(subscribe.has_value());
  EXPECT_EQ(subscribe->call.subscribe().framework_info().name(), "agora-run");
  Event subscribed;
  subscribed.mutable_subscribed()->mutable_framework_id()->set_value("fw-1");
  subscribed.mutable_subscribed()->set_heartbeat_interval_seconds(1);
  master.send(subscribe->identity, subscribed);

  Event offers;
  auto* offer = offers.mutable_offers()->add_offers();
  offer->mutable_id()->set_value("offer-1");
  offer->mutable_agent_id()->set_value("agent-1");
  offer->set_hostname("host-1");
  offer->set_agent_http_address(agent.address());
  Resources::parse("cpus:1;mem:64").value().toProto(offer->mutable_resources());
  master.send(subscribe->identity, offers);

  auto accept = master.waitForCall(Call::kAccept);
  ASSERT_TRUE(accept.has_value());
  const v1::TaskInfo& task = accept->call.accept().operations(0).launch().task_infos(0);
  EXPECT_EQ(task.command().value(), "echo 'a b'");
  EXPECT_EQ(task.command().environment().variables(0).name(), "GREETING");
  EXPECT_EQ(Resources::fromProto(task.resources()).value().scalar("cpus"), 0.5);
  std::string taskId = task.task_id().value();
  agent.setTask(taskId);

  std::ofstream(sandbox + "/stdout") << "first line\n";
  std::ofstream(sandbox + "/stderr") << "";
  master.send(subscribe->identity, statusEvent(taskId, v1::TASK_RUNNING, "u1"));
  ASSERT_TRUE(master.waitForCall(Call::kAcknowledge).has_value());
  std::ofstream(sandbox + "/stdout", std::ios::app) << "last line\n";
  master.send(subscribe->identity, statusEvent(taskId, v1::TASK_FAILED, "u2"));

  ASSERT_TRUE(master.waitForCall(Call::kTeardown).has_value());
  ProcessResult result = process.get();
  EXPECT_EQ(result.exitCode, 3);
  EXPECT_EQ(result.stdoutText, "first line\nlast line\n");
  std::filesystem::remove_all(sandbox);
}

TEST(AgoraRunTest, UnreachableMasterIsNamed) {
  ProcessResult result =
      runCommand(std::string(AGORA_CLI_PATH) + " --master=127.0.0.1:1 run -- true 2>&1");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.stdoutText,
            "agora: cannot reach the master at 127.0.0.1:1: Connection refused\n");
}

}  // namespace
}  // namespace agora::cli
