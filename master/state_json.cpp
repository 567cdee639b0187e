// Read-only JSON views of the master's state for the HTTP API (Mesos /state shapes).
#include <algorithm>

#include "common/base/ids.hpp"
#include "common/http/http.hpp"
#include "common/resources/domain.hpp"
#include "master/master.hpp"
#include "master/task_json_writer.hpp"

namespace agora::master {
namespace {

// Mesos' `reserved_resources_full`: role -> the reserved Resource objects, persistent
// volumes with their `disk` info.
nlohmann::json reservedResourcesFull(const Resources& total) {
  nlohmann::json byRole = nlohmann::json::object();
  for (const std::string& role : total.roles()) {
    if (role == Resources::kUnreservedRole) {
      continue;
    }
    google::protobuf::RepeatedPtrField<v1::Resource> protos;
    total.reservedTo(role).toProto(&protos);
    nlohmann::json list = nlohmann::json::array();
    for (const v1::Resource& resource : protos) {
      list.push_back(protoToJson(resource));
    }
    byRole[role] = list;
  }
  return byRole;
}

}  // namespace

SplicedJson Master::stateJson() const {
  SplicedJson document;
  nlohmann::json slaves = nlohmann::json::array();
  int active = 0;
  int unreachable = 0;
  for (const auto& [id, agent] : agents_) {
    Resources offered;
    for (const std::string& offerId : agent->offers) {
      offered += offers_.at(offerId).resources;
    }
    Resources used;
    if (allocator_.hasAgent(id)) {
      // What the allocator counts as taken there, less the offers: one subtraction instead
      // of one addition per task (100,000 of them at scale).
      used = agent->total - allocator_.available(id) - offered;
    } else {
      for (const TaskKey& key : agent->tasks) {
        auto task = tasks_.find(key);
        if (task != tasks_.end()) {
          used += task->second.resources;
        }
      }
    }
    active += agent->state == AgentState::kRegistered;
    unreachable += agent->state == AgentState::kUnreachable;
    slaves.push_back({{"id", id},
                      {"hostname", agent->info.hostname()},
                      {"port", agent->info.port()},
                      {"http_address", agent->httpAddress()},
                      {"attributes", attributesToJson(agent->info.attributes())},
                      {"domain", domainToJson(agent->info.domain())},
                      {"resources", agent->total.toJson()},
                      {"used_resources", used.toJson()},
                      {"offered_resources", offered.toJson()},
                      {"reserved_resources", [&] {
                         nlohmann::json byRole = nlohmann::json::object();
                         for (const std::string& role : agent->total.roles()) {
                           if (role != Resources::kUnreservedRole) {
                             byRole[role] = agent->total.reservedTo(role).toJson();
                           }
                         }
                         return byRole;
                       }()},
                      {"reserved_resources_full", reservedResourcesFull(agent->total)},
                      {"active", agent->state == AgentState::kRegistered},
                      {"state", toString(agent->state)},
                      {"registered_time", agent->registeredTime},
                      {"deactivated", agent->deactivated}});
    if (agent->draining()) {
      nlohmann::json config = {{"mark_gone", agent->drain.config().mark_gone()}};
      if (agent->drain.config().has_max_grace_period()) {
        config["max_grace_period"] = {
            {"nanoseconds", agent->drain.config().max_grace_period().nanoseconds()}};
      }
      slaves.back()["drain_info"] = {
          {"state", internal::DrainInfo::State_Name(agent->drain.state())}, {"config", config}};
    }
  }
  auto frameworkJson = [&](const v1::FrameworkInfo& info) {
    return nlohmann::json{{"id", info.id().value()},
                          {"name", info.name()},
                          {"user", info.user()},
                          {"failover_timeout", info.failover_timeout()}};
  };
  nlohmann::json frameworks = nlohmann::json::array();
  for (const auto& [id, framework] : frameworks_) {
    nlohmann::json out = frameworkJson(framework->info);
    Resources used;
    std::string tasks = "[";
    // Roughly what a task takes as text: growing tens of MB by doubling costs page faults.
    tasks.reserve(framework->tasks.size() * 640);
    for (const TaskKey& key : framework->tasks) {
      const TaskEntry& task = tasks_.at(key);
      used += task.resources;
      if (tasks.size() > 1) tasks.push_back(',');
      appendTaskJson(&tasks, task.task, &task.resources);
    }
    tasks.push_back(']');
    std::string completed = "[";
    for (const v1::Task& task : framework->completedTasks) {
      if (completed.size() > 1) completed.push_back(',');
      appendTaskJson(&completed, task, nullptr);
    }
    completed.push_back(']');
    Resources offered;
    nlohmann::json offers = nlohmann::json::array();
    for (const std::string& offerId : framework->offers) {
      const OfferEntry& offer = offers_.at(offerId);
      offered += offer.resources;
      offers.push_back({{"id", offerId},
                        {"slave_id", offer.agentId},
                        {"resources", offer.resources.toJson()}});
    }
    out["role"] = framework->roles.front();
    out["roles"] = framework->roles;
    out["active"] = framework->state == FrameworkState::kConnected;
    out["connected"] = framework->state == FrameworkState::kConnected;
    out["registered_time"] = framework->registeredTime;
    out["used_resources"] = used.toJson();
    out["offered_resources"] = offered.toJson();
    out["tasks"] = document.add(std::move(tasks));
    out["completed_tasks"] = document.add(std::move(completed));
    out["offers"] = offers;
    out["suppressed"] = allocator_.isSuppressed(id);
    // Only a framework holding no offers is waiting for something; the reason costs a pass
    // over the agents, so it is not computed for the others.
    out["pending_reason"] = framework->offers.empty()
                                ? allocator_.pendingReason(id, loop_.now())
                                : "holds " + std::to_string(framework->offers.size()) + " offers";
    frameworks.push_back(out);
  }
  nlohmann::json completedFrameworks = nlohmann::json::array();
  for (const auto& done : completedFrameworks_) {
    nlohmann::json out = frameworkJson(done.info);
    std::string tasks = "[";
    for (const v1::Task& task : done.tasks) {
      if (tasks.size() > 1) tasks.push_back(',');
      appendTaskJson(&tasks, task, nullptr);
    }
    tasks.push_back(']');
    out["completed_tasks"] = document.add(std::move(tasks));
    completedFrameworks.push_back(out);
  }
  document.skeleton = {{"id", masterId_},
          {"version", "0.1.0"},
          {"hostname", options_.hostname.empty() ? options_.ip : options_.hostname},
          {"start_time", startTime_},
          {"zmq_endpoint", zmqEndpoint_},
          {"activated_slaves", active},
          {"unreachable_slaves", unreachable},
          {"slaves", slaves},
          {"frameworks", frameworks},
          {"completed_frameworks", completedFrameworks}};
  return document;
}

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
