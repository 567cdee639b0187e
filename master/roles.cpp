// Roles: weights and quota set through the operator API (persisted in the registry), and
// the /roles view (weight, quota, allocated, offered, reserved, frameworks, why pending).
#include <utility>

#include <glog/logging.h>

#include "master/master.hpp"

namespace agora::master {
namespace {

nlohmann::json quotaEntryJson(const std::string& role, const Master::RoleQuota& quota,
                              const Resources& consumed) {
  nlohmann::json limits = nlohmann::json::object();
  for (const auto& [name, limit] : quota.limits) {
    limits[name] = limit;
  }
  return {{"role", role},
          {"guarantee", quota.guarantees.toJson()},
          {"limit", limits},
          {"consumed", consumed.toJson()}};
}

}  // namespace

void Master::applyRecoveredRoles(const Registrar::Recovered& recovered) {
  if (recovered.weights) {
    for (const auto& w : recovered.weights->weights()) {
      weights_[w.role()] = w.weight();
      allocator_.setWeight(w.role(), w.weight());
    }
  }
  if (recovered.quotas) {
    for (const auto& q : recovered.quotas->quotas()) {
      auto guarantees = Resources::fromProto(q.guarantees());
      if (!guarantees.isOk()) {
        LOG(ERROR) << "Ignoring the corrupt quota of role " << q.role() << " in the registry";
        continue;
      }
      RoleQuota quota{{}, *guarantees};
      for (const auto& limit : q.limits()) {
        quota.limits[limit.name()] = limit.scalar().value();
      }
      quotas_[q.role()] = quota;
      allocator_.setQuota(q.role(), quota.limits, quota.guarantees);
    }
  }
}

nlohmann::json Master::weightsJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [role, weight] : weights_) {
    out.push_back({{"role", role}, {"weight", weight}});
  }
  return out;
}

Status Master::updateWeights(const std::map<std::string, double>& weights) {
  std::map<std::string, double> next = weights_;
  for (const auto& [role, weight] : weights) {
    next[role] = weight;
  }
  internal::RoleWeights record;
  for (const auto& [role, weight] : next) {
    auto* w = record.add_weights();
    w->set_role(role);
    w->set_weight(weight);
  }
  AGORA_RETURN_IF_ERROR(registrar_->saveWeights(record));
  weights_ = std::move(next);
  for (const auto& [role, weight] : weights) {
    LOG(INFO) << "Weight of role " << role << " set to " << weight;
    allocator_.setWeight(role, weight);
  }
  scheduleAllocation();
  return Status::ok();
}

Status Master::saveQuotas() {
  internal::RoleQuotas record;
  for (const auto& [role, quota] : quotas_) {
    auto* q = record.add_quotas();
    q->set_role(role);
    for (const auto& [name, limit] : quota.limits) {
      v1::Resource* r = q->add_limits();
      r->set_name(name);
      r->set_type(v1::Value::SCALAR);
      r->mutable_scalar()->set_value(limit);
    }
    quota.guarantees.toProto(q->mutable_guarantees());
  }
  return registrar_->saveQuotas(record);
}

namespace {

// Hierarchical quota must nest (as in Mesos): a parent's guarantee covers the sum of its
// children's, and no child's limit exceeds its parent's.
Status validateQuotaNesting(const std::map<std::string, Master::RoleQuota>& quotas) {
  std::map<std::string, Resources> childGuarantees;
  for (const auto& [role, quota] : quotas) {
    std::string parent = RoleTree::nearestAncestorIn(quotas, role);
    if (parent.empty()) continue;
    childGuarantees[parent] += quota.guarantees;
    for (const auto& [name, parentLimit] : quotas.at(parent).limits) {
      auto limit = quota.limits.find(name);
      if (limit != quota.limits.end() && limit->second > parentLimit + 1e-6) {
        return Status::invalid("limit of role '" + role + "' (" + std::to_string(limit->second) +
                               " " + name + ") exceeds the limit of its parent role '" + parent +
                               "' (" + std::to_string(parentLimit) + ")");
      }
    }
  }
  for (const auto& [parent, children] : childGuarantees) {
    for (const char* name : {"cpus", "mem", "disk", "gpus"}) {
      if (children.scalar(name) > quotas.at(parent).guarantees.scalar(name) + 1e-6) {
        return Status::invalid("guarantees of the children of role '" + parent + "' add up to " +
                               std::to_string(children.scalar(name)) + " " + name +
                               ", more than its own guarantee of " +
                               std::to_string(quotas.at(parent).guarantees.scalar(name)));
      }
    }
  }
  return Status::ok();
}

}  // namespace

