// Many simulated agents in one process, each with its own ZeroMQ DEALER connection to a
// real master: they register, heartbeat, and answer RunTask at once with RUNNING and then
// FINISHED (acknowledgements are not waited for). With `taskSeconds <= 0` tasks run until
// the benchmark ends. After a master failover (REREGISTER_REQUEST) each agent re-registers
// with every task it runs. For benchmarks only.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/transport/sockets.hpp"

namespace agora::bench {

double nowSeconds();

class SimulatedAgents {
 public:
  SimulatedAgents(zmq::context_t& context, const std::string& endpoint, int count,
                  const std::string& resources, double taskSeconds);
  ~SimulatedAgents();
  // Sends every registration; `pump()` processes replies.
  void registerAll();
  // Handles whatever has arrived (non-blocking), sends due heartbeats and finishes tasks
  // whose time has come. Returns the number of messages handled.
  int pump(int timeoutMillis);
  int registered() const { return registered_; }
  int reregistered() const { return reregistered_; }
  long tasksStarted() const { return tasksStarted_; }

 private:
  struct Agent {
    std::unique_ptr<DealerSocket> socket;
    std::string id;
    std::vector<v1::Task> tasks;  // Long-running tasks only (taskSeconds <= 0).
  };
  struct Running {
    double due;
    size_t agent;
    std::string frameworkId;
    std::string taskId;
  };
  void handle(size_t index, const v1::Envelope& envelope);
  void reregister(size_t index);
  // Receives and handles everything the agent's socket holds.
  int drain(size_t index);
  v1::AgentInfo info(size_t index) const;
  void sendUpdate(size_t index, const std::string& frameworkId, const std::string& taskId,
                  v1::TaskState state);

  std::vector<Agent> agents_;
  // epoll over every socket's ZMQ_FD: zmq_poll over thousands of sockets costs more CPU
  // than the master it is meant to load (the simulators share the machine's two cores).
  int epoll_ = -1;
  std::string resources_;
  double taskSeconds_;
  int registered_ = 0;
  int reregistered_ = 0;
  long tasksStarted_ = 0;
  std::vector<Running> running_;
  double heartbeatEpoch_ = nowSeconds();
  size_t heartbeatsSent_ = 0;  // Since the epoch, over all agents in turn.
};

}  // namespace agora::bench
