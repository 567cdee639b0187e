// Roles: weights and quota set through the operator API (persisted in the registry), and
// the /roles view (weight, quota, allocated, offered, reserved, frameworks, why pending).
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

Status Master::setQuota(const std::string& role, const RoleQuota& quota, bool force) {
  if (!force && !quota.guarantees.empty()) {
    // The guarantees of every role together must fit in what the cluster has.
    Resources guaranteed = quota.guarantees;
    for (const auto& [other, q] : quotas_) {
      if (other != role) {
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
  std::map<std::string, RoleQuota> previous = quotas_;
  if (quota.limits.empty() && quota.guarantees.empty()) {
    quotas_.erase(role);
  } else {
    quotas_[role] = quota;
  }
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
    auto framework = frameworks_.find(offer.frameworkId);
    if (framework != frameworks_.end() && framework->second->role == role &&
        !quota.limits.empty()) {
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
    auto framework = frameworks_.find(offer.frameworkId);
    if (framework != frameworks_.end()) {
      offered[framework->second->role] += offer.resources;
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
  for (const auto& [id, framework] : frameworks_) {
    nlohmann::json& out = entry(framework->role);
    out["frameworks"].push_back(id);
    if (framework->offers.empty()) {
      out["why_pending"].push_back(
          {{"framework_id", id}, {"reason", allocator_.pendingReason(id, loop_.now())}});
    }
  }
  for (const auto& [role, weight] : weights_) entry(role);
  for (const auto& [role, quota] : quotas_) entry(role);
  for (const auto& [role, resources] : reserved) entry(role);
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
