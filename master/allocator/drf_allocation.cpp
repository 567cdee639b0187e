// DrfAllocator's allocation pass and quota: which client gets an agent next, and how much.
#include <algorithm>

#include "master/allocator/drf_allocator.hpp"

namespace agora::master {
namespace {
const char* kShareResources[] = {"cpus", "mem", "disk", "gpus"};
constexpr double kEpsilon = 1e-6;

Resources scalarOf(const std::string& name, double value) {
  return *Resources::parse(name + ":" + std::to_string(value));
}

// After quota cuts: an offer without cpus or without memory launches nothing, and would
// only pin the other half of the agent (e.g. the memory a guaranteed role needs).
bool worthOffering(const Resources& offer) {
  return offer.scalar("cpus") > kEpsilon && offer.scalar("mem") > kEpsilon;
}
}  // namespace

// --- Quota ---------------------------------------------------------------------------

void DrfAllocator::setQuota(const std::string& role, const ScalarLimits& limits,
                            const Resources& guarantees) {
  if (limits.empty() && guarantees.empty()) {
    quotas_.erase(role);
  } else {
    quotas_[role] = Quota{limits, guarantees};
  }
  // Index the nesting once here, so passes do not search for it.
  topQuotaRoles_.clear();
  quotaChildren_.clear();
  for (const auto& [name, quota] : quotas_) {
    std::string nearest = RoleTree::nearestAncestorIn(quotas_, name);
    (nearest.empty() ? topQuotaRoles_ : quotaChildren_[nearest]).push_back(name);
  }
  everythingChanged_ = true;
}

std::vector<DrfAllocator::Limit> DrfAllocator::limitsOf(const std::string& role) const {
  std::vector<Limit> limits;
  if (quotas_.empty()) {
    return limits;  // The common case, on every pick: no chain to build.
  }
  for (const std::string& name : RoleTree::chainOf(role)) {
    auto quota = quotas_.find(name);
    if (quota == quotas_.end()) {
      continue;
    }
    const Resources& allocated = tree_.allocated(name);
    for (const auto& [scalar, limit] : quota->second.limits) {
      limits.push_back(Limit{name, scalar, limit, allocated.scalar(scalar)});
    }
  }
  return limits;
}

bool DrfAllocator::hasUnmetGuarantee(const std::string& role) const {
  if (quotas_.empty()) {
    return false;
  }
  for (const std::string& name : RoleTree::chainOf(role)) {
    auto quota = quotas_.find(name);
    if (quota == quotas_.end()) {
      continue;
    }
    const Resources& allocated = tree_.allocated(name);
    for (const char* scalar : kShareResources) {
      if (quota->second.guarantees.scalar(scalar) > allocated.scalar(scalar) + kEpsilon) {
        return true;
      }
    }
  }
  return false;
}

Resources DrfAllocator::neededBy(const std::string& role) const {
  const Quota& quota = quotas_.at(role);
  const Resources& allocated = tree_.allocated(role);
  Resources children;
  auto nested = quotaChildren_.find(role);
  if (nested != quotaChildren_.end()) {
    for (const std::string& child : nested->second) {
      children += neededBy(child);
    }
  }
  Resources needed;
  for (const char* name : kShareResources) {
    double own = quota.guarantees.scalar(name) - allocated.scalar(name);
    double missing = std::max(own, children.scalar(name));
    if (missing > kEpsilon) {
      needed += scalarOf(name, missing);
    }
  }
  return needed;
}

Resources DrfAllocator::unmetGuarantees() const {
  Resources needed;
  for (const std::string& role : topQuotaRoles_) {
    needed += neededBy(role);
  }
  return needed;
}

Resources DrfAllocator::offerable(const std::string& role, const Resources& free,
                                  const Headroom* headroom) const {
  Resources offer = free.allocatableTo(role);
  std::vector<Limit> limits = limitsOf(role);
  for (const Limit& limit : limits) {
    offer = offer.withScalarAtMost(limit.scalar, limit.limit - limit.allocated);
  }
  if (!limits.empty() && !worthOffering(offer)) {
    return Resources();
  }
  if (headroom != nullptr && !headroom->needed.empty() && !hasUnmetGuarantee(role)) {
    // Only what the unmet guarantees do not need may go to this role.
    for (const char* name : kShareResources) {
      // Reserved resources are never part of the headroom: only unreserved ones are cut.
      double spare = std::max(
          0.0, headroom->freeUnreserved.scalar(name) - headroom->needed.scalar(name));
      double reserved =
          offer.scalar(name) - offer.reservedTo(Resources::kUnreservedRole).scalar(name);
      offer = offer.withScalarAtMost(name, reserved + spare);
    }
    if (!worthOffering(offer)) {
      return Resources();
    }
  }
  return offer;
}

// --- Allocation ----------------------------------------------------------------------

bool DrfAllocator::filtered(const Client& client, const std::string& agentId,
                            const Resources& offer, TimePoint now) const {
  auto it = client.filters.find(agentId);
  // A filter holds while it has not expired and the offer would be no more than what was
  // refused (Mesos semantics: more free resources lift it).
  return it != client.filters.end() && it->second.until > now &&
         it->second.refused.contains(offer);
}

std::optional<DrfAllocator::Pick> DrfAllocator::pick(const std::string& agentId,
                                                     const Agent& agent, const Resources& free,
                                                     TimePoint now,
                                                     const Headroom* headroom) const {
  std::optional<Pick> chosen;
  bool isRemote = remote(agent);
  // Roles under unmet guarantees first (in DRF order), then everyone in DRF order.
  for (int stage = headroom == nullptr ? 1 : 0; stage < 2 && !chosen; ++stage) {
    tree_.walk([&](const std::string& role, const RoleTree::Order& clients) {
      if (stage == 0 && !hasUnmetGuarantee(role)) {
        return false;
      }
      Resources offer = offerable(role, free, headroom);
      if (offer.empty()) {
        return false;
      }
      for (const auto& [clientShare, frameworkId] : clients) {
        const Framework& framework = frameworks_.at(frameworkId);
        if (isRemote && !framework.regionAware) {
          continue;
        }
        if (!filtered(framework.clients.at(role), agentId, offer, now)) {
          chosen = Pick{frameworkId, role, std::move(offer)};
          return true;
        }
      }
      return false;
    });
  }
  return chosen;
}

std::vector<DrfAllocator::Allocation> DrfAllocator::allocate(TimePoint now, Scope scope,
                                                             size_t maxAgents) {
  std::vector<Allocation> out;
  if (scope == Scope::kAll || everythingChanged_) {
    startSweep();
  }
  std::set<std::string> changed;
  changed.swap(changedAgents_);
  everythingChanged_ = false;
  if (agents_.empty() || frameworks_.empty()) {
    sweep_.clear();
    return out;
  }
  if (ordersStale_) {
    rebuildOrders();
  }
  std::vector<const std::string*> order;
  for (const std::string& id : changed) {
    auto it = agents_.find(id);
    if (it != agents_.end()) {
      order.push_back(&it->first);
    }
  }
  // The sweep's share of this call (an agent both changed and in the sweep may be
  // visited twice: the second visit finds it handed out already, or offers what is left).
  std::vector<std::string> swept;
  for (size_t n = 0; n < maxAgents && !sweep_.empty(); ++n) {
    swept.push_back(std::move(sweep_.back()));
    sweep_.pop_back();
  }
  for (const std::string& id : swept) {
    auto it = agents_.find(id);
    if (it != agents_.end()) {
      order.push_back(&it->first);
    }
  }
  if (order.empty()) {
    return out;
  }
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
    Agent& agent = agents_.at(*agentId);
    if (!agent.active || agent.allocated.contains(agent.total)) {
      continue;  // Offered to nobody, or nothing free.
    }
    Resources free = agent.total - agent.allocated;
    std::optional<Pick> chosen = pick(*agentId, agent, free, now, headroom ? &*headroom : nullptr);
    if (!chosen) {
      continue;
    }
    account(chosen->frameworkId, chosen->role, agent, *agentId, chosen->offer, true);
    if (headroom) {
      headroom->freeUnreserved -= chosen->offer.reservedTo(Resources::kUnreservedRole);
      headroom->needed = unmetGuarantees();
    }
    out.push_back(Allocation{chosen->frameworkId, *agentId, std::move(chosen->role),
                             std::move(chosen->offer)});
  }
  return out;
}

