// agora-executor end to end: the real binary, with this test playing the agent over a
// real ipc ROUTER socket. Covers the update sequence and exit codes, kills with a grace
// period, retries until acknowledged, re-subscription after agent silence, exec failures
// and the task environment. Waits are on conditions with deadlines, never fixed sleeps.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "common/transport/sockets.hpp"
#include "test_dir.hpp"

extern char** environ;

namespace agora::slave {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The agent side of one executor: a ROUTER, the task files, and the executor process.
class FakeAgent {
 public:
  explicit FakeAgent(const testing::TestDir& dir) : router_(context_), dir_(dir) {
    endpoint_ = "ipc://" + dir_ / "executors.sock";
    auto bound = router_.bind(endpoint_);
    CHECK(bound.isOk()) << bound.status().message();
    sandbox_ = dir_ / "sandboxes/f1/t1";
    std::filesystem::create_directories(sandbox_);
  }
  ~FakeAgent() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void spawn(const v1::TaskInfo& task, const std::string& extraFlag = "") {
    {
      std::ofstream out(sandbox_ + "/task.pb", std::ios::binary);
      ASSERT_TRUE(task.SerializeToOstream(&out));
    }
    std::vector<std::string> args = {
        AGORA_EXECUTOR_PATH,     "--agent_endpoint=" + endpoint_,
        "--framework_id=f1",     "--task_id=" + task.task_id().value(),
        "--sandbox=" + sandbox_, "--task_path=" + sandbox_ + "/task.pb",
        "--hostname=testhost",   "--logtostderr=1"};
    if (!extraFlag.empty()) {
      args.push_back(extraFlag);
    }
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  }

  // The next executor call within `timeout`, or nullopt.
  std::optional<RoutedEnvelope> receive(std::chrono::milliseconds timeout = 10s) {
    auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      zmq::pollitem_t item{router_.socket()->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 100ms);
      auto received = router_.receive();
      if (received && received->isOk()) {
        identity_ = (*received)->identity;
        return **received;
      }
    }
    return std::nullopt;
  }

  // Receives until an update in `state` arrives (acknowledging updates when `ack`),
  // recording every distinct update. Returns it, or nullopt at the deadline.
  std::optional<v1::TaskStatus> waitFor(v1::TaskState state, bool ack = true,
                                        std::chrono::milliseconds timeout = 15s) {
    auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      auto message = receive(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
      if (!message) {
        break;
      }
      const auto& call = message->envelope.executor_call();
      std::vector<v1::TaskStatus> statuses;
      if (call.has_update()) {
        statuses.push_back(call.update().status());
      } else if (call.has_subscribe()) {
        subscribes_.push_back(call.subscribe());
      } else if (call.has_heartbeat()) {
        ++heartbeats_;
      }
      for (const auto& status : statuses) {
        ++sends_[status.uuid()];
        if (sends_[status.uuid()] == 1) {
          updates_.push_back(status);
        }
        if (ack) {
          acknowledge(status);
        }
        if (status.state() == state) {
          return status;
        }
      }
    }
    return std::nullopt;
  }

  void acknowledge(const v1::TaskStatus& status) {
    v1::Envelope envelope;
    auto* acked = envelope.mutable_executor_event()->mutable_acknowledged();
    *acked->mutable_task_id() = status.task_id();
    acked->set_uuid(status.uuid());
    router_.send(identity_, envelope);
  }

  void sendKill(double gracePeriodSeconds) {
    v1::Envelope envelope;
    envelope.mutable_executor_event()
        ->mutable_kill()
        ->mutable_kill_policy()
        ->set_grace_period_seconds(gracePeriodSeconds);
    router_.send(identity_, envelope);
  }

  // The executor's exit status, waiting up to `timeout` (meanwhile acknowledging updates
  // when `ack`); nullopt if it still runs.
  std::optional<int> waitExit(std::chrono::milliseconds timeout = 10s, bool ack = true) {
    auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      // Keep answering the executor while it winds down.
      waitFor(v1::TASK_UNKNOWN, ack, 50ms);
    }
    return std::nullopt;
  }

  std::vector<v1::TaskState> states() const {
    std::vector<v1::TaskState> out;
    for (const auto& update : updates_) {
      out.push_back(update.state());
    }
    return out;
  }

  const std::string& sandbox() const { return sandbox_; }
  const std::string& identity() const { return identity_; }
  std::map<std::string, int>& sends() { return sends_; }
  const std::vector<internal::ExecutorCall::Subscribe>& subscribes() const { return subscribes_; }
  int heartbeats() const { return heartbeats_; }

 private:
  zmq::context_t context_{1};
  RouterSocket router_;
  const testing::TestDir& dir_;
  std::string endpoint_;
  std::string sandbox_;
  pid_t pid_ = -1;
  std::string identity_;
  std::vector<v1::TaskStatus> updates_;
  std::map<std::string, int> sends_;
  std::vector<internal::ExecutorCall::Subscribe> subscribes_;
  int heartbeats_ = 0;
};

