// /state written in steps (see StateAssembly): the agents, then each framework's tasks,
// a few milliseconds per loop turn; the frameworks' own fields at the end.
#include <glog/logging.h>

#include <chrono>

#include "common/http/http.hpp"
#include "common/resources/domain.hpp"
#include "master/master.hpp"
#include "master/task_json_writer.hpp"

namespace agora::master {
namespace {

// What the agent's containers used at its latest heartbeat, summed (the fields of the
// agent's /monitor/statistics).
void appendContainerUsageJson(std::string* out, const internal::ContainerUsage& usage) {
  out->push_back('{');
  // Counts and bytes as integers (a shortest double would write 2e+09).
  appendJsonKey(out, "containers", true);
  out->append(std::to_string(usage.containers()));
  for (const auto& [name, value] : {std::pair{"mem_rss_bytes", usage.mem_rss_bytes()},
                                    {"mem_total_bytes", usage.mem_total_bytes()},
                                    {"mem_limit_bytes", usage.mem_limit_bytes()}}) {
    appendJsonKey(out, name);
    out->append(std::to_string(value));
  }
  for (const auto& [name, value] : {std::pair{"cpus_user_time_secs", usage.cpus_user_time_secs()},
                                    {"cpus_system_time_secs", usage.cpus_system_time_secs()},
                                    {"cpus_limit", usage.cpus_limit()},
                                    {"timestamp", usage.timestamp()}}) {
    appendJsonKey(out, name);
    appendJsonNumber(out, value);
  }
  out->push_back('}');
}

// Mesos' `reserved_resources` (role -> its reserved resources, as /state's resources) and
// `reserved_resources_full` (role -> the reserved Resource objects, persistent volumes
// with their `disk` info).
enum class ReservedForm { kResources, kFull };

void appendReservedJson(std::string* out, const Resources& total, ReservedForm form) {
  out->push_back('{');
  bool first = true;
  for (const std::string& role : total.roles()) {
    if (role == Resources::kUnreservedRole) {
      continue;
    }
    if (!first) out->push_back(',');
    appendJsonString(out, role);  // The key.
    out->push_back(':');
    first = false;
    if (form == ReservedForm::kResources) {
      total.reservedTo(role).appendJson(out);
      continue;
    }
    google::protobuf::RepeatedPtrField<v1::Resource> protos;
    total.reservedTo(role).toProto(&protos);
    out->push_back('[');
    for (int i = 0; i < protos.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append(protoToJson(protos[i]).dump());
    }
    out->push_back(']');
  }
  out->push_back('}');
}

nlohmann::json drainInfoJson(const internal::DrainInfo& drain) {
  nlohmann::json config = {{"mark_gone", drain.config().mark_gone()}};
  if (drain.config().has_max_grace_period()) {
    config["max_grace_period"] = {{"nanoseconds", drain.config().max_grace_period().nanoseconds()}};
  }
  return {{"state", internal::DrainInfo::State_Name(drain.state())}, {"config", config}};
}

}  // namespace

void Master::appendAgentStateJson(std::string* out, const std::string& id,
                                  const AgentEntry& agent) const {
  Resources offered;
  for (const std::string& offerId : agent.offers) {
    offered += offers_.at(offerId).resources;
  }
  Resources used;
  if (const Resources* allocated = allocator_.allocatedOn(id)) {
    // What the allocator counts as taken there, less the offers: one subtraction instead
    // of one addition per task (100,000 of them at scale).
    used = *allocated - offered;
  } else {
    for (const TaskKey& key : agent.tasks) {
      auto task = tasks_.find(key);
      if (task != tasks_.end()) {
        used += task->second.resources;
      }
    }
  }
  // Written as text, not as a document tree: /state writes 10,000 of these on the loop.
  out->push_back('{');
  appendJsonKey(out, "id", true);
  appendJsonString(out, id);
  appendJsonKey(out, "hostname");
  appendJsonString(out, agent.info.hostname());
  appendJsonKey(out, "port");
  out->append(std::to_string(agent.info.port()));
  appendJsonKey(out, "http_address");
  appendJsonString(out, agent.httpAddress());
  appendJsonKey(out, "attributes");
  out->append(attributesToJson(agent.info.attributes()).dump());
  appendJsonKey(out, "domain");
  out->append(domainToJson(agent.info.domain()).dump());
  appendJsonKey(out, "resources");
  agent.total.appendJson(out);
  appendJsonKey(out, "used_resources");
  used.appendJson(out);
  appendJsonKey(out, "offered_resources");
  offered.appendJson(out);
  appendJsonKey(out, "reserved_resources");
  appendReservedJson(out, agent.total, ReservedForm::kResources);
  appendJsonKey(out, "reserved_resources_full");
  appendReservedJson(out, agent.total, ReservedForm::kFull);
  appendJsonKey(out, "active");
  out->append(agent.state == AgentState::kRegistered ? "true" : "false");
  appendJsonKey(out, "state");
  appendJsonString(out, toString(agent.state));
  appendJsonKey(out, "registered_time");
  appendJsonNumber(out, agent.registeredTime);
  appendJsonKey(out, "deactivated");
  out->append(agent.deactivated ? "true" : "false");
  appendJsonKey(out, "container_usage");
  appendContainerUsageJson(out, agent.usage);
  if (agent.draining()) {
    appendJsonKey(out, "drain_info");
    out->append(drainInfoJson(agent.drain).dump());
  }
  out->push_back('}');
}

nlohmann::json Master::agentStateJson(const std::string& id, const AgentEntry& agent) const {
  std::string text;
  appendAgentStateJson(&text, id, agent);
  return nlohmann::json::parse(text);
}

namespace {
nlohmann::json frameworkInfoJson(const v1::FrameworkInfo& info) {
  return nlohmann::json{{"id", info.id().value()},
                        {"name", info.name()},
                        {"user", info.user()},
                        {"failover_timeout", info.failover_timeout()}};
}

std::string completedTasksText(const std::deque<v1::Task>& tasks) {
  std::string text = "[";
  for (const v1::Task& task : tasks) {
    if (text.size() > 1) text.push_back(',');
    appendTaskJson(&text, task, nullptr);
  }
  text.push_back(']');
  return text;
}
}  // namespace

nlohmann::json Master::frameworkStateJson(const FrameworkEntry& framework,
                                          StateAssembly::FrameworkTasks& active,
                                          SplicedJson& document) const {
  nlohmann::json out = frameworkInfoJson(framework.info);
  Resources offered;
  nlohmann::json offers = nlohmann::json::array();
  for (const std::string& offerId : framework.offers) {
    const OfferEntry& offer = offers_.at(offerId);
    offered += offer.resources;
    offers.push_back(
        {{"id", offerId}, {"slave_id", offer.agentId}, {"resources", offer.resources.toJson()}});
  }
  out["role"] = framework.roles.front();
  out["roles"] = framework.roles;
  out["active"] = framework.state == FrameworkState::kConnected;
  out["connected"] = framework.state == FrameworkState::kConnected;
  out["registered_time"] = framework.registeredTime;
  out["used_resources"] = framework.used.toJson();
  out["offered_resources"] = offered.toJson();
  active.text.push_back(']');
  out["tasks"] = document.add(std::move(active.text));
  out["completed_tasks"] = document.add(completedTasksText(framework.completedTasks));
  out["offers"] = offers;
  out["suppressed"] = allocator_.isSuppressed(framework.id);
  out["pending_reason"] = active.pendingReason;
  return out;
}

void Master::assembleState(StateAssembly::Done done) {
  auto assembly = std::make_shared<StateAssembly>();
  assembly->done = std::move(done);
  assembly->agentIds.reserve(agents_.size());
  assembly->agentsText.reserve(agents_.size() * 1536);
  for (const auto& [id, agent] : agents_) {
    assembly->agentIds.push_back(id);
  }
  for (const auto& [id, framework] : frameworks_) {
    StateAssembly::FrameworkTasks part;
    part.frameworkId = id;
    // Roughly what a task takes as text: growing tens of MB by doubling would copy it all
    // in one step (reserved pages are only touched as they are written).
    part.text.reserve(framework->tasks.size() * 640);
    assembly->frameworks.push_back(std::move(part));
  }
  // The first step in a turn of its own: this one already copied 10,000 agent ids.
  loop_.post([this, assembly] { stepStateAssembly(assembly); });
}

void Master::stepStateAssembly(std::shared_ptr<StateAssembly> assembly) {
  // A few milliseconds of writing per loop turn (the clock is read every 32 items).
  auto turnStart = std::chrono::steady_clock::now();
  ++assembly->turns;
  auto deadline = turnStart + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  options_.stateStep);
  size_t written = 0;
  size_t nextClockCheck = 32;
  auto yield = [&](size_t items = 1) {
    written += items;
    if (written < nextClockCheck) {
      return false;
    }
    nextClockCheck = written + 32;
    if (std::chrono::steady_clock::now() < deadline) {
      return false;
    }
    assembly->writing += std::chrono::steady_clock::now() - turnStart;
    loop_.post([this, assembly] { stepStateAssembly(assembly); });
    return true;
  };
  StateAssembly& state = *assembly;
  while (state.nextAgent < state.agentIds.size()) {
    if (yield()) return;
    const std::string& id = state.agentIds[state.nextAgent++];
    auto agent = agents_.find(id);
    if (agent == agents_.end()) {
      continue;  // Left since the assembly began.
    }
    state.activeAgents += agent->second->state == AgentState::kRegistered;
    state.unreachableAgents += agent->second->state == AgentState::kUnreachable;
    if (state.agentsText.size() > 1) state.agentsText.push_back(',');
    appendAgentStateJson(&state.agentsText, id, *agent->second);
  }
  for (; state.nextFramework < state.frameworks.size(); ++state.nextFramework) {
    StateAssembly::FrameworkTasks& part = state.frameworks[state.nextFramework];
    auto framework = frameworks_.find(part.frameworkId);
    if (framework == frameworks_.end()) {
      continue;  // Left since the assembly began: not in the document.
    }
    const auto& keys = framework->second->tasks;
    auto next = part.lastWritten ? keys.upper_bound(*part.lastWritten) : keys.begin();
    for (; next != keys.end(); ++next) {
      if (yield()) return;
      part.lastWritten = next->first;
      TaskEntry& task = *next->second;
      if (task.json.empty()) {
        appendTaskJson(&task.json, task.task, &task.resources);
      }
      if (part.text.size() > 1) part.text.push_back(',');
      part.text.append(task.json);
    }
  }
  if (!writePendingReasons(state, yield)) {
    return;
  }
  finishStateAssembly(state);
  state.writing += std::chrono::steady_clock::now() - turnStart;
  auto ms = [](std::chrono::steady_clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  LOG(INFO) << "Wrote /state in " << ms(state.writing) << " ms over " << state.turns
            << " loop turns (" << ms(std::chrono::steady_clock::now() - state.started)
            << " ms from the request)";
}

bool Master::writePendingReasons(StateAssembly& state, const std::function<bool(size_t)>& yield) {
  constexpr size_t kAgentsPerSlice = 64;
  for (; state.nextPending < state.frameworks.size(); ++state.nextPending) {
    StateAssembly::FrameworkTasks& part = state.frameworks[state.nextPending];
    if (!part.pendingStarted) {
      part.pendingStarted = true;
      auto framework = frameworks_.find(part.frameworkId);
      if (framework == frameworks_.end()) {
        continue;
      }
      // Only a framework holding no offers is waiting for something.
      if (!framework->second->offers.empty()) {
        part.pendingReason =
            "holds " + std::to_string(framework->second->offers.size()) + " offers";
        continue;
      }
      part.pendingScans = allocator_.pendingScans(part.frameworkId);
    }
    for (DrfAllocator::PendingScan& scan : part.pendingScans) {
      while (!allocator_.scanPending(scan, loop_.now(), kAgentsPerSlice)) {
        if (yield(kAgentsPerSlice)) {
          return false;
        }
      }
    }
    part.pendingReason = DrfAllocator::joinPendingReasons(part.pendingScans);
  }
  return true;
}

void Master::finishStateAssembly(StateAssembly& state) {
  SplicedJson& document = state.document;
  nlohmann::json frameworks = nlohmann::json::array();
  for (StateAssembly::FrameworkTasks& part : state.frameworks) {
    auto framework = frameworks_.find(part.frameworkId);
    if (framework != frameworks_.end()) {
      frameworks.push_back(frameworkStateJson(*framework->second, part, document));
    }
  }
  nlohmann::json completedFrameworks = nlohmann::json::array();
  for (const auto& done : completedFrameworks_) {
    nlohmann::json out = frameworkInfoJson(done.info);
    out["completed_tasks"] = document.add(completedTasksText(done.tasks));
    completedFrameworks.push_back(out);
  }
  state.agentsText.push_back(']');
  document.skeleton = {{"id", masterId_},
                       {"version", "0.1.0"},
                       {"hostname", options_.hostname.empty() ? options_.ip : options_.hostname},
                       {"start_time", startTime_},
                       {"zmq_endpoint", zmqEndpoint_},
                       {"activated_slaves", state.activeAgents},
                       {"unreachable_slaves", state.unreachableAgents},
                       {"slaves", document.add(std::move(state.agentsText))},
                       {"frameworks", frameworks},
                       {"completed_frameworks", completedFrameworks}};
  state.done(std::move(document));
}

}  // namespace agora::master
