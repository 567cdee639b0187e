// The master's records of agents, frameworks, tasks and offers. Plain data owned by
// `Master` (one map each, keyed by id); cross-references are ids.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "agora/internal/agent.pb.h"
#include "agora/internal/registry.pb.h"
#include "agora/v1/common.pb.h"
#include "common/event/event_loop.hpp"
#include "common/resources/resources.hpp"

namespace agora::master {

using TimePoint = std::chrono::steady_clock::time_point;
// Tasks are keyed by (framework id, task id): task ids are unique per framework.
using TaskKey = std::pair<std::string, std::string>;
struct TaskKeyHash {
  size_t operator()(const TaskKey& key) const {
    return std::hash<std::string>()(key.first) * 31 + std::hash<std::string>()(key.second);
  }
};

enum class AgentState {
  kRecovered,    // Known from the registry after a master restart; not yet re-registered.
  kRegistered,   // Connected and offering resources.
  kUnreachable,  // Missed its heartbeats; tasks reported unreachable.
};
const char* toString(AgentState state);

struct TaskEntry;

struct AgentEntry {
  // The only way to change `state`: checks the edge is legal and logs `from -> to`.
  void transitionTo(AgentState next);

  // Sets `total` from what the agent reports, with the dynamic reservations and the
  // persistent volumes applied.
  void setTotal(const Resources& reported);
  // What the agent reports, computed back from `total` (the inverse of `setTotal`).
  Resources reportedResources() const;

  std::string id;
  v1::AgentInfo info;
  Resources total;         // What the agent has, dynamic reservations applied.
  Resources reservations;  // Dynamic reservations (role-owned), persisted in the registry.
  // Persistent volumes, persisted in the registry; each replaces as much disk of its role.
  Resources volumes;
  AgentState state = AgentState::kRecovered;
  std::string identity;  // ZeroMQ identity of the current connection.
  // The identity the registry holds for the agent (rewritten when the agent reconnects
  // with another one, e.g. after an agent restart).
  std::string recordedIdentity;
  TimePoint lastHeard;
  double registeredTime = 0;
  std::set<TaskKey> tasks;
  std::set<std::string> offers;
  // Operator drain (DRAIN_AGENT); persisted in the agent's registry record.
  internal::DrainInfo drain;
  bool deactivated = false;
  // Terminal updates forwarded but not yet acknowledged, by task (their uuid): a draining
  // agent is DRAINED only once these are empty.
  std::map<TaskKey, std::string> unacknowledged;
  // What its containers used at its latest heartbeat (summed over them).
  internal::ContainerUsage usage;

  bool draining() const { return drain.state() != internal::DrainInfo::UNKNOWN; }
  std::string httpAddress() const {
    return info.hostname() + ":" + std::to_string(info.port());
  }
};

enum class FrameworkState {
  kConnected,
  kDisconnected,  // Failover timer running; tasks kept.
};
const char* toString(FrameworkState state);

struct FrameworkEntry {
  // The only way to change `state`: logs `from -> to` (every edge is legal).
  void transitionTo(FrameworkState next);

  std::string id;
  v1::FrameworkInfo info;
  // The roles it subscribed to ("*" when it named none); offers are allocated to one each.
  std::vector<std::string> roles;
  FrameworkState state = FrameworkState::kDisconnected;
  std::string identity;
  // The identity the registry holds for it (rewritten when it subscribes on another
  // connection).
  std::string recordedIdentity;
  TimePoint lastHeard;
  double registeredTime = 0;
  EventLoop::TimerId failoverTimer = 0;
  // Its active tasks, each with its record in Master::tasks_ (whose nodes do not move):
  // walks over 100,000 of them (/state, /tasks) need no hash lookup per task.
  std::map<TaskKey, TaskEntry*> tasks;
  Resources used;  // What its active tasks use (kept by addTaskEntry / eraseTaskEntry).
  std::deque<v1::Task> completedTasks;
  std::set<std::string> offers;

  bool partitionAware() const;
  bool hasCapability(v1::FrameworkInfo::Capability::Type type) const;
};

// Appends `status` to the task's history without the ids the task itself holds (task and
// agent id): at 100,000 tasks with several statuses each those copies add up.
void recordStatus(v1::Task& task, v1::TaskStatus status);

struct TaskEntry {
  v1::Task task;
  Resources resources;
  // A KILL arrived; re-sent to the agent when it re-registers (it may have missed it).
  bool killRequested = false;
  v1::KillPolicy killPolicy;
  // `task` as /state writes it (appendTaskJson), kept from one /state to the next: walking
  // 100,000 scattered Task protos is most of /state's time, reading their text is not.
  // Empty when stale: Master::setTaskState and recordTaskStatus clear it (the only changes
  // to a recorded task); /state writes it again.
  std::string json;
};

struct OfferEntry {
  v1::Offer offer;
  Resources resources;
  std::string frameworkId;
  std::string agentId;
  std::string role;  // The role it is allocated to.
  EventLoop::TimerId timeoutTimer = 0;
};


}  // namespace agora::master
