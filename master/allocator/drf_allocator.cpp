#include "master/allocator/drf_allocator.hpp"

#include <algorithm>

#include <glog/logging.h>

namespace agora::master {
namespace {
const char* kShareResources[] = {"cpus", "mem", "disk", "gpus"};
}

// --- Sorted orders -------------------------------------------------------------------
//
// Shares are cached and frameworks kept sorted per role (and roles sorted by weighted
// share), so one allocation pass costs O(agents · log frameworks) instead of
// O(agents · frameworks). Only eligible (active, unsuppressed) frameworks are linked.

double DrfAllocator::share(const Resources& allocated) const {
  double dominant = 0;
  for (const char* name : kShareResources) {
    double total = clusterTotal_.scalar(name);
    if (total > 0) {
      dominant = std::max(dominant, allocated.scalar(name) / total);
    }
  }
  return dominant;
}

double DrfAllocator::weightOf(const std::string& role) const {
  auto weight = weights_.find(role);
  return weight == weights_.end() || weight->second <= 0 ? 1.0 : weight->second;
}

void DrfAllocator::unlink(const std::string& frameworkId) {
  Framework& framework = frameworks_.at(frameworkId);
  Role& role = roles_[framework.role];
  if (role.order.erase({framework.share, frameworkId}) > 0 && role.order.empty()) {
    roleOrder_.erase({role.share, framework.role});
  }
}

void DrfAllocator::link(const std::string& frameworkId) {
  Framework& framework = frameworks_.at(frameworkId);
  Role& role = roles_[framework.role];
  framework.share = share(framework.allocated);
  roleOrder_.erase({role.share, framework.role});
  role.share = share(role.allocated) / weightOf(framework.role);
  if (framework.eligible()) {
    role.order.insert({framework.share, frameworkId});
  }
  if (!role.order.empty()) {
    roleOrder_.insert({role.share, framework.role});
  }
}

void DrfAllocator::rebuildOrders() {
  roleOrder_.clear();
  for (auto& [name, role] : roles_) {
    role.order.clear();
    role.share = share(role.allocated) / weightOf(name);
  }
  for (auto& [id, framework] : frameworks_) {
    framework.share = share(framework.allocated);
    if (framework.eligible()) {
      roles_[framework.role].order.insert({framework.share, id});
    }
  }
  for (auto& [name, role] : roles_) {
    if (!role.order.empty()) {
      roleOrder_.insert({role.share, name});
    }
  }
  ordersStale_ = false;
}

// --- Agents and frameworks -----------------------------------------------------------

void DrfAllocator::addAgent(const std::string& agentId, const Resources& total,
                            const std::map<std::string, Resources>& used) {
  Agent& agent = agents_[agentId];
  agent.total = total;
  clusterTotal_ += total;
  ordersStale_ = true;
  changedAgents_.insert(agentId);
  for (const auto& [frameworkId, resources] : used) {
    addUsed(frameworkId, agentId, resources);
  }
}

void DrfAllocator::removeAgent(const std::string& agentId) {
  auto it = agents_.find(agentId);
  if (it == agents_.end()) {
    return;
  }
  clusterTotal_ -= it->second.total;
  for (const auto& [frameworkId, resources] : it->second.byFramework) {
    auto framework = frameworks_.find(frameworkId);
    if (framework != frameworks_.end()) {
      framework->second.allocated -= resources;
      roles_[framework->second.role].allocated -= resources;
    }
  }
  for (auto& [id, framework] : frameworks_) {
    framework.filters.erase(agentId);
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

void DrfAllocator::addFramework(const std::string& frameworkId, const std::string& role) {
  if (frameworks_.count(frameworkId)) {
    unlink(frameworkId);
  }
  Framework& framework = frameworks_[frameworkId];
  framework.role = role.empty() ? Resources::kUnreservedRole : role;
  framework.active = true;
  link(frameworkId);
  everythingChanged_ = true;
}

void DrfAllocator::removeFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) {
    return;
  }
  unlink(frameworkId);
  roles_[it->second.role].allocated -= it->second.allocated;
  for (auto& [agentId, agent] : agents_) {
    auto held = agent.byFramework.find(frameworkId);
    if (held != agent.byFramework.end()) {
      agent.allocated -= held->second;
      agent.byFramework.erase(held);
      changedAgents_.insert(agentId);
    }
  }
  std::string role = it->second.role;
  frameworks_.erase(it);
  // Re-sort the role now that its allocation shrank.
  Role& entry = roles_[role];
  roleOrder_.erase({entry.share, role});
  entry.share = share(entry.allocated) / weightOf(role);
  if (!entry.order.empty()) {
    roleOrder_.insert({entry.share, role});
  }
}

void DrfAllocator::activateFramework(const std::string& frameworkId) {
  relink(frameworkId, [](Framework& f) { f.active = true; });
  everythingChanged_ = true;
}

void DrfAllocator::deactivateFramework(const std::string& frameworkId) {
  relink(frameworkId, [](Framework& f) { f.active = false; });
}

void DrfAllocator::suppress(const std::string& frameworkId) {
  relink(frameworkId, [](Framework& f) { f.suppressed = true; });
}

void DrfAllocator::revive(const std::string& frameworkId) {
  relink(frameworkId, [](Framework& f) {
    f.suppressed = false;
    f.filters.clear();
  });
  everythingChanged_ = true;
}

void DrfAllocator::setQuota(const std::string& role, const ScalarLimits& limits,
                           const Resources& guarantees) {
  if (limits.empty() && guarantees.empty()) {
    quotas_.erase(role);
  } else {
    quotas_[role] = Quota{limits, guarantees};
  }
  everythingChanged_ = true;
}

Resources DrfAllocator::allocatedToRole(const std::string& role) const {
  auto it = roles_.find(role);
  return it == roles_.end() ? Resources() : it->second.allocated;
}

bool DrfAllocator::hasUnmetGuarantee(const std::string& role) const {
  auto quota = quotas_.find(role);
  if (quota == quotas_.end()) {
    return false;
  }
  Resources allocated = allocatedToRole(role);
  for (const char* name : kShareResources) {
    if (quota->second.guarantees.scalar(name) > allocated.scalar(name) + 1e-6) {
      return true;
    }
  }
  return false;
}

Resources DrfAllocator::unmetGuarantees() const {
  Resources needed;
  for (const auto& [role, quota] : quotas_) {
    Resources allocated = allocatedToRole(role);
    for (const char* name : kShareResources) {
      double missing = quota.guarantees.scalar(name) - allocated.scalar(name);
      if (missing > 1e-6) {
        needed += *Resources::parse(std::string(name) + ":" + std::to_string(missing));
      }
    }
  }
  return needed;
}

Resources DrfAllocator::offerable(const std::string& role, const Resources& free,
                                  const Headroom* headroom) const {
  Resources offer = free.allocatableTo(role);
  auto quota = quotas_.find(role);
  if (quota != quotas_.end() && !quota->second.limits.empty()) {
    Resources allocated = allocatedToRole(role);
    for (const auto& [name, limit] : quota->second.limits) {
      offer = offer.withScalarAtMost(name, limit - allocated.scalar(name));
    }
    if (offer.scalar("cpus") <= 1e-6 && offer.scalar("mem") <= 1e-6) {
      return Resources();
    }
  }
  if (headroom != nullptr && !headroom->needed.empty() && !hasUnmetGuarantee(role)) {
    // Only what the unmet guarantees do not need may go to this role.
    for (const char* name : kShareResources) {
      double spare = headroom->freeUnreserved.scalar(name) - headroom->needed.scalar(name);
      double reserved = offer.scalar(name) - offer.reservedTo(Resources::kUnreservedRole).scalar(name);
      offer = offer.withScalarAtMost(name, reserved + spare);
    }
    if (offer.scalar("cpus") <= 1e-6 && offer.scalar("mem") <= 1e-6) {
      return Resources();
    }
  }
  return offer;
}

bool DrfAllocator::isSuppressed(const std::string& frameworkId) const {
  auto it = frameworks_.find(frameworkId);
  return it != frameworks_.end() && it->second.suppressed;
}

void DrfAllocator::setWeight(const std::string& role, double weight) {
  weights_[role] = weight;
  ordersStale_ = true;
  everythingChanged_ = true;
}

// --- Accounting ----------------------------------------------------------------------

void DrfAllocator::addUsed(const std::string& frameworkId, const std::string& agentId,
                           const Resources& resources) {
  auto agent = agents_.find(agentId);
  if (agent == agents_.end()) {
    return;
  }
  agent->second.allocated += resources;
  agent->second.byFramework[frameworkId] += resources;
  auto framework = frameworks_.find(frameworkId);
  if (framework != frameworks_.end()) {
    unlink(frameworkId);
    framework->second.allocated += resources;
    roles_[framework->second.role].allocated += resources;
    link(frameworkId);
  }
}

void DrfAllocator::recover(const std::string& frameworkId, const std::string& agentId,
                           const Resources& resources, std::optional<TimePoint> refuseUntil) {
  auto agent = agents_.find(agentId);
  if (agent != agents_.end()) {
    agent->second.allocated -= resources;
    changedAgents_.insert(agentId);
    auto held = agent->second.byFramework.find(frameworkId);
    if (held != agent->second.byFramework.end()) {
      held->second -= resources;
      if (held->second.empty()) {
        agent->second.byFramework.erase(held);
      }
    }
  }
  auto framework = frameworks_.find(frameworkId);
  if (framework == frameworks_.end()) {
    return;
  }
  unlink(frameworkId);
  framework->second.allocated -= resources;
  roles_[framework->second.role].allocated -= resources;
  link(frameworkId);
  if (refuseUntil && agent != agents_.end() && !resources.empty()) {
    framework->second.filters[agentId] = Filter{resources, *refuseUntil};
  }
}

Resources DrfAllocator::available(const std::string& agentId) const {
  auto it = agents_.find(agentId);
  return it == agents_.end() ? Resources() : it->second.total - it->second.allocated;
}

Resources DrfAllocator::allocatedTo(const std::string& frameworkId) const {
  auto it = frameworks_.find(frameworkId);
  return it == frameworks_.end() ? Resources() : it->second.allocated;
}

// --- Allocation ----------------------------------------------------------------------

bool DrfAllocator::filtered(const Framework& framework, const std::string& agentId,
                            const Resources& offer, TimePoint now) const {
  auto it = framework.filters.find(agentId);
  // A filter holds while it has not expired and the offer would be no more than what was
  // refused (Mesos semantics: more free resources lift it).
  return it != framework.filters.end() && it->second.until > now &&
         it->second.refused.contains(offer);
}

std::optional<DrfAllocator::Pick> DrfAllocator::pick(const std::string& agentId,
                                                     const Resources& free, TimePoint now,
                                                     const Headroom* headroom) const {
  // Roles with unmet guarantees first (in share order), then everyone in share order.
  for (int stage = headroom == nullptr ? 1 : 0; stage < 2; ++stage) {
    for (const auto& [roleShare, roleName] : roleOrder_) {
      if (stage == 0 && !hasUnmetGuarantee(roleName)) {
        continue;
      }
      Resources offer = offerable(roleName, free, headroom);
      if (offer.empty()) {
        continue;
      }
      for (const auto& [frameworkShare, frameworkId] : roles_.at(roleName).order) {
        if (!filtered(frameworks_.at(frameworkId), agentId, offer, now)) {
          return Pick{frameworkId, std::move(offer)};
        }
      }
    }
  }
  return std::nullopt;
}

std::vector<DrfAllocator::Allocation> DrfAllocator::allocate(TimePoint now, Scope scope) {
  std::vector<Allocation> out;
  bool everything = scope == Scope::kAll || everythingChanged_;
  std::set<std::string> changed;
  changed.swap(changedAgents_);
  everythingChanged_ = false;
  if (agents_.empty() || frameworks_.empty()) {
    return out;
  }
  if (ordersStale_) {
    rebuildOrders();
  }
  std::vector<const std::string*> order;
  order.reserve(everything ? agents_.size() : changed.size());
  if (everything) {
    for (const auto& [id, agent] : agents_) {
      order.push_back(&id);
    }
  } else {
    for (const std::string& id : changed) {
      auto it = agents_.find(id);
      if (it != agents_.end()) {
        order.push_back(&it->first);
      }
    }
  }
  if (order.empty()) {
    return out;
  }
  std::rotate(order.begin(), order.begin() + (rotation_++ % order.size()), order.end());
  // Guarantees need a cluster-wide view of what is free; without quota, skip the work.
  std::optional<Headroom> headroom;
  if (!quotas_.empty()) {
    headroom = Headroom{unmetGuarantees(), Resources()};
    for (const auto& [id, agent] : agents_) {
      headroom->freeUnreserved +=
          (agent.total - agent.allocated).reservedTo(Resources::kUnreservedRole);
    }
  }
  for (const std::string* agentId : order) {
    const Agent& agent = agents_.at(*agentId);
    if (!agent.active || agent.allocated.contains(agent.total)) {
      continue;  // Offered to nobody, or nothing free.
    }
    Resources free = agent.total - agent.allocated;
    std::optional<Pick> chosen = pick(*agentId, free, now, headroom ? &*headroom : nullptr);
    if (!chosen) {
      continue;
    }
    std::string role = frameworks_.at(chosen->frameworkId).role;
    addUsed(chosen->frameworkId, *agentId, chosen->offer);
    if (headroom) {
      headroom->freeUnreserved -= chosen->offer.reservedTo(Resources::kUnreservedRole);
      headroom->needed = unmetGuarantees();
    }
    out.push_back(Allocation{chosen->frameworkId, *agentId, role, std::move(chosen->offer)});
  }
  return out;
}

std::string DrfAllocator::pendingReason(const std::string& frameworkId, TimePoint now) const {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) {
    return "unknown framework";
  }
  const Framework& framework = it->second;
  if (!framework.active) {
    return "framework is disconnected";
  }
  if (framework.suppressed) {
    return "framework suppressed offers (REVIVE to receive them again)";
  }
  auto quota = quotas_.find(framework.role);
  if (quota != quotas_.end()) {
    Resources allocated = allocatedToRole(framework.role);
    for (const auto& [name, limit] : quota->second.limits) {
      if (allocated.scalar(name) + 1e-6 >= limit) {
        return "role " + framework.role + " reached its quota limit of " + std::to_string(limit) +
               " " + name;
      }
    }
  }
  size_t free = 0;
  size_t filteredCount = 0;
  for (const auto& [agentId, agent] : agents_) {
    Resources offer = (agent.total - agent.allocated).allocatableTo(framework.role);
    if (offer.empty()) {
      continue;
    }
    ++free;
    if (filtered(framework, agentId, offer, now)) {
      ++filteredCount;
    }
  }
  if (free == 0) {
    return "no agent has free resources for role " + framework.role;
  }
  if (filteredCount == free) {
    return "every agent with free resources is filtered by a recent DECLINE";
  }
  return "offers are outstanding or another framework has a lower dominant share";
}

}  // namespace agora::master
