// agora-agent end to end: the real agent and executor binaries, with this test playing
// the master (HTTP discovery plus a ZeroMQ ROUTER on loopback). Covers registration, a
// task's updates forwarded in order with retries until acknowledged, the HTTP API, and
// recovery after `kill -9` of the agent (reregistration with the tasks, an update
// produced while the agent was down, executors that never come back).
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include "common/http/http.hpp"
#include "common/resources/resources.hpp"
#include "common/transport/sockets.hpp"
#include "slave/executor_launcher.hpp"
#include "test_dir.hpp"

extern char** environ;

namespace agora::slave {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// The master side: `/master/endpoint` over HTTP and a ROUTER for the agent's calls.
class FakeMaster {
 public:
  FakeMaster() : router_(context_) {
    auto bound = router_.bind("tcp://127.0.0.1:0");
    CHECK(bound.isOk());
    endpoint_ = *bound;
    http_.Get("/master/endpoint", [this](const httplib::Request&, httplib::Response& res) {
      replyJson(res, 200, nlohmann::json{{"zmq", endpoint_}});
    });
    httpPort_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
  }
  ~FakeMaster() {
    http_.stop();
    thread_.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(httpPort_); }

  // When false, heartbeats go unanswered (a master that vanished).
  bool answerHeartbeats = true;

  // Receives agent calls until `match` accepts one (answering heartbeats with pings and
  // acknowledging status updates when `ackUpdates`). Returns it, or nullopt at the deadline.
  std::optional<internal::AgentCall> waitFor(
      const std::function<bool(const internal::AgentCall&)>& match, bool ackUpdates = true,
      std::chrono::milliseconds timeout = 20s) {
    auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      zmq::pollitem_t item{router_.socket()->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 100ms);
      auto received = router_.receive();
      if (!received || !received->isOk() || !(*received)->envelope.has_agent_call()) {
        continue;
      }
      identity_ = (*received)->identity;
      const auto& call = (*received)->envelope.agent_call();
      if (call.has_heartbeat() && answerHeartbeats) {
        internal::AgentEvent ping;
        ping.mutable_ping();
        send(ping);
      }
      if (call.has_status_update()) {
        updates.push_back(call.status_update().status());
        if (ackUpdates) {
          acknowledge(call.status_update());
        }
      }
      if (match(call)) {
        return call;
      }
    }
    return std::nullopt;
  }

  // The first update of `taskId` in `state`, already received or still to come.
  std::optional<v1::TaskStatus> waitForUpdate(const std::string& taskId, v1::TaskState state) {
    for (const auto& update : updates) {
      if (update.task_id().value() == taskId && update.state() == state) {
        return update;
      }
    }
    auto call = waitFor([&](const internal::AgentCall& c) {
      return c.has_status_update() && c.status_update().status().task_id().value() == taskId &&
             c.status_update().status().state() == state;
    });
    if (!call) {
      return std::nullopt;
    }
    return call->status_update().status();
  }

  void acknowledge(const internal::AgentCall::StatusUpdate& update) {
    internal::AgentEvent event;
    auto* ack = event.mutable_status_update_ack();
    *ack->mutable_framework_id() = update.framework_id();
    *ack->mutable_task_id() = update.status().task_id();
    ack->set_uuid(update.status().uuid());
    send(event);
  }

  void send(const internal::AgentEvent& event) {
    v1::Envelope envelope;
    *envelope.mutable_agent_event() = event;
    router_.send(identity_, envelope);
  }

  // Sends frames that are not an Envelope to the last agent connection.
  void sendGarbage() {
    router_.socket()->send(zmq::buffer(identity_), zmq::send_flags::sndmore);
    router_.socket()->send(zmq::message_t(), zmq::send_flags::sndmore);
    router_.socket()->send(zmq::str_buffer("not a protobuf \xff\xff"), zmq::send_flags::none);
  }

  const std::string& identity() const { return identity_; }

  void registered(const std::string& agentId, bool reregistered = false,
                  double pingTimeoutSeconds = 10) {
    internal::AgentEvent event;
    if (reregistered) {
      event.mutable_reregistered()->mutable_agent_id()->set_value(agentId);
      event.mutable_reregistered()->set_ping_timeout_seconds(pingTimeoutSeconds);
    } else {
      event.mutable_registered()->mutable_agent_id()->set_value(agentId);
      event.mutable_registered()->set_ping_timeout_seconds(pingTimeoutSeconds);
    }
    send(event);
  }