void DrfAllocator::startSweep() {
  // Start at a different agent each sweep so none is favoured; `sweep_` is taken from
  // the back.
  sweep_.clear();
  sweep_.reserve(agents_.size());
  for (const auto& [id, agent] : agents_) {
    sweep_.push_back(id);
  }
  if (!sweep_.empty()) {
    std::rotate(sweep_.begin(), sweep_.begin() + (rotation_++ % sweep_.size()), sweep_.end());
    std::reverse(sweep_.begin(), sweep_.end());
  }
}

// --- Why pending ---------------------------------------------------------------------

std::string DrfAllocator::pendingReason(const std::string& frameworkId, const std::string& role,
                                        TimePoint now) const {
  PendingScan scan;
  scan.frameworkId = frameworkId;
  scan.role = role;
  scanPending(scan, now, SIZE_MAX);
  return *scan.reason;
}

std::string DrfAllocator::pendingReason(const std::string& frameworkId, TimePoint now) const {
  std::vector<PendingScan> scans = pendingScans(frameworkId);
  for (PendingScan& scan : scans) {
    scanPending(scan, now, SIZE_MAX);
  }
  return joinPendingReasons(scans);
}

std::vector<DrfAllocator::PendingScan> DrfAllocator::pendingScans(
    const std::string& frameworkId) const {
  std::vector<std::string> roles = rolesOf(frameworkId);
  if (roles.empty()) {
    roles.push_back(Resources::kUnreservedRole);
  }
  std::vector<PendingScan> scans;
  for (std::string& role : roles) {
    PendingScan& scan = scans.emplace_back();
    scan.frameworkId = frameworkId;
    scan.role = std::move(role);
  }
  return scans;
}

