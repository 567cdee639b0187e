// ExecutorZygote with the real agora-executor binary: each request gets an executor forked
// from the zygote that becomes that task's executor (it subscribes to the agent under its
// own pid, shows the task's command line in /proc, works in the sandbox, logs there); one
// zygote serves many; a command line that does not fit is refused; a dead zygote is
// replaced, a changed binary gets a new one, requests lost with the zygote are answered
// "not started"; the zygote and its spare are gone with their owner.
#include "slave/executor_zygote.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "common/event/event_loop.hpp"
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

TaskFiles writeTask(const testing::TestDir& dir, const std::string& endpoint,
                    const std::string& taskId = "t1") {
  TaskFiles files;
  files.sandbox = dir / ("sandboxes/f1/" + taskId);
  std::filesystem::create_directories(files.sandbox);
  v1::TaskInfo task;
  task.set_name(taskId);
  task.mutable_task_id()->set_value(taskId);
  task.mutable_command()->set_value("sleep 30");
  std::ofstream out(files.sandbox + "/task.pb", std::ios::binary);
  EXPECT_TRUE(task.SerializeToOstream(&out));
  files.launch.executorPath = AGORA_EXECUTOR_PATH;
  files.launch.agentEndpoint = endpoint;
  files.launch.frameworkId = "f1";
  files.launch.taskId = taskId;
  files.launch.sandbox = files.sandbox;
  files.launch.taskPath = files.sandbox + "/task.pb";
  files.launch.hostname = "testhost";
  return files;
}

// Children of `parent` whose command line contains `needle` and that are not zombies.
std::vector<pid_t> childrenOf(pid_t parent, const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ifstream stat(entry.path() / "stat");
    std::string ignored, state;
    pid_t ppid = 0;
    stat >> ignored >> ignored >> state >> ppid;
    if (ppid == parent && state != "Z" && cmdline.find(needle) != std::string::npos) {
      out.push_back(std::stoi(entry.path().filename().string()));
    }
  }
  return out;
}

// The state letter of `pid` in /proc (R, S, T, Z...), or "" if there is no such process.
std::string processState(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string ignored, state;
  return (stat >> ignored >> ignored >> state) ? state : "";
}

// Whether `pid` runs (exists and is not a zombie waiting for whoever adopted it).
bool running(pid_t pid) {
  std::string state = processState(pid);
  return !state.empty() && state != "Z";
}

// Stops `pid` and waits until it is stopped (SIGSTOP is delivered asynchronously).
bool stopProcess(pid_t pid) {
  kill(pid, SIGSTOP);
  return waitUntil([&] { return processState(pid) == "T"; });
}

// Live processes whose command line names `sandbox` (this test's own: tests run in
// parallel, and others have tasks of the same names).
int executorsIn(const std::string& sandbox) {
  int count = 0;
  std::string needle = "--sandbox=" + sandbox + std::string(1, '\0');
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = std::atoi(entry.path().filename().c_str());
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (pid > 0 && running(pid) && cmdline.find(needle) != std::string::npos) ++count;
  }
  return count;
}

// Waits for the zygote `zygotePid`'s waiting spare (until exec has set the zygote's command
// line up, /proc shows none); -1 if none comes.
pid_t waitForSpare(pid_t zygotePid) {
  std::vector<pid_t> spares;
  bool found = waitUntil([&] { return !(spares = childrenOf(zygotePid, "--zygote")).empty(); });
  return found ? spares[0] : -1;
}

void killExecutor(pid_t pid) {
  kill(-pid, SIGKILL);  // The executor's session: it and its task.
  kill(pid, SIGKILL);
}

// A zygote on a loop running in its own thread; the test drives it through runSync. Every
// executor it forks is killed when the fixture goes, whatever the test asserted.
class ZygoteFixture {
 public:
  explicit ZygoteFixture(ExecutorZygoteOptions options) : thread_([this] { loop_.run(); }) {
    options.restartBackoff = 0ms;  // Tests kill zygotes and want the next one at once.
    loop_.runSync([&] {
      zygote_ = std::make_unique<ExecutorZygote>(loop_, options);
      zygote_->start();
      return true;
    });
  }
  ZygoteFixture(const std::string& executorPath, const std::string& workDir)
      : ZygoteFixture(ExecutorZygoteOptions{.executorPath = executorPath, .workDir = workDir}) {}
  ~ZygoteFixture() {
    loop_.runSync([&] {
      zygote_.reset();
      return true;
    });
    loop_.stop();
    thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    for (pid_t pid : forked_) killExecutor(pid);
    for (int pidfd : pidfds_) close(pidfd);
  }

