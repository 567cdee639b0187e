// ExecutorStandby with the real agora-executor binary: the spare takes a task's command line
// and becomes that task's executor (it subscribes to the agent under its own pid, shows the
// task's command line in /proc, works in the sandbox, logs there); a command line that does
// not fit is refused and the spare kept; a spare nobody used is gone with its owner.
#include "slave/executor_standby.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "common/transport/sockets.hpp"
#include "slave/executor_launcher.hpp"
#include "test_dir.hpp"

namespace agora::slave {
namespace {

using namespace std::chrono_literals;

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <typename Condition>
bool waitUntil(Condition condition, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

struct TaskFiles {
  std::string sandbox;
  ExecutorLaunch launch;
};

TaskFiles writeTask(const testing::TestDir& dir, const std::string& endpoint) {
  TaskFiles files;
  files.sandbox = dir / "sandboxes/f1/t1";
  std::filesystem::create_directories(files.sandbox);
  v1::TaskInfo task;
  task.set_name("t1");
  task.mutable_task_id()->set_value("t1");
  task.mutable_command()->set_value("sleep 30");
  std::ofstream out(files.sandbox + "/task.pb", std::ios::binary);
  EXPECT_TRUE(task.SerializeToOstream(&out));
  files.launch.executorPath = AGORA_EXECUTOR_PATH;
  files.launch.agentEndpoint = endpoint;
  files.launch.frameworkId = "f1";
  files.launch.taskId = "t1";
  files.launch.sandbox = files.sandbox;
  files.launch.taskPath = files.sandbox + "/task.pb";
  files.launch.hostname = "testhost";
  return files;
}

// The live child of this test started with --standby (the spare), or -1.
pid_t waitingSpare() {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ifstream stat(entry.path() / "stat");
    std::string ignored, state;
    pid_t parent = 0;
    stat >> ignored >> ignored >> state >> parent;
    if (parent == getpid() && state != "Z" && cmdline.find("--standby") != std::string::npos) {
      return std::stoi(entry.path().filename().string());
    }
  }
  return -1;
}

void killAndReap(pid_t pid) {
  kill(-pid, SIGKILL);  // The executor's session: it and its task.
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(ExecutorStandbyTest, TheSpareBecomesTheTasksExecutor) {
  testing::TestDir dir;
  zmq::context_t context;
  RouterSocket router(context);
  std::string endpoint = "ipc://" + dir / "executors.sock";
  ASSERT_TRUE(router.bind(endpoint).isOk());
  TaskFiles files = writeTask(dir, endpoint);

  ExecutorStandby standby(AGORA_EXECUTOR_PATH, dir.path());
  standby.replenish();
  std::optional<pid_t> pid = standby.take(executorArguments(files.launch));
  ASSERT_TRUE(pid.has_value());

  // It subscribes as the executor of t1, with its own pid.
  std::optional<internal::ExecutorCall::Subscribe> subscribe;
  ASSERT_TRUE(waitUntil([&] {
    zmq::pollitem_t item{router.socket()->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, 10ms);
    auto received = router.receive();
    if (received && received->isOk() && (*received)->envelope.executor_call().has_subscribe()) {
      subscribe = (*received)->envelope.executor_call().subscribe();
    }
    return subscribe.has_value();
  }));
  EXPECT_EQ(subscribe->task_id().value(), "t1");
  EXPECT_EQ(subscribe->executor_pid(), *pid);
  // What the agent's recovery and `ps` see: the task's command line, the sandbox.
  EXPECT_TRUE(executorAlive(*pid, "t1"));
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(*pid) + "/cwd").string(),
            files.sandbox);
  EXPECT_TRUE(waitUntil([&] {  // It logs the task's start there.
    return std::filesystem::file_size(files.sandbox + "/executor.log") > 0;
  }));
  killAndReap(*pid);
}

TEST(ExecutorStandbyTest, ACommandLineThatDoesNotFitIsRefusedAndTheSpareKept) {
  testing::TestDir dir;
  TaskFiles files = writeTask(dir, "ipc://" + dir / "executors.sock");
  ExecutorStandby standby(AGORA_EXECUTOR_PATH, dir.path());
  standby.replenish();
  ExecutorLaunch tooLong = files.launch;
  tooLong.hostname = std::string(ExecutorStandby::kCommandLineBytes, 'h');
  EXPECT_FALSE(standby.take(executorArguments(tooLong)).has_value());
  ExecutorLaunch otherBinary = files.launch;  // The spare can only become its own binary.
  otherBinary.executorPath = "/bin/true";
  EXPECT_FALSE(standby.take(executorArguments(otherBinary)).has_value());
  std::optional<pid_t> pid = standby.take(executorArguments(files.launch));
  ASSERT_TRUE(pid.has_value());
  EXPECT_TRUE(waitUntil([&] { return executorAlive(*pid, "t1"); }));
  killAndReap(*pid);
  // Taken: none is left until replenished.
  EXPECT_FALSE(standby.take(executorArguments(files.launch)).has_value());
}

TEST(ExecutorStandbyTest, AnUnusedSpareIsGoneWithItsOwnerAndADeadOneIsReplaced) {
  testing::TestDir dir;
  TaskFiles files = writeTask(dir, "ipc://" + dir / "executors.sock");
  pid_t spare = -1;
  {
    ExecutorStandby standby(AGORA_EXECUTOR_PATH, dir.path());
    standby.replenish();
    // Until exec has set the new command line up, /proc shows none.
    ASSERT_TRUE(waitUntil([&] { return (spare = waitingSpare()) > 0; }));
    // A spare that died is replaced by the next replenish().
    kill(spare, SIGKILL);
    ASSERT_TRUE(waitUntil([&] {
      siginfo_t info{};
      return waitid(P_PID, static_cast<id_t>(spare), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
             info.si_pid == spare;
    }));
    EXPECT_FALSE(standby.take(executorArguments(files.launch)).has_value());
    standby.replenish();
    std::optional<pid_t> next = standby.take(executorArguments(files.launch));
    ASSERT_TRUE(next.has_value());
    EXPECT_NE(*next, spare);
    killAndReap(*next);
    standby.replenish();
    // Until exec has set the new command line up, /proc shows none.
    ASSERT_TRUE(waitUntil([&] { return (spare = waitingSpare()) > 0; }));
  }
  // Destroyed: the spare was stopped and reaped.
  EXPECT_NE(kill(spare, 0), 0);
}

}  // namespace
}  // namespace agora::slave
