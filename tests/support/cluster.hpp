// A real cluster for integration tests: an `agora-master` and `agora-agent` processes on
// loopback, each with its own port and work dir under a fresh temporary directory. Timeouts
// are short so failure detection takes seconds; every wait is on a condition, with a
// deadline that fails the test with a description of what did not happen.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

namespace agora::testing {

// Directory of the built binaries (agora-master, agora-agent, ...).
std::string binDir();

class TestCluster {
 public:
  TestCluster();
  ~TestCluster();

  void startMaster(const std::vector<std::string>& extraFlags = {});
  void stopMaster(int sig);
  // Starts agent `index` (re-using its port and work dir when it was started before).
  void startAgent(int index, const std::string& resources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]",
                  const std::vector<std::string>& extraFlags = {});
  void stopAgent(int index, int sig);
  // Starts master and `agents` agents and waits until all are registered.
  void start(int agents);

  std::string masterAddress() const { return "127.0.0.1:" + std::to_string(masterPort_); }
  const std::string& dir() const { return dir_; }
  Process* agentProcess(int index) { return agents_.at(index).get(); }

  nlohmann::json state() const;  // GET /state (null when unreachable)
  nlohmann::json agentState(int index) const;
  nlohmann::json tasks() const;  // GET /tasks with no limit
  // Polls `condition` until true or fails the current test after `seconds`.
  bool waitFor(const std::function<bool()>& condition, double seconds, const std::string& what);
  bool waitForAgents(int registered, double seconds = 30);
  // The task's JSON from /state (active or completed), or null.
  nlohmann::json findTask(const std::string& taskId) const;
  // The task's sandbox directory on agent `agent` (its /state names it); "" if unknown.
  std::string sandboxDir(int agent, const std::string& taskId) const;
  // A file of the task's sandbox on agent `agent` (its /state names the
  // directory); "" if the task or the file is not there.
  std::string sandboxFile(int agent, const std::string& taskId, const std::string& file) const;

  // Runs a CLI binary to completion: returns exit status and puts stdout in `out`.
  int runTool(const std::vector<std::string>& argv, std::string* out, double seconds = 120);

 private:
  std::string dir_;
  int masterPort_;
  std::unique_ptr<Process> master_;
  std::vector<std::unique_ptr<Process>> agents_;
  std::vector<int> agentPorts_;
};

}  // namespace agora::testing
