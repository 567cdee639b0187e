// The web UI's lists, paginated and filtered on the master: /tasks (walked over several loop turns,
// see TaskListing), /slaves, /frameworks, /offers and /overview.
#include <algorithm>
#include <chrono>

#include "master/master.hpp"

namespace agora::master {
namespace {

// Tasks of a page go out as one JSON array text (see SplicedJson).
std::string joinArray(const std::vector<std::string>& items, bool reversed) {
  std::string text = "[";
  auto append = [&](const std::string& item) {
    if (text.size() > 1) text.push_back(',');
    text += item;
  };
  if (reversed) {
    std::for_each(items.rbegin(), items.rend(), append);
  } else {
    std::for_each(items.begin(), items.end(), append);
  }
  text.push_back(']');
  return text;
}

// True when an attribute, written "name:value" as operators write them ("rack:r1"), contains
// `needle` (lower case). Read from the proto: this runs for every agent of a search.
bool attributesContain(const AgentEntry& agent, const std::string& needle) {
  for (const v1::Attribute& attribute : agent.info.attributes()) {
    std::string value;
    if (attribute.type() == v1::Value::SCALAR) {
      value = nlohmann::json(attribute.scalar().value()).dump();
    } else if (attribute.type() == v1::Value::RANGES) {
      value = attributesToJson(agent.info.attributes())[attribute.name()].get<std::string>();
    } else {
      value = attribute.text().value();
    }
    if (containsIgnoringCase(attribute.name() + ":" + value, needle)) {
      return true;
    }
  }
  return false;
}

nlohmann::json pageJson(const Page& page, size_t total) {
  return {{"total", total}, {"offset", page.offset}, {"limit", page.limit}};
}

// Counts `task` and writes it when its position is in the page. `counted`: its state is already in
// `byState` (see TaskListing::unfiltered).
void visit(TaskListing& listing, const v1::Task& task, const Resources* resources,
           bool counted = false) {
  if (!listing.query.matchesIgnoringState(task)) {
    return;
  }
  if (!listing.countingOnly && !counted) {
    ++listing.byState[task.state()];
  }
  if (!listing.query.matchesState(task.state())) {
    return;
  }
  size_t position = listing.matched++;
  if (!listing.countingOnly && position >= listing.windowBegin && position < listing.windowEnd) {
    std::string text;
    appendTaskJson(&text, task, resources);
    listing.written.push_back(std::move(text));
  }
}

}  // namespace

void Master::listTasks(TaskQuery query, TaskListing::Done done) {
  auto listing = std::make_shared<TaskListing>();
  listing->query = std::move(query);
  listing->done = std::move(done);
  // Frameworks in the order they registered (then by id): with `order=des` the newest
  // frameworks' tasks come first, as an operator expects of a task list.
  std::vector<std::pair<double, std::string>> byAge;
  for (const auto& [id, framework] : frameworks_) {
    byAge.emplace_back(framework->registeredTime, id);
  }
  std::sort(byAge.begin(), byAge.end());
  for (auto& [time, id] : byAge) {
    listing->frameworkIds.push_back(std::move(id));
  }
  const Page& page = listing->query.page;
  listing->countingOnly = listing->query.descending;
  listing->windowBegin = page.offset;
  listing->windowEnd = page.offset + page.limit;
  const TaskQuery& q = listing->query;
  listing->unfiltered = q.frameworkId.empty() && q.taskId.empty() && q.agentId.empty() &&
                        q.name.empty() && q.search.empty() && q.states.empty();
  if (listing->unfiltered) {
    // The active tasks' states are counted already (the completed ones are walked).
    for (const auto& [state, count] : tasksByState_) {
      listing->byState[state] += count;
    }
  }
  stepTaskListing(std::move(listing));
}

bool Master::walkTasks(TaskListing& listing, const std::function<bool()>& yield) const {
  TaskListing::Cursor& at = listing.cursor;
  const std::string& onlyFramework = listing.query.frameworkId;
  for (; at.framework < listing.frameworkIds.size(); ++at.framework) {
    const std::string& id = listing.frameworkIds[at.framework];
    auto framework =
        onlyFramework.empty() || id == onlyFramework ? frameworks_.find(id) : frameworks_.end();
    if (framework != frameworks_.end() && !at.inCompleted) {
      const auto& keys = framework->second->tasks;
      if (!at.lastActive) {
        at.frameworkStart = listing.matched;
      }
      // Unfiltered, a framework's active tasks outside the page are only counted.
      bool skip = listing.unfiltered && !at.lastActive &&
                  (listing.countingOnly || listing.matched + keys.size() <= listing.windowBegin ||
                   listing.matched >= listing.windowEnd);
      if (skip) {
        listing.matched += keys.size();
      }
      auto next = at.lastActive ? keys.upper_bound(*at.lastActive) : keys.begin();
      for (; !skip && next != keys.end(); ++next) {
        if (yield()) {
          // The key is copied only here: copying each one costs more than visiting it.
          if (next != keys.begin()) at.lastActive = std::prev(next)->first;
          return false;
        }
        if (listing.unfiltered && listing.matched < listing.windowBegin) {
          ++listing.matched;  // Before the page: counted, not looked at.
          continue;
        }
        if (listing.unfiltered && listing.matched >= listing.windowEnd) {
          listing.matched = at.frameworkStart + keys.size();  // After the page.
          break;
        }
        const TaskEntry& entry = *next->second;
        visit(listing, entry.task, &entry.resources, listing.unfiltered);
      }
      at.lastActive.reset();
      at.inCompleted = true;
    }
    if (framework != frameworks_.end()) {
      const auto& completed = framework->second->completedTasks;
      for (; at.completedIndex < completed.size(); ++at.completedIndex) {
        if (yield()) return false;
        visit(listing, completed[at.completedIndex], nullptr);
      }
    }
    at.inCompleted = false;
    at.lastActive.reset();
    at.completedIndex = 0;
  }
  for (; at.completedFramework < completedFrameworks_.size(); ++at.completedFramework) {
    const auto& done = completedFrameworks_[at.completedFramework];
    if (!onlyFramework.empty() && done.info.id().value() != onlyFramework) {
      continue;
    }
    const auto& tasks = done.tasks;
    for (; at.completedIndex < tasks.size(); ++at.completedIndex) {
      if (yield()) return false;
      visit(listing, tasks[at.completedIndex], nullptr);
    }
    at.completedIndex = 0;
  }
  return true;
}

void Master::stepTaskListing(std::shared_ptr<TaskListing> listing) {
  auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.stateStep);
  size_t visited = 0;
  auto yield = [&] {
    // The clock is read every 64 tasks: most tasks cost well under a microsecond.
    if (++visited % 64 != 0 || std::chrono::steady_clock::now() < deadline) {
      return false;
    }
    loop_.post([this, listing] { stepTaskListing(listing); });
    return true;
  };
  if (!walkTasks(*listing, yield)) {
    return;
  }
  TaskListing& done = *listing;
  if (done.countingOnly) {
    // `order=des`: the page counted from the end, written by a second walk.
    const Page& page = done.query.page;
    size_t total = done.matched;
    done.windowEnd = total > page.offset ? total - page.offset : 0;
    done.windowBegin = done.windowEnd > page.limit ? done.windowEnd - page.limit : 0;
    done.countingOnly = false;
    done.matched = 0;
    done.cursor = TaskListing::Cursor{};
    loop_.post([this, listing] { stepTaskListing(listing); });
    return;
  }
  nlohmann::json states = nlohmann::json::object();
  for (const auto& [state, count] : done.byState) {
    if (count > 0) states[v1::TaskState_Name(state)] = count;
  }
  SplicedJson document;
  document.skeleton = pageJson(done.query.page, done.matched);
  document.skeleton["states"] = states;
  document.skeleton["tasks"] = document.add(joinArray(done.written, done.query.descending));
  done.done(std::move(document));
}

