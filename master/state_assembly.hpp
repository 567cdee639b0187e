// The /state document written in steps: at 10,000 agents and 100,000 tasks it is about
// 50 MB of JSON and takes the better part of a second to write. Written in one loop
// callback it would hold up every agent and framework message that long; a StateAssembly
// is written a few milliseconds per loop turn instead, and handed over when complete.
//
// The price of not stopping the world: what changes between two steps shows as it was when
// its own step ran (a task that ends meanwhile may show among the active tasks and among
// the completed ones; an agent or framework that leaves before its step is left out).
// Every agent, framework and task in the document is itself consistent.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/resources/resources.hpp"
#include "master/allocator/drf_allocator.hpp"
#include "master/entities.hpp"
#include "master/task_json_writer.hpp"

namespace agora::master {

struct StateAssembly {
  using Done = std::function<void(SplicedJson)>;

  // A framework's active tasks, written in key order: a step resumes after the last key
  // written (the set may change in between; copying 100,000 keys up front would be a
  // stall of its own).
  struct FrameworkTasks {
    std::string frameworkId;
    std::optional<TaskKey> lastWritten;
    std::string text = "[";
    // Why it gets no offers: decided once its tasks are written, by a walk over the agents
    // for a framework that holds no offers (spread over turns like the rest).
    bool pendingStarted = false;
    std::vector<DrfAllocator::PendingScan> pendingScans;
    std::string pendingReason;
  };

  Done done;
  SplicedJson document;
  // For the log line that says where a slow /state spent its time.
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration writing{};
  int turns = 0;
  std::vector<std::string> agentIds;
  size_t nextAgent = 0;
  std::string agentsText = "[";
  int activeAgents = 0;
  int unreachableAgents = 0;
  std::vector<FrameworkTasks> frameworks;
  size_t nextFramework = 0;
  size_t nextPending = 0;
};

}  // namespace agora::master
