#include "master/allocator/drf_allocator.hpp"

#include <algorithm>
#include <limits>

#include <glog/logging.h>

namespace agora::master {
namespace {
const char* kShareResources[] = {"cpus", "mem", "disk", "gpus"};
}

void DrfAllocator::addAgent(const std::string& agentId, const Resources& total,
                            const std::map<std::string, Resources>& used) {
  Agent& agent = agents_[agentId];
  agent.total = total;
  clusterTotal_ += total;
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
      roleAllocated_[framework->second.role] -= resources;
    }
  }
  for (auto& [id, framework] : frameworks_) {
    framework.filters.erase(agentId);
  }
  agents_.erase(it);
}

void DrfAllocator::addFramework(const std::string& frameworkId, const std::string& role) {
  Framework& framework = frameworks_[frameworkId];
  framework.role = role.empty() ? Resources::kUnreservedRole : role;
  framework.active = true;
}

void DrfAllocator::removeFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it == frameworks_.end()) {
    return;
  }
  roleAllocated_[it->second.role] -= it->second.allocated;
  for (auto& [agentId, agent] : agents_) {
    auto held = agent.byFramework.find(frameworkId);
    if (held != agent.byFramework.end()) {
      agent.allocated -= held->second;
      agent.byFramework.erase(held);
    }
  }
  frameworks_.erase(it);
}

void DrfAllocator::activateFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it != frameworks_.end()) {
    it->second.active = true;
  }
}

void DrfAllocator::deactivateFramework(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it != frameworks_.end()) {
    it->second.active = false;
  }
}

void DrfAllocator::suppress(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it != frameworks_.end()) {
    it->second.suppressed = true;
  }
}

void DrfAllocator::revive(const std::string& frameworkId) {
  auto it = frameworks_.find(frameworkId);
  if (it != frameworks_.end()) {
    it->second.suppressed = false;
    it->second.filters.clear();
  }
}

bool DrfAllocator::isSuppressed(const std::string& frameworkId) const {
  auto it = frameworks_.find(frameworkId);
  return it != frameworks_.end() && it->second.suppressed;
}

void DrfAllocator::setWeight(const std::string& role, double weight) { weights_[role] = weight; }

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
    framework->second.allocated += resources;
    roleAllocated_[framework->second.role] += resources;
  }
}

void DrfAllocator::recover(const std::string& frameworkId, const std::string& agentId,
                           const Resources& resources, std::optional<TimePoint> refuseUntil) {
  auto agent = agents_.find(agentId);
  if (agent != agents_.end()) {
    agent->second.allocated -= resources;
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
  framework->second.allocated -= resources;
  roleAllocated_[framework->second.role] -= resources;
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

double DrfAllocator::roleShare(const std::string& role) const {
  auto weight = weights_.find(role);
  double w = weight == weights_.end() || weight->second <= 0 ? 1.0 : weight->second;
  auto allocated = roleAllocated_.find(role);
  return allocated == roleAllocated_.end() ? 0 : share(allocated->second) / w;
}

bool DrfAllocator::filtered(const Framework& framework, const std::string& agentId,
                            const Resources& offer, TimePoint now) const {
  auto it = framework.filters.find(agentId);
  // A filter holds while it has not expired and the offer would be no more than what was
  // refused (Mesos semantics: more free resources lift it).
  return it != framework.filters.end() && it->second.until > now &&
         it->second.refused.contains(offer);
}

std::optional<std::string> DrfAllocator::pick(const std::string& agentId, const Resources& free,
                                              TimePoint now) const {
  std::optional<std::string> best;
  std::pair<double, double> bestKey{std::numeric_limits<double>::max(), 0};
  for (const auto& [id, framework] : frameworks_) {
    if (!framework.active || framework.suppressed) {
      continue;
    }
    Resources offer = free.allocatableTo(framework.role);
    if (offer.empty() || filtered(framework, agentId, offer, now)) {
      continue;
    }
    std::pair<double, double> key{roleShare(framework.role), share(framework.allocated)};
    if (!best || key < bestKey) {
      best = id;
      bestKey = key;
    }
  }
  return best;
}

std::vector<DrfAllocator::Allocation> DrfAllocator::allocate(TimePoint now) {
  std::vector<Allocation> out;
  if (agents_.empty() || frameworks_.empty()) {
    return out;
  }
  std::vector<std::string> order;
  order.reserve(agents_.size());
  for (const auto& [id, agent] : agents_) {
    order.push_back(id);
  }
  std::rotate(order.begin(), order.begin() + (rotation_++ % order.size()), order.end());
  for (const std::string& agentId : order) {
    Resources free = available(agentId);
    if (free.empty()) {
      continue;
    }
    std::optional<std::string> frameworkId = pick(agentId, free, now);
    if (!frameworkId) {
      continue;
    }
    const Framework& framework = frameworks_.at(*frameworkId);
    Resources offer = free.allocatableTo(framework.role);
    addUsed(*frameworkId, agentId, offer);
    out.push_back(Allocation{*frameworkId, agentId, framework.role, std::move(offer)});
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