nlohmann::json Master::agentsJson(const AgentQuery& query) const {
  nlohmann::json agents = nlohmann::json::array();
  size_t matched = 0;
  auto consider = [&](const std::string& id, const AgentEntry& agent) {
    if (!query.state.empty() && query.state != toString(agent.state)) {
      return;
    }
    if (!query.search.empty() && !containsIgnoringCase(id, query.search) &&
        !containsIgnoringCase(agent.info.hostname(), query.search) &&
        !attributesContain(agent, query.search)) {
      return;
    }
    size_t position = matched++;
    if (position >= query.page.offset && position < query.page.offset + query.page.limit) {
      nlohmann::json out = agentStateJson(id, agent);
      out["task_count"] = agent.tasks.size();
      agents.push_back(std::move(out));
    }
  };
  if (!query.agentId.empty()) {
    auto agent = agents_.find(query.agentId);
    if (agent != agents_.end()) {
      consider(agent->first, *agent->second);
    }
  } else {
    for (const auto& [id, agent] : agents_) {
      consider(id, *agent);
    }
  }
  nlohmann::json out = pageJson(query.page, matched);
  out["slaves"] = agents;
  // Mesos' /slaves lists agents known from the registry apart; here they are in `slaves` with state
  // RECOVERED.
  out["recovered_slaves"] = nlohmann::json::array();
  return out;
}