std::string DrfAllocator::joinPendingReasons(const std::vector<PendingScan>& scans) {
  if (scans.size() == 1) {
    return scans[0].reason.value_or("");
  }
  std::string out;
  for (const PendingScan& scan : scans) {
    out += (out.empty() ? "" : "; ") + scan.role + ": " + scan.reason.value_or("");
  }
  return out;
}

// The reasons that need no walk over the agents, if one holds.
std::optional<std::string> DrfAllocator::pendingBeforeWalk(const std::string& frameworkId,
                                                           const std::string& role) const {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) {
    return "unknown framework";
  }
  const Framework& framework = it->second;
  auto client = framework.clients.find(role);
  if (client == framework.clients.end() || !client->second.subscribed) {
    return "framework is not subscribed to role " + role;
  }
  if (!framework.active) {
    return "framework is disconnected";
  }
  if (client->second.suppressed) {
    return "framework suppressed offers for role " + role + " (REVIVE to receive them again)";
  }
  for (const Limit& limit : limitsOf(role)) {
    if (limit.allocated + kEpsilon >= limit.limit) {
      return "role " + limit.role + " reached its quota limit of " + std::to_string(limit.limit) +
             " " + limit.scalar;
    }
  }
  return std::nullopt;
}

bool DrfAllocator::scanPending(PendingScan& scan, TimePoint now, size_t maxAgents) const {
  if (scan.reason) {
    return true;
  }
  // Checked again on every slice: the framework may have left or changed in between.
  if (auto reason = pendingBeforeWalk(scan.frameworkId, scan.role)) {
    scan.reason = std::move(reason);
    return true;
  }
  const Framework& framework = frameworks_.at(scan.frameworkId);
  const Client& client = framework.clients.at(scan.role);
  auto it = agents_.lower_bound(scan.nextAgent);
  for (size_t visited = 0; it != agents_.end() && visited < maxAgents; ++it, ++visited) {
    const auto& [agentId, agent] = *it;
    if (!agent.active || agent.allocated.contains(agent.total)) {
      continue;  // Cheap first: no copies for a full agent.
    }
    Resources offer = (agent.total - agent.allocated).allocatableTo(scan.role);
    if (!worthOffering(offer)) {
      continue;
    }
    ++scan.free;
    if (remote(agent) && !framework.regionAware) {
      ++scan.remote;
    } else if (!filtered(client, agentId, offer, now)) {
      // One agent the framework could be offered settles it.
      scan.reason =
          "offers are outstanding or another framework or role has a lower dominant share";
      return true;
    }
  }
  if (it != agents_.end()) {
    scan.nextAgent = it->first;
    return false;
  }
  if (scan.free == 0) {
    scan.reason = "no agent has free resources for role " + scan.role;
  } else if (scan.remote == scan.free) {
    scan.reason =
        "every agent with free resources is in another region (the framework is not "
        "REGION_AWARE)";
  } else {
    scan.reason = "every agent with free resources is filtered by a recent DECLINE";
  }
  return true;
}

}  // namespace agora::master