// Waits until `path` contains `text` (a task signalling it is ready).
bool waitForFileText(const std::string& path, const std::string& text,
                     std::chrono::milliseconds timeout = 10s) {
  auto deadline = SteadyClock::now() + timeout;
  while (SteadyClock::now() < deadline) {
    if (readFile(path).find(text) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(10ms);  // Polling a file: nothing to wait on.
  }
  return false;
}

v1::TaskInfo shellTask(const std::string& command) {
  v1::TaskInfo task;
  task.set_name("test");
  task.mutable_task_id()->set_value("t1");
  task.mutable_command()->set_value(command);
  return task;
}

TEST(ExecutorTest, FailingCommandReportsExitCodeAndOutput) {
  testing::TestDir dir;
  FakeAgent agent(dir);
  agent.spawn(shellTask("echo hi; exit 3"));
  auto failed = agent.waitFor(v1::TASK_FAILED);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(agent.identity(), "f1/t1");
  EXPECT_EQ(agent.states(),
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FAILED}));
  ASSERT_TRUE(failed->has_exit_code());
  EXPECT_EQ(failed->exit_code(), 3);
  EXPECT_EQ(failed->message(), "Command exited with status 3");
  EXPECT_EQ(failed->reason(), v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  EXPECT_EQ(failed->source(), v1::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(failed->uuid().size(), 16u);
  EXPECT_GT(failed->timestamp(), 0);
  ASSERT_FALSE(agent.subscribes().empty());
  EXPECT_GT(agent.subscribes()[0].executor_pid(), 0);
  EXPECT_EQ(agent.waitExit(), 0);
  EXPECT_EQ(readFile(agent.sandbox() + "/stdout"), "hi\n");
}

TEST(ExecutorTest, SuccessfulCommandFinishes) {
  testing::TestDir dir;
  FakeAgent agent(dir);
  agent.spawn(shellTask("echo oops >&2; exit 0"));
  auto finished = agent.waitFor(v1::TASK_FINISHED);
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->exit_code(), 0);
  EXPECT_EQ(agent.waitExit(), 0);
  EXPECT_EQ(readFile(agent.sandbox() + "/stderr"), "oops\n");
}

TEST(ExecutorTest, KillSendsTermThenReportsKilled) {
  testing::TestDir dir;
  FakeAgent agent(dir);
  agent.spawn(shellTask("trap 'exit 0' TERM; echo ready; sleep 100 & wait"));
  ASSERT_TRUE(agent.waitFor(v1::TASK_RUNNING).has_value());
  ASSERT_TRUE(waitForFileText(agent.sandbox() + "/stdout", "ready"));
  auto start = SteadyClock::now();
  agent.sendKill(30);
  auto killed = agent.waitFor(v1::TASK_KILLED);
  ASSERT_TRUE(killed.has_value());
  // The trap ends the task long before the grace period.
  EXPECT_LT(SteadyClock::now() - start, 10s);
  EXPECT_EQ(agent.states(), (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING,
                                                        v1::TASK_KILLING, v1::TASK_KILLED}));
  EXPECT_EQ(agent.waitExit(), 0);
}

TEST(ExecutorTest, KillEscalatesToSigkillAfterTheGracePeriod) {
  testing::TestDir dir;
  FakeAgent agent(dir);
  agent.spawn(shellTask("trap '' TERM; echo ready; sleep 100"));
  ASSERT_TRUE(agent.waitFor(v1::TASK_RUNNING).has_value());
  ASSERT_TRUE(waitForFileText(agent.sandbox() + "/stdout", "ready"));
  agent.sendKill(0.5);
  auto killed = agent.waitFor(v1::TASK_KILLED);
  ASSERT_TRUE(killed.has_value());
  EXPECT_EQ(killed->exit_code(), 128 + SIGKILL);
  EXPECT_EQ(agent.waitExit(), 0);
}

TEST(ExecutorTest, UpdatesAreResentUntilAcknowledged) {
  testing::TestDir dir;
  FakeAgent agent(dir);
  agent.spawn(shellTask("exit 0"));
  // Acknowledge nothing: the terminal update keeps coming back, and after 2 s of silence
  // the executor subscribes again listing every unacknowledged update.
  auto deadline = SteadyClock::now() + 15s;
  std::optional<v1::TaskStatus> finished;
  while (SteadyClock::now() < deadline) {
    auto update = agent.waitFor(v1::TASK_FINISHED, /*ack=*/false, 5s);
    if (update) {
      finished = update;
      if (agent.sends()[update->uuid()] >= 2 && agent.subscribes().size() >= 2) {
        break;
      }
    }
  }
  ASSERT_TRUE(finished.has_value());
  EXPECT_GE(agent.sends()[finished->uuid()], 2);
  ASSERT_GE(agent.subscribes().size(), 2u);
  EXPECT_EQ(agent.subscribes().back().unacknowledged_updates_size(), 3);
  EXPECT_FALSE(agent.waitExit(200ms, /*ack=*/false).has_value())
      << "exited before the acknowledgement";
  // waitExit acknowledges everything: now it exits.
  EXPECT_EQ(agent.waitExit(), 0);
}