  void runTask(const std::string& taskId, const std::string& command) {
    internal::AgentEvent event;
    auto* run = event.mutable_run_task();
    run->mutable_framework()->mutable_id()->set_value("f1");
    run->mutable_framework()->set_name("test-framework");
    run->mutable_task()->set_name("task " + taskId);
    run->mutable_task()->mutable_task_id()->set_value(taskId);
    run->mutable_task()->mutable_command()->set_value(command);
    send(event);
  }

  void killTask(const std::string& taskId) {
    internal::AgentEvent event;
    event.mutable_kill_task()->mutable_framework_id()->set_value("f1");
    event.mutable_kill_task()->mutable_task_id()->set_value(taskId);
    event.mutable_kill_task()->mutable_kill_policy()->set_grace_period_seconds(1);
    send(event);
  }

  std::vector<v1::TaskStatus> updates;

 private:
  zmq::context_t context_{1};
  RouterSocket router_;
  std::string endpoint_;
  httplib::Server http_;
  int httpPort_ = 0;
  std::thread thread_;
  std::string identity_;
};

// One agora-agent process.
class AgentProcess {
 public:
  AgentProcess(const testing::TestDir& dir, const std::string& master)
      : dir_(dir), master_(master), port_(freePort()) {}
  ~AgentProcess() { kill9(); }

  void start(const std::string& extraFlag = "--executor_reregister_timeout=5secs") {
    std::vector<std::string> args = {AGORA_AGENT_PATH,
                                     "--master=" + master_,
                                     "--port=" + std::to_string(port_),
                                     "--work_dir=" + dir_ / "work",
                                     "--resources=cpus:2;mem:1024;ports:[31000-31010]",
                                     "--attributes=rack:r1",
                                     "--hostname=testhost",
                                     "--executor_path=" AGORA_EXECUTOR_PATH,
                                     extraFlag};
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    std::string log = dir_ / "agent.log";
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }

  // Polls for the process to exit by itself; false after `seconds`.
  bool waitForExit(double seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pid_ <= 0;
  }

  void kill9() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  // GET on the agent's HTTP API, retried until it answers (it may still be starting).
  StatusOr<std::string> get(const std::string& path) {
    StatusOr<std::string> body = Status::unavailable("not tried");
    for (int i = 0; i < 50; ++i) {
      body = httpGet(HostPort{"127.0.0.1", port_}, path, 2s);
      if (body.isOk() || body.status().code() != StatusCode::kUnavailable) {
        return body;
      }
      std::this_thread::sleep_for(100ms);  // The server is not listening yet.
    }
    return body;
  }

  std::string sandbox(const std::string& taskId) const {
    return std::filesystem::weakly_canonical(dir_ / "work").string() + "/sandboxes/f1/" + taskId;
  }

 private:
  const testing::TestDir& dir_;
  std::string master_;
  int port_;
  pid_t pid_ = -1;
};

// Sends SIGKILL to every process whose command line contains all of `needles` (found
// through /proc), and to the process group of those that lead one. Returns how many
// matched.
int killProcessesMatching(const std::vector<std::string>& needles) {
  int killed = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || std::stoi(name) == getpid()) {
      continue;
    }
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bool all = !cmdline.empty();
    for (const auto& needle : needles) {
      all = all && cmdline.find(needle) != std::string::npos;
    }
    pid_t pid = std::stoi(name);
    // A group leader (an executor, a task's shell) takes its group along.
    if (all && kill(getpgid(pid) == pid ? -pid : pid, SIGKILL) == 0) {
      ++killed;
    }
  }
  return killed;
}

// Kills every process of a test (agent, executors, commands: their command lines name the
// test dir) when the test ends, even after a failed assertion.
struct ProcessReaper {
  const testing::TestDir& dir;
  ~ProcessReaper() { killProcessesMatching({dir.path()}); }
};

auto isRegister = [](const internal::AgentCall& c) { return c.has_register_(); };
auto isReregister = [](const internal::AgentCall& c) { return c.has_reregister(); };

