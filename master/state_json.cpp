// Read-only views of the master's state for the HTTP API: /tasks and the gauges (/state is
// in state_assembly.cpp).
#include <algorithm>

#include "common/base/ids.hpp"
#include "common/http/http.hpp"
#include "common/resources/domain.hpp"
#include "master/master.hpp"
#include "master/task_json_writer.hpp"

namespace agora::master {

SplicedJson Master::tasksJson(const std::map<std::string, std::string>& query) const {
  auto param = [&](const std::string& name) {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  size_t limit = param("limit").empty() ? 100 : std::stoul(param("limit"));
  size_t offset = param("offset").empty() ? 0 : std::stoul(param("offset"));
  std::string frameworkId = param("framework_id");
  std::string taskId = param("task_id");
  std::string state = param("state");
  std::vector<const v1::Task*> matched;
  auto consider = [&](const v1::Task& task) {
    if ((frameworkId.empty() || task.framework_id().value() == frameworkId) &&
        (taskId.empty() || task.task_id().value() == taskId) &&
        (state.empty() || v1::TaskState_Name(task.state()) == state)) {
      matched.push_back(&task);
    }
  };
  for (const auto& [key, entry] : tasks_) {
    consider(entry.task);
  }
  for (const auto& [id, framework] : frameworks_) {
    for (const v1::Task& task : framework->completedTasks) {
      consider(task);
    }
  }
  for (const auto& done : completedFrameworks_) {
    for (const v1::Task& task : done.tasks) {
      consider(task);
    }
  }
  if (param("order") == "des") {
    std::reverse(matched.begin(), matched.end());
  }
  std::string tasks = "[";
  for (size_t i = offset, written = 0; i < matched.size() && written < limit; ++i, ++written) {
    if (written > 0) tasks.push_back(',');
    appendTaskJson(&tasks, *matched[i], nullptr);
  }
  tasks.push_back(']');
  SplicedJson document;
  document.skeleton = {{"tasks", document.add(std::move(tasks))}};
  return document;
}

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
