// Real containers through the real `runc`, with a busybox rootfs built in a temp dir: a
// container has its own pid 1 and hostname and writes its stdout to a file; the exit code
// and the killing signal come back through `waitContainer()` (we are the subreaper); the
// memory and cpu limits land in the container's cgroup and an allocation past the memory
// limit is OOM-killed; `remove()` clears runc's state and the cgroup; runc's errors reach
// the caller. Skipped (with the reason) when not root, without runc or without a static
// busybox.
#include "slave/containerizer/runc.hpp"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "slave/containerizer/bundle.hpp"
#include "slave/containerizer/cgroups.hpp"
#include "slave/containerizer/oci_spec.hpp"
#include "test_dir.hpp"
#include "tests/support/busybox_rootfs.hpp"

namespace agora::slave::oci {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr milliseconds kTimeout(20000);
constexpr char kCgroupRoot[] = "/sys/fs/cgroup";

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `condition` every 10 ms until it holds or `kTimeout` passes.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}

class RuncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "runc tests need root (containers need namespaces and cgroups)";
    }
    StatusOr<Runc> runc = Runc::open({.stateDir = dir_ / "state"});
    if (!runc.isOk()) {
      GTEST_SKIP() << "no runc: " << runc.status().message() << " (apt-get install runc)";
    }
    if (!agora::testing::haveStaticBusybox()) {
      GTEST_SKIP() << "no static busybox at /bin/busybox (apt-get install busybox-static)";
    }
    runc_.emplace(*runc);
    ASSERT_TRUE(agora::testing::makeBusyboxRootfs(rootfs()).isOk());
    ASSERT_TRUE(becomeSubreaper().isOk());
    cgroupParent_ = "/agora-test-" + fs::path(dir_.path()).filename().string();
  }

  void TearDown() override {
    for (const std::string& id : launched_) {
      runc_->remove(id, RemoveMode::kForce).ignoreError();  // Also removes its cgroup.
    }
    for (const auto& [id, pid] : running_) {
      waitContainer(pid, kTimeout).status().ignoreError();
    }
    if (runc_) {
      ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);  // Leave other tests' orphans to init.
      removeCgroupParent();
    }
  }

  // runc removes the container's own cgroup but not the parent we chose.
  void removeCgroupParent() {
    std::error_code ignored;
    fs::remove(kCgroupRoot + cgroupParent_, ignored);  // v2
    for (const fs::directory_entry& hierarchy : fs::directory_iterator(kCgroupRoot, ignored)) {
      fs::remove(hierarchy.path().string() + cgroupParent_, ignored);  // v1
    }
  }

  std::string rootfs() const { return dir_ / "rootfs"; }
  std::string sandbox(const std::string& id) const { return dir_ / ("sandbox-" + id); }
  std::string bundle(const std::string& id) const { return dir_ / ("bundle-" + id); }
  std::string cgroupsPath(const std::string& id) const { return cgroupParent_ + "/" + id; }
  std::string stdoutOf(const std::string& id) const { return readText(sandbox(id) + "/stdout"); }

  ContainerConfig config(const std::string& id, std::vector<std::string> args) const {
    return ContainerConfig{.rootfs = rootfs(),
                           .args = std::move(args),
                           .hostname = "agora-" + id,
                           .cpus = 0.5,
                           .memBytes = 64ull << 20,
                           .pidsLimit = 64,
                           .hostNetwork = false,
                           .sandboxHostPath = sandbox(id),
                           .sandboxContainerPath = "/sandbox",
                           .cgroupsPath = cgroupsPath(id)};
  }

  // Writes the bundle, creates and starts container `id`; returns its init's pid.
  pid_t launch(const std::string& id, const ContainerConfig& config) {
    fs::create_directories(sandbox(id));
    launched_.push_back(id);
    Status written = writeBundle(bundle(id), config);
    EXPECT_TRUE(written.isOk()) << written.message();
    StatusOr<pid_t> pid =
        runc_->create(id, bundle(id), sandbox(id) + "/stdout", sandbox(id) + "/stderr");
    EXPECT_TRUE(pid.isOk()) << pid.status().message();
    if (!pid.isOk()) {
      return -1;
    }
    running_[id] = *pid;
    Status started = runc_->start(id);
    EXPECT_TRUE(started.isOk()) << started.message();
    return *pid;
  }

  // Waits for container `id` to exit and reaps it.
  ExitStatus wait(const std::string& id) {
    StatusOr<ExitStatus> exit = waitContainer(running_.at(id), kTimeout);
    EXPECT_TRUE(exit.isOk()) << exit.status().message();
    if (exit.isOk()) {
      running_.erase(id);
    }
    return exit.isOk() ? *exit : ExitStatus{.code = -1};
  }

  slave::testing::TestDir dir_;
  std::optional<Runc> runc_;
  std::string cgroupParent_;
  std::vector<std::string> launched_;     // Containers to remove at the end.
  std::map<std::string, pid_t> running_;  // Containers whose init we have not reaped.
};