TEST(AgentTest, RegistersRunsATaskAndForwardsItsUpdates) {
  testing::TestDir dir;
  ProcessReaper reaper{dir};
  FakeMaster master;
  AgentProcess agent(dir, master.address());
  agent.start();
  auto reg = master.waitFor(isRegister);
  ASSERT_TRUE(reg.has_value());
  EXPECT_EQ(reg->register_().info().hostname(), "testhost");
  EXPECT_EQ(reg->register_().info().attributes_size(), 1);
  master.registered("A1");

  master.runTask("t1", "echo hi; exit 3");
  auto failed = master.waitForUpdate("t1", v1::TASK_FAILED);
  ASSERT_TRUE(failed.has_value());
  std::vector<v1::TaskState> states;
  for (const auto& update : master.updates) {
    if (states.empty() || states.back() != update.state()) {
      states.push_back(update.state());
    }
    EXPECT_EQ(update.agent_id().value(), "A1");
  }
  EXPECT_EQ(states,
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FAILED}));
  EXPECT_EQ(failed->exit_code(), 3);

  auto stdoutFile = agent.get("/files/read?path=" + agent.sandbox("t1") + "/stdout&offset=0");
  ASSERT_TRUE(stdoutFile.isOk()) << stdoutFile.status().message();
  EXPECT_EQ(nlohmann::json::parse(*stdoutFile)["data"], "hi\n");
  auto outside = agent.get("/files/browse?path=/etc");
  ASSERT_FALSE(outside.isOk());
  EXPECT_EQ(outside.status().code(), StatusCode::kPermissionDenied);
  auto missing = agent.get("/files/read?path=" + agent.sandbox("t1") + "/nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto badOffset = agent.get("/files/read?path=" + agent.sandbox("t1") + "/stdout&offset=x");
  EXPECT_EQ(badOffset.status().code(), StatusCode::kInvalidArgument);

  // Once acknowledged the task is completed in /state.
  nlohmann::json state;
  auto deadline = SteadyClock::now() + 10s;
  while (SteadyClock::now() < deadline) {
    auto body = agent.get("/state");
    ASSERT_TRUE(body.isOk());
    state = nlohmann::json::parse(*body);
    if (!state["completed_frameworks"].empty()) {
      break;
    }
    master.waitFor([](const auto&) { return false; }, true, 100ms);
  }
  EXPECT_EQ(state["id"], "A1");
  ASSERT_EQ(state["completed_frameworks"].size(), 1u) << state.dump(2);
  auto task = state["completed_frameworks"][0]["completed_executors"][0]["tasks"][0];
  EXPECT_EQ(task["state"], "TASK_FAILED");
  EXPECT_EQ(task["statuses"].back()["exit_code"], 3);
  auto health = agent.get("/health");
  ASSERT_TRUE(health.isOk());
}

// A framework may reuse a task id once the task is terminal. The master forgets the old
// task when it forwards the terminal update, so the new RunTask can reach the agent before
// the acknowledgement of that update (explicit acks): the agent runs it once the ack
// arrives instead of dropping it as a duplicate (the master would wait for it forever).
TEST(AgentTest, RunsAReusedTaskIdOnceThePreviousRunIsAcknowledged) {
  testing::TestDir dir;
  ProcessReaper reaper{dir};
  FakeMaster master;
  AgentProcess agent(dir, master.address());
  agent.start();
  ASSERT_TRUE(master.waitFor(isRegister).has_value());
  master.registered("A1");

  master.runTask("t1", "exit 0");
  // Acknowledge everything but the terminal update.
  auto finished = master.waitFor(
      [&](const internal::AgentCall& c) {
        if (!c.has_status_update()) {
          return false;
        }
        if (c.status_update().status().state() == v1::TASK_FINISHED) {
          return true;
        }
        master.acknowledge(c.status_update());
        return false;
      },
      /*ackUpdates=*/false);
  ASSERT_TRUE(finished.has_value());

  master.runTask("t1", "exit 7");
  master.acknowledge(finished->status_update());
  auto failed = master.waitForUpdate("t1", v1::TASK_FAILED);
  ASSERT_TRUE(failed.has_value()) << "the second run of t1 never reported";
  EXPECT_EQ(failed->exit_code(), 7) << failed->ShortDebugString();
}