  // Asks for an executor; the answer when it comes (nullopt: refused at once).
  std::optional<ExecutorZygote::Forked> fork(const ExecutorLaunch& launch) {
    std::optional<std::future<ExecutorZygote::Forked>> answer = ask(launch);
    if (!answer || answer->wait_for(15s) != std::future_status::ready) {
      return std::nullopt;
    }
    return answer->get();
  }
  // Sends a request without waiting for its answer.
  std::future<ExecutorZygote::Forked> send(const ExecutorLaunch& launch) {
    std::optional<std::future<ExecutorZygote::Forked>> answer = ask(launch);
    EXPECT_TRUE(answer.has_value()) << "the zygote refused the request";
    return answer ? std::move(*answer) : std::future<ExecutorZygote::Forked>();
  }
  pid_t zygotePid() {
    return loop_.runSync([&] { return zygote_->pid(); }).value_or(-1);
  }

 private:
  std::optional<std::future<ExecutorZygote::Forked>> ask(const ExecutorLaunch& launch) {
    auto answer = std::make_shared<std::promise<ExecutorZygote::Forked>>();
    auto future = answer->get_future();
    auto asked = loop_.runSync([&] {
      return zygote_->requestExecutor(executorArguments(launch),
                                      [this, answer](const ExecutorZygote::Forked& forked) {
                                        std::lock_guard<std::mutex> lock(mutex_);
                                        if (forked.pidfd >= 0) pidfds_.push_back(forked.pidfd);
                                        if (forked.pid > 0) forked_.push_back(forked.pid);
                                        answer->set_value(forked);
                                      });
    });
    if (!asked.value_or(false)) return std::nullopt;
    return future;
  }

  EventLoop loop_;
  std::thread thread_;
  std::unique_ptr<ExecutorZygote> zygote_;
  std::mutex mutex_;
  std::vector<pid_t> forked_;
  std::vector<int> pidfds_;  // Answers' pidfds, valid while the fixture lives.
};

// Waits for the executor's SUBSCRIBE on `router`; its task id and pid.
std::optional<internal::ExecutorCall::Subscribe> nextSubscribe(RouterSocket& router) {
  std::optional<internal::ExecutorCall::Subscribe> subscribe;
  waitUntil([&] {
    zmq::pollitem_t item{router.socket()->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, 10ms);
    auto received = router.receive();
    if (received && received->isOk() && (*received)->envelope.executor_call().has_subscribe()) {
      subscribe = (*received)->envelope.executor_call().subscribe();
    }
    return subscribe.has_value();
  });
  return subscribe;
}

// The next request is forked by a new zygote (not `old`), as the executor of its task.
void expectANewZygoteForks(ZygoteFixture& zygote, const ExecutorLaunch& launch, pid_t old) {
  auto forked = zygote.fork(launch);
  ASSERT_TRUE(forked.has_value());
  ASSERT_EQ(forked->outcome, ExecutorZygote::Outcome::kForked) << forked->why;
  EXPECT_NE(zygote.zygotePid(), old);
  EXPECT_TRUE(waitUntil([&] { return executorAlive(forked->pid, launch.taskId); }));
}