Status Master::setQuota(const std::string& role, const RoleQuota& quota, bool force) {
  std::map<std::string, RoleQuota> proposed = quotas_;
  if (quota.limits.empty() && quota.guarantees.empty()) {
    proposed.erase(role);
  } else {
    proposed[role] = quota;
  }
  AGORA_RETURN_IF_ERROR(validateQuotaNesting(proposed));
  if (!force && !quota.guarantees.empty()) {
    // The guarantees of every top-level quota role together (children's nest inside their
    // parents') must fit in what the cluster has.
    Resources guaranteed;
    for (const auto& [other, q] : proposed) {
      if (RoleTree::nearestAncestorIn(proposed, other).empty()) {
        guaranteed += q.guarantees;
      }
    }
    Resources total;
    for (const auto& [id, agent] : agents_) {
      if (agent->state == AgentState::kRegistered) {
        total += agent->total.reservedTo(Resources::kUnreservedRole);
      }
    }
    for (const char* name : {"cpus", "mem", "disk", "gpus"}) {
      if (guaranteed.scalar(name) > total.scalar(name) + 1e-6) {
        return Status::invalid("guarantees of all roles would need " +
                               std::to_string(guaranteed.scalar(name)) + " " + name +
                               " but the cluster has " + std::to_string(total.scalar(name)) +
                               " unreserved (use force=true to set it anyway)");
      }
    }
  }
  std::map<std::string, RoleQuota> previous = std::exchange(quotas_, std::move(proposed));
  if (Status s = saveQuotas(); !s.isOk()) {
    quotas_ = std::move(previous);
    return s;
  }
  LOG(INFO) << "Quota of role " << role << ": guarantee '" << quota.guarantees.toString()
            << "', " << quota.limits.size() << " limits";
  allocator_.setQuota(role, quota.limits, quota.guarantees);
  // A lower limit takes effect at once: offers beyond it are withdrawn.
  std::set<std::string> rescind;
  for (const auto& [offerId, offer] : offers_) {
    bool inSubtree = offer.role == role || offer.role.rfind(role + "/", 0) == 0;
    if (inSubtree && !quota.limits.empty()) {
      rescind.insert(offerId);
    }
  }
  rescindOffersOf(rescind);
  scheduleAllocation();
  return Status::ok();
}

nlohmann::json Master::quotaJson() const {
  nlohmann::json infos = nlohmann::json::array();
  for (const auto& [role, quota] : quotas_) {
    infos.push_back(quotaEntryJson(role, quota, allocator_.allocatedToRole(role)));
  }
  return {{"infos", infos}};
}

nlohmann::json Master::rolesJson() const {
  std::map<std::string, nlohmann::json> roles;
  auto entry = [&](const std::string& role) -> nlohmann::json& {
    nlohmann::json& out = roles[role];
    if (out.is_null()) {
      auto weight = weights_.find(role);
      out = {{"name", role},
             {"weight", weight == weights_.end() ? 1.0 : weight->second},
             {"frameworks", nlohmann::json::array()},
             {"why_pending", nlohmann::json::array()}};
    }
    return out;
  };
  std::map<std::string, Resources> offered;
  for (const auto& [offerId, offer] : offers_) {
    // Offers count for their role's whole chain, as allocations do.
    for (const std::string& role : RoleTree::chainOf(offer.role)) {
      offered[role] += offer.resources;
    }
  }
  std::map<std::string, Resources> reserved;
  for (const auto& [id, agent] : agents_) {
    for (const std::string& role : agent->total.roles()) {
      if (role != Resources::kUnreservedRole) {
        reserved[role] += agent->total.reservedTo(role);
      }
    }
  }
  std::set<std::pair<std::string, std::string>> holdingOffers;  // (framework, role)
  for (const auto& [offerId, offer] : offers_) {
    holdingOffers.insert({offer.frameworkId, offer.role});
  }
  for (const auto& [id, framework] : frameworks_) {
    for (const std::string& role : framework->roles) {
      nlohmann::json& out = entry(role);
      out["frameworks"].push_back(id);
      if (!holdingOffers.count({id, role})) {
        out["why_pending"].push_back(
            {{"framework_id", id}, {"reason", allocator_.pendingReason(id, role, loop_.now())}});
      }
    }
  }
  for (const auto& [role, weight] : weights_) entry(role);
  for (const auto& [role, quota] : quotas_) entry(role);
  for (const auto& [role, resources] : reserved) entry(role);
  // Every ancestor of a known role is a role too (its figures cover its subtree).
  std::vector<std::string> known;
  for (const auto& [role, json] : roles) known.push_back(role);
  for (const std::string& role : known) {
    for (const std::string& ancestor : RoleTree::chainOf(RoleTree::parentOf(role))) {
      entry(ancestor);
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [role, json] : roles) {
    Resources allocated = allocator_.allocatedToRole(role);
    json["allocated"] = allocated.toJson();
    json["resources"] = allocated.toJson();
    json["offered"] = offered[role].toJson();
    json["reserved"] = reserved[role].toJson();
    auto quota = quotas_.find(role);
    json["quota"] = quotaEntryJson(role, quota == quotas_.end() ? RoleQuota{} : quota->second,
                                   allocated);
    out.push_back(json);
  }
  return {{"roles", out}};
}

}  // namespace agora::master