TEST(AgentTest, RecoversAfterKill9) {
  testing::TestDir dir;
  ProcessReaper reaper{dir};
  FakeMaster master;
  AgentProcess agent(dir, master.address());
  agent.start();
  ASSERT_TRUE(master.waitFor(isRegister).has_value());
  master.registered("A1");
  // t1 ends while the agent is down; t2 keeps running; t3's executor dies with the agent.
  const std::string gate = dir.path() + "/t1.go";
  const std::string ended = dir.path() + "/t1.ended";
  master.runTask("t1", "while [ ! -f " + gate + " ]; do sleep 0.05; done; touch " + ended +
                           "; exit 7");
  master.runTask("t2", "trap 'exit 0' TERM; sleep 100 & wait");
  // The comment names the test dir so the orphaned command can be cleaned up at the end.
  master.runTask("t3", "sleep 20; true # " + dir.path());
  for (const char* task : {"t1", "t2", "t3"}) {
    ASSERT_TRUE(master.waitForUpdate(task, v1::TASK_RUNNING).has_value()) << task;
  }
  agent.kill9();
  ASSERT_EQ(killProcessesMatching({"agora-executor", "--task_id=t3", dir.path()}), 1);
  // Let t1 end while no agent runs (its executor holds the update).
  std::ofstream(gate) << "go";
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!std::filesystem::exists(ended) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // Polling a file: nothing to wait on.
  }
  ASSERT_TRUE(std::filesystem::exists(ended)) << "t1 did not end";

  agent.start("--executor_reregister_timeout=2secs");
  auto rereg = master.waitFor(isReregister);
  ASSERT_TRUE(rereg.has_value());
  EXPECT_EQ(rereg->agent_id().value(), "A1");
  EXPECT_EQ(rereg->reregister().info().id().value(), "A1");
  EXPECT_EQ(rereg->reregister().tasks_size(), 3);
  EXPECT_EQ(rereg->reregister().frameworks_size(), 1);
  master.registered("A1", /*reregistered=*/true);

  auto failed = master.waitForUpdate("t1", v1::TASK_FAILED);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->exit_code(), 7) << failed->ShortDebugString();
  EXPECT_EQ(failed->source(), v1::TaskStatus::SOURCE_EXECUTOR);

  auto lost = master.waitForUpdate("t3", v1::TASK_FAILED);
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->reason(), v1::TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT);
  EXPECT_EQ(lost->source(), v1::TaskStatus::SOURCE_AGENT);

  master.killTask("t2");
  ASSERT_TRUE(master.waitForUpdate("t2", v1::TASK_KILLING).has_value());
  ASSERT_TRUE(master.waitForUpdate("t2", v1::TASK_KILLED).has_value());

  master.killTask("nope");
  auto unknown = master.waitForUpdate("nope", v1::TASK_LOST);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->reason(), v1::TaskStatus::REASON_TASK_UNKNOWN);
}

// An executor of a task the agent has no record of (as after an agent crash between a
// launch and its checkpoint) is told to kill its task, and exits once that is reported;
// nothing of it reaches the master.
TEST(AgentTest, AnExecutorOfAnUnknownTaskIsToldToKillIt) {
  testing::TestDir dir;
  ProcessReaper reaper{dir};
  FakeMaster master;
  AgentProcess agent(dir, master.address());
  agent.start();
  ASSERT_TRUE(master.waitFor(isRegister).has_value());
  master.registered("A1");
  ASSERT_TRUE(agent.get("/state").isOk());  // Up, its executor socket bound.

  std::string sandbox = dir / "orphan-sandbox";
  std::filesystem::create_directories(sandbox);
  v1::TaskInfo task;
  task.set_name("orphan");
  task.mutable_task_id()->set_value("orphan");
  task.mutable_command()->set_value("sleep 100 # " + dir.path());
  task.mutable_kill_policy()->set_grace_period_seconds(1);
  std::ofstream(sandbox + "/task.pb", std::ios::binary) << task.SerializeAsString();
  ExecutorLaunch launch{
      .executorPath = AGORA_EXECUTOR_PATH,
      .agentEndpoint =
          "ipc://" + std::filesystem::weakly_canonical(dir / "work").string() + "/executors.sock",
      .frameworkId = "f9",
      .taskId = "orphan",
      .sandbox = sandbox,
      .taskPath = sandbox + "/task.pb",
      .hostname = "testhost",
  };
  StatusOr<pid_t> executor = spawnExecutor(launch);
  ASSERT_TRUE(executor.isOk()) << executor.status().message();
  bool exited = false;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!exited && std::chrono::steady_clock::now() < deadline) {
    exited = waitpid(*executor, nullptr, WNOHANG) == *executor;
    if (!exited) std::this_thread::sleep_for(20ms);  // Polling our child: no event for it.
  }
  EXPECT_TRUE(exited) << "the orphan executor still runs";
  std::ifstream log(sandbox + "/executor.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("Killing task orphan"), std::string::npos) << text;
  for (const auto& update : master.updates) {
    EXPECT_NE(update.task_id().value(), "orphan") << "forwarded: " << update.ShortDebugString();
  }
}

