#include "master/allocator/drf_allocator.hpp"

#include <algorithm>

#include <glog/logging.h>

namespace agora::master {
// --- Sorted orders -------------------------------------------------------------------
//
// Shares are cached and clients kept sorted per role (and roles sorted by weighted share at
// every level of the tree), so one allocation pass costs O(agents · log clients) instead of
// O(agents · clients). Only eligible clients are linked.

void DrfAllocator::unlink(const std::string& frameworkId, const std::string& role, Client& client,
                          bool resort) {
  if (client.linked) {
    tree_.unlinkClient(role, client.share, frameworkId, resort);
    client.linked = false;
  }
}

void DrfAllocator::link(const std::string& frameworkId, const std::string& role,
                        const Framework& framework, Client& client) {
  client.share = share(client.allocated);
  if (eligible(framework, client)) {
    tree_.linkClient(role, client.share, frameworkId);
    client.linked = true;
  }
}

template <typename Change>
void DrfAllocator::relinkAll(const std::string& frameworkId, const std::vector<std::string>& roles,
                             Change change) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) {
    return;
  }
  for (auto& [role, client] : it->second.clients) {
    if (!roles.empty() && std::find(roles.begin(), roles.end(), role) == roles.end()) {
      continue;
    }
    unlink(frameworkId, role, client);
    change(it->second, client);
    link(frameworkId, role, it->second, client);
  }
}

void DrfAllocator::rebuildOrders() {
  tree_.setTotal(clusterTotal_);
  tree_.reset();
  for (auto& [id, framework] : frameworks_) {
    for (auto& [role, client] : framework.clients) {
      client.linked = false;
      link(id, role, framework, client);
    }
  }
  ordersStale_ = false;
}

// --- Agents and frameworks -----------------------------------------------------------

void DrfAllocator::addAgent(const std::string& agentId, const Resources& total, const Used& used,
                            const std::string& region) {
  Agent& agent = agents_[agentId];
  agent.total = total;
  agent.region = region;
  clusterTotal_ += total;
  ordersStale_ = true;
  changedAgents_.insert(agentId);
  for (const auto& [client, resources] : used) {
    addUsed(client.first, client.second, agentId, resources);
  }
}

void DrfAllocator::updateTotal(const std::string& agentId, const Resources& total) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) {
    return;
  }
  clusterTotal_ -= it->second.total;
  clusterTotal_ += total;
  it->second.total = total;
  ordersStale_ = true;
  changedAgents_.insert(agentId);
}

void DrfAllocator::removeAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) {
    return;
  }
  clusterTotal_ -= it->second.total;
  for (const auto& [key, resources] : Used(it->second.byClient)) {
    account(key.first, key.second, it->second, agentId, resources, false);
  }
  for (auto& [id, framework] : frameworks_) {
    for (auto& [role, client] : framework.clients) {
      client.filters.erase(agentId);
    }
  }
  agents_.erase(it);
  changedAgents_.erase(agentId);
  ordersStale_ = true;
}

void DrfAllocator::deactivateAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it != agents_.end()) {
    it->second.active = false;
  }
}

void DrfAllocator::activateAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it != agents_.end() && !it->second.active) {
    it->second.active = true;
    changedAgents_.insert(agentId);
  }
}

void DrfAllocator::addFramework(const std::string& frameworkId,
                                const std::vector<std::string>& roles, bool regionAware) {
  Framework& framework = frameworks_[frameworkId];
  framework.active = true;
  framework.regionAware = regionAware;
  for (auto& [role, client] : framework.clients) {
    unlink(frameworkId, role, client);
    client.subscribed = false;
  }
  for (const std::string& requested : roles) {
    std::string role = requested.empty() ? Resources::kUnreservedRole : requested;
    framework.clients[role].subscribed = true;
  }
  // What its tasks held before it (re-)subscribed now counts as its own.
  auto orphaned = orphans_.find(frameworkId);
  if (orphaned != orphans_.end()) {
    for (const auto& [role, resources] : orphaned->second) {
      framework.clients[role].allocated += resources;
    }
    orphans_.erase(orphaned);
  }
  for (auto& [role, client] : framework.clients) {
    link(frameworkId, role, framework, client);
  }
  everythingChanged_ = true;
}

void DrfAllocator::removeFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) {
    return;
  }
  for (auto& [role, client] : it->second.clients) {
    unlink(frameworkId, role, client);
    tree_.subtract(role, client.allocated);
  }
  for (auto& [agentId, agent] : agents_) {
    for (auto held = agent.byClient.lower_bound({frameworkId, ""});
         held != agent.byClient.end() && held->first.first == frameworkId;) {
      agent.allocated -= held->second;
      held = agent.byClient.erase(held);
      changedAgents_.insert(agentId);
    }
  }
  frameworks_.erase(it);
}

void DrfAllocator::activateFramework(const std::string& frameworkId) {
  relinkAll(frameworkId, {}, [](Framework& f, Client&) { f.active = true; });
  everythingChanged_ = true;
}