nlohmann::json Master::frameworkSummaryJson(const FrameworkEntry& framework, bool detailed) const {
  Resources offered;
  nlohmann::json offers = nlohmann::json::array();
  for (const std::string& offerId : framework.offers) {
    const OfferEntry& offer = offers_.at(offerId);
    offered += offer.resources;
    if (detailed) {
      offers.push_back({{"id", offerId},
                        {"slave_id", offer.agentId},
                        {"role", offer.role},
                        {"resources", offer.resources.toJson()}});
    }
  }
  // The allocator counts offers as allocated: what the tasks use is the rest.
  Resources used = allocator_.allocatedTo(framework.id) - offered;
  nlohmann::json out = {{"id", framework.id},
                        {"name", framework.info.name()},
                        {"user", framework.info.user()},
                        {"role", framework.roles.front()},
                        {"roles", framework.roles},
                        {"active", framework.state == FrameworkState::kConnected},
                        {"connected", framework.state == FrameworkState::kConnected},
                        {"state", toString(framework.state)},
                        {"failover_timeout", framework.info.failover_timeout()},
                        {"registered_time", framework.registeredTime},
                        {"used_resources", used.toJson()},
                        {"offered_resources", offered.toJson()},
                        {"task_count", framework.tasks.size()},
                        {"completed_task_count", framework.completedTasks.size()},
                        {"offer_count", framework.offers.size()},
                        {"suppressed", allocator_.isSuppressed(framework.id)}};
  if (detailed) {
    // A pass over the agents: only for a single framework's page.
    out["offers"] = offers;
    out["pending_reason"] = framework.offers.empty()
                                ? allocator_.pendingReason(framework.id, loop_.now())
                                : "holds " + std::to_string(framework.offers.size()) + " offers";
  }
  return out;
}

nlohmann::json Master::frameworksJson(const FrameworkQuery& query) const {
  nlohmann::json frameworks = nlohmann::json::array();
  size_t matched = 0;
  for (const auto& [id, framework] : frameworks_) {
    if (!query.frameworkId.empty() && id != query.frameworkId) {
      continue;
    }
    std::string roles;
    for (const std::string& role : framework->roles) roles += role + " ";
    if (!query.search.empty() && !containsIgnoringCase(id, query.search) &&
        !containsIgnoringCase(framework->info.name(), query.search) &&
        !containsIgnoringCase(framework->info.user(), query.search) &&
        !containsIgnoringCase(roles, query.search)) {
      continue;
    }
    size_t position = matched++;
    if (position >= query.page.offset && position < query.page.offset + query.page.limit) {
      frameworks.push_back(frameworkSummaryJson(*framework, !query.frameworkId.empty()));
    }
  }
  nlohmann::json completed = nlohmann::json::array();
  for (const auto& done : completedFrameworks_) {
    if (query.frameworkId.empty() || done.info.id().value() == query.frameworkId) {
      completed.push_back({{"id", done.info.id().value()},
                           {"name", done.info.name()},
                           {"user", done.info.user()},
                           {"completed_task_count", done.tasks.size()}});
    }
  }
  nlohmann::json out = pageJson(query.page, matched);
  out["frameworks"] = frameworks;
  out["completed_frameworks"] = completed;
  return out;
}