TEST(ExecutorZygoteTest, EachRequestGetsAForkedExecutorOfItsTask) {
  testing::TestDir dir;
  zmq::context_t context;
  RouterSocket router(context);
  std::string endpoint = "ipc://" + dir / "executors.sock";
  ASSERT_TRUE(router.bind(endpoint).isOk());
  ZygoteFixture zygote(AGORA_EXECUTOR_PATH, dir.path());
  pid_t zygotePid = zygote.zygotePid();
  ASSERT_GT(zygotePid, 0);

  std::set<pid_t> executors;
  for (const std::string taskId : {"t1", "t2"}) {
    TaskFiles files = writeTask(dir, endpoint, taskId);
    auto forked = zygote.fork(files.launch);
    ASSERT_TRUE(forked.has_value());
    ASSERT_EQ(forked->outcome, ExecutorZygote::Outcome::kForked) << forked->why;
    // It subscribes as the executor of its task, with its own pid.
    auto subscribe = nextSubscribe(router);
    ASSERT_TRUE(subscribe.has_value());
    EXPECT_EQ(subscribe->task_id().value(), taskId);
    EXPECT_EQ(subscribe->executor_pid(), forked->pid);
    // What the agent's recovery and `ps` see: the task's command line, the sandbox, a
    // session of its own.
    EXPECT_TRUE(executorAlive(forked->pid, taskId));
    EXPECT_EQ(
        std::filesystem::read_symlink("/proc/" + std::to_string(forked->pid) + "/cwd").string(),
        files.sandbox);
    EXPECT_EQ(getsid(forked->pid), forked->pid);
    EXPECT_TRUE(waitUntil([&] {  // It logs the task's start there.
      return std::filesystem::file_size(files.sandbox + "/executor.log") > 0;
    }));
    executors.insert(forked->pid);
  }
  EXPECT_EQ(executors.size(), 2u);
  EXPECT_EQ(zygote.zygotePid(), zygotePid) << "one zygote serves every launch";
}

// More requests at once than the socket queues (net.unix.max_dgram_qlen, 10): every one
// is forked, none falls back.
TEST(ExecutorZygoteTest, ABurstOfRequestsIsForkedInOrder) {
  testing::TestDir dir;
  ZygoteFixture zygote(AGORA_EXECUTOR_PATH, dir.path());
  std::vector<std::future<ExecutorZygote::Forked>> answers;
  for (int i = 0; i < 25; ++i) {
    answers.push_back(zygote.send(
        writeTask(dir, "ipc://" + dir / "executors.sock", "b" + std::to_string(i)).launch));
  }
  std::set<pid_t> executors;
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(answers[i].wait_for(30s), std::future_status::ready) << "request " << i;
    ExecutorZygote::Forked forked = answers[i].get();
    ASSERT_EQ(forked.outcome, ExecutorZygote::Outcome::kForked) << i << ": " << forked.why;
    // Answers come in the order asked: this one runs task b<i>.
    EXPECT_TRUE(waitUntil([&] { return executorAlive(forked.pid, "b" + std::to_string(i)); })) << i;
    executors.insert(forked.pid);
  }
  EXPECT_EQ(executors.size(), 25u);
}

// An executor that exits at once (here: its sandbox does not exist) is reaped by the
// kernel before the agent reads its answer; the pidfd that came with it still tells.
TEST(ExecutorZygoteTest, AnExecutorThatExitsAtOnceIsStillWatchable) {
  testing::TestDir dir;
  TaskFiles files = writeTask(dir, "ipc://" + dir / "executors.sock");
  files.launch.sandbox = dir / "no/such/sandbox";
  ZygoteFixture zygote(AGORA_EXECUTOR_PATH, dir.path());
  auto forked = zygote.fork(files.launch);
  ASSERT_TRUE(forked.has_value());
  ASSERT_EQ(forked->outcome, ExecutorZygote::Outcome::kForked) << forked->why;
  ASSERT_GE(forked->pidfd, 0);
  pollfd exited{.fd = forked->pidfd, .events = POLLIN, .revents = 0};
  EXPECT_EQ(poll(&exited, 1, 10000), 1) << "the pidfd reads as exited";
  EXPECT_TRUE(waitUntil([&] { return !running(forked->pid); }));
}

TEST(ExecutorZygoteTest, ACommandLineThatDoesNotFitOrAnotherBinaryIsRefused) {
  testing::TestDir dir;
  TaskFiles files = writeTask(dir, "ipc://" + dir / "executors.sock");
  ZygoteFixture zygote(AGORA_EXECUTOR_PATH, dir.path());
  ExecutorLaunch tooLong = files.launch;
  tooLong.hostname = std::string(ExecutorZygote::kCommandLineBytes, 'h');
  EXPECT_FALSE(zygote.fork(tooLong).has_value());
  ExecutorLaunch otherBinary = files.launch;  // The zygote can only fork its own binary.
  otherBinary.executorPath = "/bin/true";
  EXPECT_FALSE(zygote.fork(otherBinary).has_value());
  auto forked = zygote.fork(files.launch);
  ASSERT_TRUE(forked.has_value());
  ASSERT_EQ(forked->outcome, ExecutorZygote::Outcome::kForked);
  EXPECT_TRUE(waitUntil([&] { return executorAlive(forked->pid, "t1"); }));
}