void DrfAllocator::deactivateFramework(const std::string& frameworkId) {
  relinkAll(frameworkId, {}, [](Framework& f, Client&) { f.active = false; });
}

void DrfAllocator::suppress(const std::string& frameworkId, const std::vector<std::string>& roles) {
  relinkAll(frameworkId, roles, [](Framework&, Client& c) { c.suppressed = true; });
}

void DrfAllocator::revive(const std::string& frameworkId, const std::vector<std::string>& roles) {
  relinkAll(frameworkId, roles, [](Framework&, Client& c) {
    c.suppressed = false;
    c.filters.clear();
  });
  everythingChanged_ = true;
}

bool DrfAllocator::isSuppressed(const std::string& frameworkId) const {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) {
    return false;
  }
  bool any = false;
  for (const auto& [role, client] : it->second.clients) {
    if (client.subscribed) {
      if (!client.suppressed) return false;
      any = true;
    }
  }
  return any;
}

std::vector<std::string> DrfAllocator::rolesOf(const std::string& frameworkId) const {
  std::vector<std::string> roles;
  auto it = frameworks_.find(frameworkId);
  if (it != frameworks_.end()) {
    for (const auto& [role, client] : it->second.clients) {
      if (client.subscribed) roles.push_back(role);
    }
  }
  return roles;
}

void DrfAllocator::setWeight(const std::string& role, double weight) {
  tree_.setWeight(role, weight);
  ordersStale_ = true;
  everythingChanged_ = true;
}

// --- Accounting ----------------------------------------------------------------------

void DrfAllocator::account(const std::string& frameworkId, const std::string& role, Agent& agent,
                           const std::string& agentId, const Resources& resources, bool add) {
  ClientKey key{frameworkId, role};
  if (add) {
    agent.allocated += resources;
    agent.byClient[key] += resources;
  } else {
    agent.allocated -= resources;
    auto held = agent.byClient.find(key);
    if (held != agent.byClient.end()) {
      held->second -= resources;
      if (held->second.empty()) agent.byClient.erase(held);
    }
    changedAgents_.insert(agentId);
  }
  auto framework = frameworks_.find(frameworkId);
  if (framework == frameworks_.end()) {
    Resources& orphan = orphans_[frameworkId][role];
    add ? orphan += resources : orphan -= resources;
    add ? tree_.add(role, resources) : tree_.subtract(role, resources);
    return;
  }
  auto client = framework->second.clients.find(role);
  if (client == framework->second.clients.end()) {
    // Tasks of a role the framework no longer subscribes to still count against the role.
    client = framework->second.clients.emplace(role, Client{}).first;
    client->second.subscribed = false;
  }
  // One re-sort for the whole change (`link` does it).
  Client& entry = client->second;
  unlink(frameworkId, role, entry, false);
  if (add) {
    entry.allocated += resources;
    tree_.add(role, resources, false);
  } else {
    entry.allocated -= resources;
    tree_.subtract(role, resources, false);
  }
  link(frameworkId, role, framework->second, entry);
  if (!entry.linked) {
    tree_.resort(role);  // Not eligible: `link` did not re-sort.
  }
}

void DrfAllocator::addUsed(const std::string& frameworkId, const std::string& role,
                           const std::string& agentId, const Resources& resources) {
  auto agent = agents_.find(agentId);
  if (agent != agents_.end()) {
    account(frameworkId, role, agent->second, agentId, resources, true);
  }
}

void DrfAllocator::recover(const std::string& frameworkId, const std::string& role,
                           const std::string& agentId, const Resources& resources,
                           std::optional<TimePoint> refuseUntil) {
  auto agent = agents_.find(agentId);
  if (agent == agents_.end()) {
    return;  // Removing the agent released everything on it.
  }
  account(frameworkId, role, agent->second, agentId, resources, false);
  auto framework = frameworks_.find(frameworkId);
  if (refuseUntil && !resources.empty() && framework != frameworks_.end()) {
    framework->second.clients[role].filters[agentId] = Filter{resources, *refuseUntil};
  }
}

Resources DrfAllocator::available(const std::string& agentId) const {
  auto it = agents_.find(agentId);
  return it == agents_.end() ? Resources() : it->second.total - it->second.allocated;
}

const Resources* DrfAllocator::allocatedOn(const std::string& agentId) const {
  auto it = agents_.find(agentId);
  return it == agents_.end() ? nullptr : &it->second.allocated;
}

Resources DrfAllocator::allocatedTo(const std::string& frameworkId) const {
  Resources total;
  auto it = frameworks_.find(frameworkId);
  if (it != frameworks_.end()) {
    for (const auto& [role, client] : it->second.clients) {
      total += client.allocated;
    }
  }
  return total;
}

Resources DrfAllocator::allocatedToRole(const std::string& role) const {
  return tree_.allocated(role);
}

}  // namespace agora::master