nlohmann::json Master::offersJson(const OfferQuery& query) const {
  // Sorted by id for pages that stay put between polls (`offers_` is a hash map).
  std::vector<const std::string*> ids;
  for (const auto& [id, offer] : offers_) {
    if ((query.frameworkId.empty() || offer.frameworkId == query.frameworkId) &&
        (query.agentId.empty() || offer.agentId == query.agentId)) {
      ids.push_back(&id);
    }
  }
  std::sort(ids.begin(), ids.end(), [](auto* a, auto* b) { return *a < *b; });
  nlohmann::json offers = nlohmann::json::array();
  for (size_t i = query.page.offset; i < ids.size() && i < query.page.offset + query.page.limit;
       ++i) {
    const OfferEntry& offer = offers_.at(*ids[i]);
    auto agent = agents_.find(offer.agentId);
    offers.push_back({{"id", *ids[i]},
                      {"framework_id", offer.frameworkId},
                      {"slave_id", offer.agentId},
                      {"hostname", agent == agents_.end() ? "" : agent->second->info.hostname()},
                      {"role", offer.role},
                      {"resources", offer.resources.toJson()}});
  }
  nlohmann::json out = pageJson(query.page, ids.size());
  out["offers"] = offers;
  return out;
}

nlohmann::json Master::overviewJson() const {
  std::map<AgentState, int> byState;
  int deactivated = 0;
  int draining = 0;
  for (const auto& [id, agent] : agents_) {
    ++byState[agent->state];
    deactivated += agent->deactivated;
    draining += agent->draining();
  }
  nlohmann::json agents = {{"deactivated", deactivated}, {"draining", draining}};
  for (AgentState state :
       {AgentState::kRegistered, AgentState::kUnreachable, AgentState::kRecovered}) {
    agents[toString(state)] = byState[state];
  }
  // Offered = allocated to frameworks less what their tasks use: one subtraction per framework
  // instead of one addition per offer.
  Resources allocated;
  int connected = 0;
  for (const auto& [id, framework] : frameworks_) {
    allocated += allocator_.allocatedTo(id);
    connected += framework->state == FrameworkState::kConnected;
  }
  const Resources& total = allocator_.clusterTotal();
  nlohmann::json resources = nlohmann::json::object();
  for (const char* name : {"cpus", "mem", "disk", "gpus"}) {
    double used = tasksUsed_.scalar(name);
    double offered = std::max(0.0, allocated.scalar(name) - used);
    resources[name] = {{"total", total.scalar(name)},
                       {"used", used},
                       {"offered", offered},
                       {"idle", std::max(0.0, total.scalar(name) - used - offered)}};
  }
  nlohmann::json activeTasks = nlohmann::json::object();
  for (const auto& [state, count] : tasksByState_) {
    if (count > 0) activeTasks[v1::TaskState_Name(state)] = count;
  }
  return {{"id", masterId_},
          {"hostname", options_.hostname.empty() ? options_.ip : options_.hostname},
          {"start_time", startTime_},
          {"resources", resources},
          {"agents", agents},
          {"frameworks",
           {{"connected", connected},
            {"disconnected", frameworks_.size() - connected},
            {"completed", completedFrameworks_.size()}}},
          {"active_tasks", activeTasks},
          {"outstanding_offers", offers_.size()}};
}

StatusOr<std::string> Master::agentHttpAddress(const std::string& agentId) const {
  auto agent = agents_.find(agentId);
  if (agent == agents_.end()) {
    return Status::notFound("unknown agent '" + agentId + "'");
  }
  return agent->second->httpAddress();
}

}  // namespace agora::master
