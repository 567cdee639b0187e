// The master's gauges for /metrics (/state is in state_assembly.cpp, /tasks and the web
// UI's lists in http_listing.cpp).
#include "common/base/ids.hpp"
#include "master/master.hpp"

namespace agora::master {

void Master::refreshGauges() {
  for (auto [state, name] : {std::pair{v1::TASK_STAGING, "staging"},
                              {v1::TASK_STARTING, "starting"},
                              {v1::TASK_RUNNING, "running"},
                              {v1::TASK_KILLING, "killing"},
                              {v1::TASK_UNREACHABLE, "unreachable"}}) {
    auto count = tasksByState_.find(state);
    metrics_.set(std::string("master/tasks_") + name,
                 count == tasksByState_.end() ? 0 : count->second);
  }
  int active = 0;
  int unreachable = 0;
  // Counting only: resource sums are kept up to date elsewhere (a gauge refresh must stay
  // cheap at 10,000 agents and 100,000 tasks; /metrics is polled).
  for (const auto& [id, agent] : agents_) {
    active += agent->state == AgentState::kRegistered;
    unreachable += agent->state == AgentState::kUnreachable;
  }
  const Resources& total = allocator_.clusterTotal();
  int connected = 0;
  for (const auto& [id, framework] : frameworks_) {
    connected += framework->state == FrameworkState::kConnected;
  }
  metrics_.set("master/slaves_active", active);
  metrics_.set("master/slaves_unreachable", unreachable);
  metrics_.set("master/frameworks_connected", connected);
  metrics_.set("master/frameworks_disconnected", frameworks_.size() - connected);
  metrics_.set("master/outstanding_offers", offers_.size());
  metrics_.set("master/tasks_active", tasks_.size());
  metrics_.set("master/uptime_secs", wallSeconds() - startTime_);
  metrics_.set("master/elected", 1);
  // The longest the loop spent in one callback since the previous snapshot.
  metrics_.set("master/loop_max_stall_ms", loop_.takeMaxCallbackMillis());
  for (const char* name : {"cpus", "mem", "disk", "gpus"}) {
    metrics_.set(std::string("master/") + name + "_total", total.scalar(name));
    metrics_.set(std::string("master/") + name + "_used", tasksUsed_.scalar(name));
  }
}

}  // namespace agora::master