TEST(ExecutorZygoteTest, ADeadZygoteIsReplacedAndItsLostRequestsAnsweredNotStarted) {
  testing::TestDir dir;
  TaskFiles files = writeTask(dir, "ipc://" + dir / "executors.sock");
  ZygoteFixture zygote(AGORA_EXECUTOR_PATH, dir.path());
  pid_t first = zygote.zygotePid();
  pid_t spare = waitForSpare(first);
  ASSERT_GT(spare, 0);
  // A request nobody takes: the spare is stopped; then it and the zygote die.
  ASSERT_TRUE(stopProcess(spare));
  auto lost = zygote.send(files.launch);
  kill(spare, SIGKILL);
  kill(first, SIGKILL);
  ASSERT_EQ(lost.wait_for(15s), std::future_status::ready);
  ExecutorZygote::Forked answer = lost.get();
  EXPECT_EQ(answer.outcome, ExecutorZygote::Outcome::kNotStarted);
  EXPECT_NE(answer.why.find("zygote exited"), std::string::npos) << answer.why;
  EXPECT_EQ(executorsIn(files.sandbox), 0) << "not started means no executor of the task runs";
  expectANewZygoteForks(zygote, files.launch, first);
}

// A zygote that answers nothing is killed after `answerTimeout`; a request still held by a
// spare that cannot answer is reported kUnknown after `closeTimeout` more. The next
// request gets a new zygote.
TEST(ExecutorZygoteTest, AStuckZygoteIsKilledAndItsRequestsReportedUnknown) {
  testing::TestDir dir;
  TaskFiles files = writeTask(dir, "ipc://" + dir / "executors.sock");
  ZygoteFixture zygote(ExecutorZygoteOptions{.executorPath = AGORA_EXECUTOR_PATH,
                                             .workDir = dir.path(),
                                             .answerTimeout = 300ms,
                                             .closeTimeout = 300ms});
  pid_t first = zygote.zygotePid();
  pid_t spare = waitForSpare(first);
  ASSERT_GT(spare, 0);
  ASSERT_TRUE(stopProcess(spare));  // Holds the socket, takes nothing.
  ASSERT_TRUE(stopProcess(first));
  auto stuck = zygote.send(files.launch);
  ASSERT_EQ(stuck.wait_for(15s), std::future_status::ready);
  ExecutorZygote::Forked answer = stuck.get();
  EXPECT_EQ(answer.outcome, ExecutorZygote::Outcome::kUnknown);
  EXPECT_NE(answer.why.find("stopped answering"), std::string::npos) << answer.why;
  EXPECT_FALSE(running(first)) << "the stuck zygote was killed";
  kill(spare, SIGKILL);
  expectANewZygoteForks(zygote, files.launch, first);
}

TEST(ExecutorZygoteTest, AChangedBinaryGetsANewZygote) {
  testing::TestDir dir;
  std::string binary = dir / "agora-executor";
  std::filesystem::copy_file(AGORA_EXECUTOR_PATH, binary);
  std::filesystem::permissions(binary, std::filesystem::perms::owner_all);
  TaskFiles files = writeTask(dir, "ipc://" + dir / "executors.sock");
  files.launch.executorPath = binary;
  ZygoteFixture zygote(binary, dir.path());
  pid_t first = zygote.zygotePid();
  ASSERT_GT(first, 0);
  // An upgrade in place: the file's modification time changes.
  std::filesystem::last_write_time(
      binary, std::filesystem::last_write_time(binary) + std::chrono::seconds(10));
  expectANewZygoteForks(zygote, files.launch, first);
  EXPECT_FALSE(running(first)) << "the old zygote is stopped";
}

TEST(ExecutorZygoteTest, TheZygoteAndItsSpareAreGoneWithTheirOwner) {
  testing::TestDir dir;
  pid_t zygotePid = -1;
  pid_t spare = -1;
  {
    ZygoteFixture zygote(AGORA_EXECUTOR_PATH, dir.path());
    zygotePid = zygote.zygotePid();
    spare = waitForSpare(zygotePid);
    ASSERT_GT(spare, 0);
  }
  // Destroyed: the zygote was stopped and reaped; its spare sees its stdin close and exits.
  EXPECT_FALSE(running(zygotePid));
  EXPECT_TRUE(waitUntil([&] { return !running(spare); }));
}

}  // namespace
}  // namespace agora::slave