// A master refusal because the machine is DOWN for maintenance: the agent keeps its id and
// checkpoint and keeps re-registering until it is let back in. It reports its ip.
TEST(AgentTest, RefusedOnADownMachineKeepsItsIdAndRetries) {
  testing::TestDir dir;
  ProcessReaper reaper{dir};
  FakeMaster master;
  AgentProcess agent(dir, master.address());
  agent.start();
  auto registration = master.waitFor(isRegister);
  ASSERT_TRUE(registration.has_value());
  EXPECT_EQ(registration->register_().info().ip(), "127.0.0.1");
  master.registered("A1", false, /*pingTimeoutSeconds=*/1);
  ASSERT_TRUE(master.waitFor([](const auto& c) { return c.has_heartbeat(); }).has_value());

  internal::AgentEvent refused;
  refused.mutable_refused()->set_message("machine is DOWN");
  refused.mutable_refused()->set_machine_down(true);
  master.send(refused);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto rereg = master.waitFor(isReregister);
    ASSERT_TRUE(rereg.has_value()) << "attempt " << attempt;
    EXPECT_EQ(rereg->reregister().info().id().value(), "A1");
    master.send(refused);
  }
  auto rereg = master.waitFor(isReregister);
  ASSERT_TRUE(rereg.has_value());
  EXPECT_EQ(rereg->agent_id().value(), "A1");
  master.registered("A1", true, 1);
  ASSERT_TRUE(master.waitFor([](const auto& c) { return c.has_heartbeat(); }).has_value());
}

// Marked gone by the operator: the agent shuts down instead of registering anew.
TEST(AgentTest, GoneAgentShutsDown) {
  testing::TestDir dir;
  ProcessReaper reaper{dir};
  FakeMaster master;
  AgentProcess agent(dir, master.address());
  agent.start();
  ASSERT_TRUE(master.waitFor(isRegister).has_value());
  master.registered("A1", false, /*pingTimeoutSeconds=*/5);
  internal::AgentEvent refused;
  refused.mutable_refused()->set_message("agent A1 was marked gone");
  refused.mutable_refused()->set_gone(true);
  master.send(refused);
  EXPECT_TRUE(agent.waitForExit(15)) << "the agent kept running after it was marked gone";
}

TEST(AgentTest, SurvivesGarbageRefusalAndMasterLoss) {
  testing::TestDir dir;
  ProcessReaper reaper{dir};
  FakeMaster master;
  AgentProcess agent(dir, master.address());
  agent.start();
  ASSERT_TRUE(master.waitFor(isRegister).has_value());
  master.sendGarbage();
  master.registered("A1", false, /*pingTimeoutSeconds=*/1);
  ASSERT_TRUE(master.waitFor([](const auto& c) { return c.has_heartbeat(); }).has_value());

  // Refused: the agent forgets its id and registers anew.
  internal::AgentEvent refused;
  refused.mutable_refused()->set_message("agent removed");
  master.send(refused);
  ASSERT_TRUE(master.waitFor(isRegister).has_value());
  master.registered("A2", false, 1);

  // reregister_request: the agent answers with Reregister and its id.
  internal::AgentEvent request;
  request.mutable_reregister_request();
  master.send(request);
  auto rereg = master.waitFor(isReregister);
  ASSERT_TRUE(rereg.has_value());
  EXPECT_EQ(rereg->agent_id().value(), "A2");
  master.registered("A2", true, 1);

  // Pings stop: after the ping timeout the agent reconnects with a new identity.
  std::string oldIdentity = master.identity();
  master.answerHeartbeats = false;
  rereg = master.waitFor(isReregister);
  ASSERT_TRUE(rereg.has_value());
  EXPECT_NE(master.identity(), oldIdentity);
  master.answerHeartbeats = true;
  master.registered("A2", true, 1);

  auto metrics = agent.get("/metrics/snapshot");
  ASSERT_TRUE(metrics.isOk());
  EXPECT_GE(nlohmann::json::parse(*metrics)["slave/invalid_messages"].get<double>(), 1);
  auto state = agent.get("/state");
  ASSERT_TRUE(state.isOk());
  EXPECT_EQ(nlohmann::json::parse(*state)["id"], "A2");
  auto flags = agent.get("/flags");
  ASSERT_TRUE(flags.isOk());
  EXPECT_EQ(nlohmann::json::parse(*flags)["flags"]["hostname"], "testhost");
}