TEST_F(RuncTest, RunsWithItsOwnPidOneAndHostname) {
  launch("hello", config("hello", {"sh", "-c", "echo hello; hostname; echo $$"}));
  ExitStatus exit = wait("hello");
  EXPECT_EQ(exit.code, 0);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_EQ(stdoutOf("hello"), "hello\nagora-hello\n1\n");
}

// What the executor uses: create and start in one runc process, the init our child.
TEST_F(RuncTest, RunDetachedStartsTheContainerAndExistsTellsItsState) {
  fs::create_directories(sandbox("detached"));
  launched_.push_back("detached");
  ASSERT_TRUE(
      writeBundle(bundle("detached"), config("detached", {"sh", "-c", "echo up; exit 4"})).isOk());
  EXPECT_FALSE(runc_->exists("detached"));
  StatusOr<pid_t> pid =
      runc_->runDetached("detached", bundle("detached"), sandbox("detached") + "/stdout",
                         sandbox("detached") + "/stderr");
  ASSERT_TRUE(pid.isOk()) << pid.status().message();
  running_["detached"] = *pid;
  EXPECT_TRUE(runc_->exists("detached"));
  EXPECT_EQ(wait("detached").code, 4);
  EXPECT_EQ(stdoutOf("detached"), "up\n");
  ASSERT_TRUE(runc_->remove("detached", RemoveMode::kForce).isOk());
  EXPECT_FALSE(runc_->exists("detached"));
}

TEST_F(RuncTest, ReportsTheExitCode) {
  launch("three", config("three", {"sh", "-c", "exit 3"}));
  ExitStatus exit = wait("three");
  EXPECT_EQ(exit.code, 3);
  EXPECT_EQ(exit.signal, 0);
}

TEST_F(RuncTest, SandboxIsWritableAndReadOnlyRootIsNot) {
  ContainerConfig readOnly = config("ro", {"sh", "-c",
                                           "echo data > /sandbox/file && "
                                           "(echo x > /rootfile) 2>/dev/null || echo read-only"});
  readOnly.readOnlyRootfs = true;
  launch("ro", readOnly);
  EXPECT_EQ(wait("ro").code, 0);
  EXPECT_EQ(stdoutOf("ro"), "read-only\n");
  EXPECT_EQ(readText(sandbox("ro") + "/file"), "data\n");
  EXPECT_FALSE(fs::exists(rootfs() + "/rootfile"));
}