// An HTTP server on loopback whose one response never ends until the server is destroyed.
class HangingServer {
 public:
  HangingServer() {
    server_.Get("/hang.tgz", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/octet-stream",
                                       [this](size_t, httplib::DataSink& sink) {
                                         std::unique_lock<std::mutex> lock(mutex_);
                                         requested_ = true;
                                         changed_.notify_all();
                                         changed_.wait(lock, [this] { return released_; });
                                         sink.done();
                                         return true;
                                       });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) {
      std::this_thread::sleep_for(1ms);  // No ready signal to wait on.
    }
  }
  ~HangingServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      released_ = true;
      changed_.notify_all();
    }
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hang.tgz"; }
  // Whether a client started the download within `timeout`.
  bool waitForRequest(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return requested_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool requested_ = false;
  bool released_ = false;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// The command's URIs are fetched after STARTING; a kill while a download hangs aborts it
// and the task is KILLED during launch, its command never run.
TEST(ExecutorTest, KillDuringAHangingDownloadAbortsTheFetch) {
  HangingServer server;
  testing::TestDir dir;
  FakeAgent agent(dir);
  v1::TaskInfo task = shellTask("touch ran");
  task.mutable_command()->add_uris()->set_value(server.url());
  agent.spawn(task);
  ASSERT_TRUE(agent.waitFor(v1::TASK_STARTING).has_value());
  ASSERT_TRUE(server.waitForRequest(10s));
  auto start = SteadyClock::now();
  agent.sendKill(30);
  auto killed = agent.waitFor(v1::TASK_KILLED);
  ASSERT_TRUE(killed.has_value());
  EXPECT_LT(SteadyClock::now() - start, 10s);  // Neither the grace period nor a stall timeout.
  EXPECT_EQ(killed->reason(), v1::TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH);
  EXPECT_EQ(agent.states(),
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_KILLING, v1::TASK_KILLED}));
  EXPECT_EQ(agent.waitExit(), 0);
  EXPECT_FALSE(std::filesystem::exists(agent.sandbox() + "/ran"));
  EXPECT_FALSE(std::filesystem::exists(agent.sandbox() + "/hang.tgz"));
}

TEST(ExecutorTest, MissingProgramFailsWithCommandNotFound) {
  testing::TestDir dir;
  FakeAgent agent(dir);
  v1::TaskInfo task = shellTask("/nonexistent/program");
  task.mutable_command()->set_shell(false);
  task.mutable_command()->add_arguments("program");
  agent.spawn(task);
  auto failed = agent.waitFor(v1::TASK_FAILED);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->reason(), v1::TaskStatus::REASON_COMMAND_NOT_FOUND);
  EXPECT_NE(failed->message().find("No such file or directory"), std::string::npos)
      << failed->message();
  EXPECT_EQ(agent.waitExit(), 0);
}

TEST(ExecutorTest, NonShellCommandGetsArgvAndEnvironment) {
  testing::TestDir dir;
  FakeAgent agent(dir);
  v1::TaskInfo task = shellTask("sh");
  task.mutable_command()->set_shell(false);
  for (const char* arg :
       {"sh", "-c", "echo $1 $PORT0 $PORTS $AGORA_TASK_ID $HOST $FOO; pwd", "ignored", "arg1"}) {
    task.mutable_command()->add_arguments(arg);
  }
  auto* var = task.mutable_command()->mutable_environment()->add_variables();
  var->set_name("FOO");
  var->set_value("bar");
  auto* ports = task.add_resources();
  ports->set_name("ports");
  ports->set_type(v1::Value::RANGES);
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(31001);
  agent.spawn(task);
  ASSERT_TRUE(agent.waitFor(v1::TASK_FINISHED).has_value());
  EXPECT_EQ(agent.waitExit(), 0);
  EXPECT_EQ(readFile(agent.sandbox() + "/stdout"),
            "arg1 31000 31000,31001 t1 testhost bar\n" +
                std::filesystem::canonical(agent.sandbox()).string() + "\n");
}

TEST(ExecutorTest, GivesUpWithoutAnAgent) {
  testing::TestDir dir;
  FakeAgent agent(dir);
  agent.spawn(shellTask("sleep 100"), "--agent_timeout=1secs");
  // Never answer: after the timeout the executor kills the task and exits 1.
  auto deadline = SteadyClock::now() + 15s;
  std::optional<int> code;
  while (!code && SteadyClock::now() < deadline) {
    agent.waitFor(v1::TASK_UNKNOWN, /*ack=*/false, 100ms);
    code = agent.waitExit(1ms, /*ack=*/false);
  }
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
}

}  // namespace
}  // namespace agora::slave