// Persistent volumes: the master's `CheckpointResources` makes the agent create the
// volume's directory; a task that lists the volume in its resources finds it at
// `<sandbox>/<container_path>` and its data stays after the task; the list survives an
// agent kill -9; a task naming an unknown volume is refused; a volume no longer listed is
// deleted, unless the agent was refused and registered anew.
TEST(AgentTest, PersistentVolumesAreCheckpointedLinkedAndDeleted) {
  testing::TestDir dir;
  ProcessReaper reaper{dir};
  FakeMaster master;
  AgentProcess agent(dir, master.address());
  agent.start();
  ASSERT_TRUE(master.waitFor(isRegister).has_value());
  master.registered("A1");
  const std::string volumeText = "disk(eng)[v1:data]:64";
  auto checkpoint = [&](const std::string& resources) {
    internal::AgentEvent event;
    Resources::parse(resources)->toProto(event.mutable_checkpoint_resources()->mutable_resources());
    master.send(event);
  };
  auto runTask = [&](const std::string& taskId, const std::string& command) {
    internal::AgentEvent event;
    auto* run = event.mutable_run_task();
    run->mutable_framework()->mutable_id()->set_value("f1");
    run->mutable_framework()->set_role("eng");
    run->mutable_task()->mutable_task_id()->set_value(taskId);
    run->mutable_task()->mutable_command()->set_value(command);
    Resources::parse("cpus:0.1;mem:16;" + volumeText)
        ->toProto(run->mutable_task()->mutable_resources());
    master.send(event);
  };
  auto eventually = [&](const std::function<bool()>& condition) {
    auto deadline = SteadyClock::now() + 10s;
    while (!condition() && SteadyClock::now() < deadline) {
      master.waitFor([](const auto&) { return false; }, true, 100ms);
    }
    return condition();
  };
  const std::string volume = dir.path() + "/work/volumes/roles/eng/v1";

  checkpoint(volumeText);
  ASSERT_TRUE(eventually([&] { return std::filesystem::is_directory(volume); }));
  runTask("writer", "echo kept > data/file");
  auto finished = master.waitForUpdate("writer", v1::TASK_FINISHED);
  ASSERT_TRUE(finished.has_value());
  std::ifstream in(volume + "/file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "kept\n");
  EXPECT_TRUE(std::filesystem::is_symlink(agent.sandbox("writer") + "/data"));
  auto state = agent.get("/state");
  ASSERT_TRUE(state.isOk());
  auto shown = nlohmann::json::parse(*state)["persistent_volumes"];
  ASSERT_EQ(shown.size(), 1u) << shown.dump();
  EXPECT_EQ(shown[0]["persistence_id"], "v1");
  EXPECT_EQ(shown[0]["container_path"], "data");

  agent.kill9();
  agent.start();
  ASSERT_TRUE(master.waitFor(isReregister).has_value());
  master.registered("A1", /*reregistered=*/true);
  runTask("reader", "test \"$(cat data/file)\" = kept");
  auto read = master.waitForUpdate("reader", v1::TASK_FINISHED);
  ASSERT_TRUE(read.has_value()) << "the volume's data was not there after the agent restarted";

  checkpoint("");
  ASSERT_TRUE(eventually([&] { return !std::filesystem::exists(volume); }));
  runTask("late", "true");
  auto refused = master.waitForUpdate("late", v1::TASK_ERROR);
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->message().find("persistent volume 'v1'"), std::string::npos)
      << refused->message();

  // A refused agent registers anew and forgets its volumes, but only DESTROY deletes data:
  // the new agent's empty list leaves the directory alone.
  checkpoint(volumeText);
  ASSERT_TRUE(eventually([&] { return std::filesystem::is_directory(volume); }));
  internal::AgentEvent refusal;
  refusal.mutable_refused()->set_message("agent removed");
  master.send(refusal);
  ASSERT_TRUE(master.waitFor(isRegister).has_value());
  master.registered("A2");
  checkpoint("");
  runTask("after-refusal", "true");  // Answered after the list above is applied.
  ASSERT_TRUE(master.waitForUpdate("after-refusal", v1::TASK_ERROR).has_value());
  EXPECT_TRUE(std::filesystem::is_directory(volume));
}

}  // namespace
}  // namespace agora::slave