TEST_F(RuncTest, KillEndsTheContainerWithTheSignal) {
  // The init traps SIGTERM: the kernel drops signals a pid-namespace init has no handler for.
  launch("term",
         config("term", {"sh", "-c", "trap 'exit 143' TERM; echo ready; sleep 1000 & wait"}));
  ASSERT_TRUE(eventually([&] { return stdoutOf("term") == "ready\n"; })) << stdoutOf("term");
  ASSERT_TRUE(runc_->kill("term", SIGTERM).isOk());
  EXPECT_EQ(wait("term").code, 143);

  launch("sleep", config("sleep", {"sleep", "1000"}));
  StatusOr<ContainerState> state = runc_->state("sleep");
  ASSERT_TRUE(state.isOk()) << state.status().message();
  EXPECT_EQ(state->status, "running");
  EXPECT_EQ(state->pid, running_.at("sleep"));
  ASSERT_TRUE(runc_->kill("sleep", SIGKILL).isOk());
  ExitStatus exit = wait("sleep");
  EXPECT_EQ(exit.signal, SIGKILL);
}

TEST_F(RuncTest, BareInitIgnoresSigterm) {
  launch("bare", config("bare", {"sleep", "1000"}));
  // Until runc's init has exec'd `sleep`, it is runc's Go code that a SIGTERM would end.
  std::string comm = "/proc/" + std::to_string(running_.at("bare")) + "/comm";
  ASSERT_TRUE(eventually([&] { return readText(comm) == "sleep\n"; })) << readText(comm);
  ASSERT_TRUE(runc_->kill("bare", SIGTERM).isOk());
  // A bounded wait for something that must not happen; the executor's grace period.
  StatusOr<ExitStatus> exit = waitContainer(running_.at("bare"), milliseconds(300));
  EXPECT_EQ(exit.status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(runc_->kill("bare", SIGKILL).isOk());
  EXPECT_EQ(wait("bare").signal, SIGKILL);
}

TEST_F(RuncTest, AppliesCpuAndMemoryLimitsToTheCgroup) {
  StatusOr<CgroupLayout> layout = detectCgroupLayout();
  ASSERT_TRUE(layout.isOk()) << layout.status().message();
  launch("limits", config("limits", {"sleep", "1000"}));
  StatusOr<uint64_t> limit = memoryLimit(*layout, cgroupsPath("limits"));
  ASSERT_TRUE(limit.isOk()) << limit.status().message();
  EXPECT_EQ(*limit, 64ull << 20);
  if (*layout == CgroupLayout::kV1) {
    EXPECT_EQ(readText(kCgroupRoot + ("/cpu" + cgroupsPath("limits")) + "/cpu.cfs_quota_us"),
              "50000\n");
    EXPECT_EQ(readText(kCgroupRoot + ("/cpu" + cgroupsPath("limits")) + "/cpu.shares"), "512\n");
  } else {
    EXPECT_EQ(readText(kCgroupRoot + cgroupsPath("limits") + "/cpu.max"), "50000 100000\n");
  }
}

TEST_F(RuncTest, AllocatingPastTheMemoryLimitIsOomKilled) {
  StatusOr<CgroupLayout> layout = detectCgroupLayout();
  ASSERT_TRUE(layout.isOk()) << layout.status().message();
  ContainerConfig hog =
      config("hog", {"sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' x); echo survived"});
  hog.memBytes = 32ull << 20;
  launch("hog", hog);
  EXPECT_EQ(wait("hog").signal, SIGKILL);
  EXPECT_EQ(stdoutOf("hog"), "");
  // The cgroup outlives the init until `remove()`, so the OOM kill can still be read.
  StatusOr<uint64_t> kills = oomKillCount(*layout, cgroupsPath("hog"));
  ASSERT_TRUE(kills.isOk()) << kills.status().message();
  EXPECT_GE(*kills, 1u);
}

TEST_F(RuncTest, RemoveClearsStateAndCgroup) {
  launch("gone", config("gone", {"true"}));
  wait("gone");
  StatusOr<ContainerState> state = runc_->state("gone");
  ASSERT_TRUE(state.isOk()) << state.status().message();
  EXPECT_EQ(state->status, "stopped");

  ASSERT_TRUE(runc_->remove("gone", RemoveMode::kIfStopped).isOk());
  EXPECT_EQ(runc_->state("gone").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(runc_->stateDir() + "/gone"));
  StatusOr<CgroupLayout> layout = detectCgroupLayout();
  ASSERT_TRUE(layout.isOk());
  EXPECT_FALSE(fs::exists(memoryCgroupDir(*layout, cgroupsPath("gone"))));
}

// What the executor does instead of `runc delete` for a container whose init it reaped.
TEST_F(RuncTest, RemoveExitedClearsStateAndCgroupsWithoutRuncAndRefusesABusyOne) {
  StatusOr<CgroupLayout> layout = detectCgroupLayout();
  ASSERT_TRUE(layout.isOk());
  launch("busy", config("busy", {"sleep", "1000"}));
  Status refused = runc_->removeExited("busy");
  EXPECT_EQ(refused.code(), StatusCode::kIoError);
  EXPECT_NE(refused.message().find("cannot remove cgroup"), std::string::npos) << refused.message();
  EXPECT_TRUE(fs::exists(memoryCgroupDir(*layout, cgroupsPath("busy"))));
  EXPECT_TRUE(runc_->exists("busy"));

  launch("done", config("done", {"true"}));
  wait("done");
  ASSERT_TRUE(runc_->removeExited("done").isOk());
  EXPECT_FALSE(runc_->exists("done"));
  EXPECT_EQ(runc_->state("done").status().code(), StatusCode::kNotFound);
  // Under every hierarchy runc put it in, named and unified ones included.
  for (const fs::directory_entry& hierarchy : fs::directory_iterator(kCgroupRoot)) {
    EXPECT_FALSE(fs::exists(hierarchy.path().string() + cgroupsPath("done"))) << hierarchy.path();
  }
  EXPECT_EQ(runc_->removeExited("done").code(), StatusCode::kNotFound);
}

TEST_F(RuncTest, RemoveRefusesARunningContainerUnlessForced) {
  launch("busy", config("busy", {"sleep", "1000"}));
  Status refused = runc_->remove("busy", RemoveMode::kIfStopped);
  EXPECT_FALSE(refused.isOk());
  EXPECT_NE(refused.message().find("runc delete busy"), std::string::npos) << refused.message();
  ASSERT_TRUE(runc_->remove("busy", RemoveMode::kForce).isOk());
  EXPECT_EQ(wait("busy").signal, SIGKILL);
}

TEST_F(RuncTest, CreateErrorsCarryRuncsMessage) {
  fs::create_directories(sandbox("bad"));
  ASSERT_TRUE(writeBundle(bundle("bad"), config("bad", {"/no/such/binary"})).isOk());
  StatusOr<pid_t> pid =
      runc_->create("bad", bundle("bad"), sandbox("bad") + "/stdout", sandbox("bad") + "/stderr");
  ASSERT_FALSE(pid.isOk());
  EXPECT_NE(pid.status().message().find("/no/such/binary"), std::string::npos)
      << pid.status().message();
  EXPECT_EQ(runc_->state("bad").status().code(), StatusCode::kNotFound);
}

TEST_F(RuncTest, RejectsIdsRuncWouldMisread) {
  EXPECT_EQ(runc_->start("--all").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(runc_->kill("a/b", SIGKILL).code(), StatusCode::kInvalidArgument);
}

TEST_F(RuncTest, WaitingForANonChildFails) {
  EXPECT_EQ(waitContainer(1, kTimeout).status().code(), StatusCode::kFailedPrecondition);
}

TEST(RuncOpenTest, MissingBinaryIsNotFound) {
  StatusOr<Runc> runc = Runc::open({.binary = "/nonexistent/runc", .stateDir = "/tmp/x"});
  EXPECT_EQ(runc.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Runc::open({.stateDir = ""}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agora::slave::oci
