#include "tests/support/cluster.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/base/ids.hpp"
#include "common/http/http.hpp"

namespace agora::testing {

std::string binDir() { return AGORA_BIN_DIR; }

TestCluster::TestCluster() : masterPort_(freePort()) {
  dir_ = (std::filesystem::temp_directory_path() / ("agora-it-" + newUuid().substr(0, 12))).string();
  std::filesystem::create_directories(dir_);
}

namespace {

void killProcessesUnder(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code gone;
    std::string cwd = std::filesystem::read_symlink(entry.path() / "cwd", gone).string();
    if (!gone && cwd.rfind(dir + "/", 0) == 0) ::kill(std::stoi(pid), SIGKILL);
  }
}

}  // namespace

TestCluster::~TestCluster() {
  agents_.clear();
  master_.reset();
  // Executors run in their own sessions (they must survive agent restarts), and so do
  // their tasks: kill every process working in this cluster's directory.
  killProcessesUnder(dir_);
  int ignored;
  std::string cmd;
  // Their containers outlive them (with no agent left to destroy them): remove them, and
  // their rootfs mounts, or they would run on after the test.
  cmd = "for r in " + dir_ +
        "/agent*/runc; do [ -d \"$r\" ] && runc --root \"$r\" list -q |"
        " xargs -r -n1 runc --root \"$r\" delete --force; done >/dev/null 2>&1;"
        " grep -o ' " +
        dir_ +
        "/[^ ]*' /proc/self/mounts | xargs -r -n1 umount -l"
        " >/dev/null 2>&1";
  ignored = std::system(cmd.c_str());
  (void)ignored;
  // AGORA_KEEP_LOGS=1 keeps them after a pass too (to read a benchmark's timeline).
  const char* keep = std::getenv("AGORA_KEEP_LOGS");
  if (!::testing::Test::HasFailure() && (keep == nullptr || std::string(keep) != "1")) {
    std::filesystem::remove_all(dir_);
  } else {
    std::cerr << "Logs kept in " << dir_ << std::endl;
  }
}

void TestCluster::startMaster(const std::vector<std::string>& extraFlags) {
  std::vector<std::string> argv = {binDir() + "/agora-master",
                                   "--ip=127.0.0.1",
                                   "--port=" + std::to_string(masterPort_),
                                   "--work_dir=" + dir_ + "/master",
                                   "--agent_ping_timeout=0.5secs",
                                   "--max_agent_ping_timeouts=4",
                                   "--framework_heartbeat_interval=0.5secs",
                                   "--allocation_interval=0.25secs",
                                   "--agent_reregister_timeout=20secs"};
  argv.insert(argv.end(), extraFlags.begin(), extraFlags.end());
  master_ = Process::spawn(argv, dir_ + "/master.log");
  waitFor([&] { return !state().is_null(); }, 30, "the master answers /state");
}

void TestCluster::stopMaster(int sig) {
  master_->signal(sig);
  master_->waitFor(30);
  master_.reset();
}

void TestCluster::startAgent(int index, const std::string& resources,
                             const std::vector<std::string>& extraFlags) {
  while (static_cast<int>(agents_.size()) <= index) {
    agents_.emplace_back();
    agentPorts_.push_back(freePort());
  }
  std::string work = dir_ + "/agent" + std::to_string(index);
  std::vector<std::string> argv = {binDir() + "/agora-agent",
                                   "--master=" + masterAddress(),
                                   "--ip=127.0.0.1",
                                   "--port=" + std::to_string(agentPorts_[index]),
                                   "--work_dir=" + work,
                                   "--resources=" + resources};
  argv.insert(argv.end(), extraFlags.begin(), extraFlags.end());
  agents_[index] = Process::spawn(argv, dir_ + "/agent" + std::to_string(index) + ".log");
}

void TestCluster::stopAgent(int index, int sig) {
  agents_.at(index)->signal(sig);
  agents_.at(index)->waitFor(30);
  agents_.at(index).reset();
}

void TestCluster::start(int agents) {
  startMaster();
  for (int i = 0; i < agents; ++i) {
    startAgent(i);
  }
  waitForAgents(agents);
}

nlohmann::json TestCluster::state() const {
  auto reply = httpGetJson(HostPort{"127.0.0.1", masterPort_}, "/state", std::chrono::seconds(5));
  return reply.isOk() ? *reply : nlohmann::json();
}

nlohmann::json TestCluster::tasks() const {
  auto reply = httpGetJson(HostPort{"127.0.0.1", masterPort_}, "/tasks?limit=1000000",
                           std::chrono::seconds(5));
  return reply.isOk() ? *reply : nlohmann::json();
}

nlohmann::json TestCluster::agentState(int index) const {
  auto reply = httpGetJson(HostPort{"127.0.0.1", agentPorts_.at(index)}, "/state",
                           std::chrono::seconds(5));
  return reply.isOk() ? *reply : nlohmann::json();
}

bool TestCluster::waitFor(const std::function<bool()>& condition, double seconds,
                          const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // Polling a condition.
  }
  ADD_FAILURE() << "timed out after " << seconds << "s waiting until " << what;
  return false;
}

bool TestCluster::waitForAgents(int registered, double seconds) {
  return waitFor(
      [&] {
        nlohmann::json s = state();
        return !s.is_null() && s["activated_slaves"].get<int>() == registered;
      },
      seconds, std::to_string(registered) + " agents are registered");
}

nlohmann::json TestCluster::findTask(const std::string& taskId) const {
  nlohmann::json s = state();
  if (s.is_null()) {
    return nullptr;
  }
  for (const auto& framework : s["frameworks"]) {
    for (const char* list : {"tasks", "completed_tasks"}) {
      for (const auto& task : framework[list]) {
        if (task["id"] == taskId) {
          return task;
        }
      }
    }
  }
  return nullptr;
}

std::string TestCluster::sandboxDir(int agent, const std::string& taskId) const {
  nlohmann::json s = agentState(agent);  // One snapshot: executors move between lists.
  if (s.is_null()) return "";
  for (const char* frameworks : {"frameworks", "completed_frameworks"}) {
    for (const auto& framework : s[frameworks]) {
      for (const char* executors : {"executors", "completed_executors"}) {
        for (const auto& executor : framework.value(executors, nlohmann::json::array())) {
          if (executor["id"] == taskId) return executor["directory"].get<std::string>();
        }
      }
    }
  }
  return "";
}

std::string TestCluster::sandboxFile(int agent, const std::string& taskId,
                                     const std::string& file) const {
  std::string dir = sandboxDir(agent, taskId);
  if (dir.empty()) return "";
  std::ifstream in(dir + "/" + file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int TestCluster::runTool(const std::vector<std::string>& argv, std::string* out, double seconds) {
  std::string outPath = dir_ + "/tool-" + newUuid().substr(0, 8) + ".out";
  auto process = Process::spawn(argv, outPath, {}, outPath + ".err");
  auto status = process->waitFor(seconds);
  std::ifstream in(outPath);
  std::stringstream text;
  text << in.rdbuf();
  if (out != nullptr) {
    *out = text.str();
  }
  if (!status) {
    ADD_FAILURE() << argv[0] << " did not finish within " << seconds << "s";
    return -1;
  }
  return *status;
}

}  // namespace agora::testing
