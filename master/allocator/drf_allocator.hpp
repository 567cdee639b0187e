// The allocator: turns free agent resources into offers with dominant resource fairness
// (DRF), first across roles (weighted), then across the frameworks of a role.
//
// A pure class: no sockets, no clock of its own (callers pass `now`), so unit tests and
// benchmarks drive it directly. The master owns one and touches it only on its loop.
//
// Accounting: each agent has a total; everything handed out by `allocate()` counts as
// allocated to that framework on that agent (offered or used by tasks) until `recover()`
// gives it back. Frameworks take one offer per agent: an agent's whole free pool (what the
// framework's role may use) goes to one framework at a time.
//
// Quota: a role's `limits` are never exceeded (offers are cut down to fit); its
// `guarantees` are set aside: while a role holds less than its guarantee, roles without an
// unmet guarantee are offered only what the cluster has beyond all unmet guarantees, and
// roles with unmet guarantees are served first. Hierarchical roles do not exist yet.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/resources/resources.hpp"

namespace agora::master {

class DrfAllocator {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Allocation {
    std::string frameworkId;
    std::string agentId;
    std::string role;
    Resources resources;
  };

  // REQUIRES: the agent is not present. `used` are resources already held by tasks (after
  // a re-registration), keyed by framework id.
  void addAgent(const std::string& agentId, const Resources& total,
                const std::map<std::string, Resources>& used = {});
  // Forgets the agent and everything allocated on it.
  void removeAgent(const std::string& agentId);
  bool hasAgent(const std::string& agentId) const { return agents_.count(agentId) > 0; }
  // An inactive agent keeps its accounting but is offered to nobody (draining, maintenance).
  void deactivateAgent(const std::string& agentId);
  void activateAgent(const std::string& agentId);

  // A framework receives offers for `role` while active and not suppressed.
  void addFramework(const std::string& frameworkId, const std::string& role);
  // Forgets the framework and releases everything allocated to it.
  void removeFramework(const std::string& frameworkId);
  void activateFramework(const std::string& frameworkId);
  void deactivateFramework(const std::string& frameworkId);
  void suppress(const std::string& frameworkId);
  // Un-suppresses and clears every decline filter of the framework.
  void revive(const std::string& frameworkId);
  bool isSuppressed(const std::string& frameworkId) const;

  void setWeight(const std::string& role, double weight);
  // Scalar name -> the most the role may hold (0 is a real limit: nothing).
  using ScalarLimits = std::map<std::string, double>;
  // Empty `limits` and `guarantees` remove the quota.
  void setQuota(const std::string& role, const ScalarLimits& limits, const Resources& guarantees);
  Resources allocatedToRole(const std::string& role) const;

  // Counts `resources` as allocated to the framework on the agent (tasks found on a
  // re-registering agent for a framework added later).
  void addUsed(const std::string& frameworkId, const std::string& agentId,
               const Resources& resources);
  // Gives resources back to the pool. With `refuseUntil`, they are not offered to this
  // framework again on this agent before then (unless more becomes free there).
  void recover(const std::string& frameworkId, const std::string& agentId,
               const Resources& resources, std::optional<TimePoint> refuseUntil = {});

  enum class Scope {
    kAll,      // Every agent (periodic passes: decline filters may have expired).
    kChanged,  // Only agents whose free resources grew since the last pass, unless a
               // framework-level change (new, revived, re-activated framework, weights)
               // makes every agent worth a look.
  };
  // One allocation pass.
  std::vector<Allocation> allocate(TimePoint now, Scope scope = Scope::kAll);

  // Free resources on an agent (total minus everything allocated).
  Resources available(const std::string& agentId) const;
  Resources allocatedTo(const std::string& frameworkId) const;
  // Why a framework is getting no offers right now, in words (for operators).
  std::string pendingReason(const std::string& frameworkId, TimePoint now) const;

 private:
  struct Agent {
    Resources total;
    Resources allocated;
    std::map<std::string, Resources> byFramework;
    bool active = true;
  };
  struct Filter {
    Resources refused;
    TimePoint until;
  };
  struct Framework {
    std::string role;
    bool active = true;
    bool suppressed = false;
    Resources allocated;
    double share = 0;                       // Cached dominant share of `allocated`.
    std::map<std::string, Filter> filters;  // By agent id.
    bool eligible() const { return active && !suppressed; }
  };
  struct Role {
    Resources allocated;
    double share = 0;  // Cached weighted dominant share.
    // Eligible frameworks of the role, by (share, id): the next to serve comes first.
    std::set<std::pair<double, std::string>> order;
  };

  double share(const Resources& allocated) const;
  double weightOf(const std::string& role) const;
  // Keep the sorted orders true after a framework's allocation or eligibility changes.
  void unlink(const std::string& frameworkId);
  void link(const std::string& frameworkId);
  // Applies `change` to a framework, keeping the orders true.
  template <typename Change>
  void relink(const std::string& frameworkId, Change change) {
    auto it = frameworks_.find(frameworkId);
    if (it != frameworks_.end()) {
      unlink(frameworkId);
      change(it->second);
      link(frameworkId);
    }
  }
  // Recomputes every cached share (the cluster total changed).
  void rebuildOrders();
  struct Quota {
    ScalarLimits limits;
    Resources guarantees;
  };
  // What the quota guarantees still need, and what is free and unreserved, during a pass.
  struct Headroom {
    Resources needed;
    Resources freeUnreserved;
  };
  struct Pick {
    std::string frameworkId;
    Resources offer;
  };
  // The framework that should get this agent's free resources next, and what it may get.
  std::optional<Pick> pick(const std::string& agentId, const Resources& free, TimePoint now,
                           const Headroom* headroom) const;
  // `free` cut down to the role's limit and, for roles without an unmet guarantee, to what
  // leaves the headroom intact. Empty when the role may get nothing.
  Resources offerable(const std::string& role, const Resources& free,
                      const Headroom* headroom) const;
  bool hasUnmetGuarantee(const std::string& role) const;
  Resources unmetGuarantees() const;
  bool filtered(const Framework& framework, const std::string& agentId, const Resources& offer,
                TimePoint now) const;

  std::map<std::string, Agent> agents_;
  std::map<std::string, Framework> frameworks_;
  std::map<std::string, double> weights_;
  std::map<std::string, Quota> quotas_;
  std::map<std::string, Role> roles_;
  // Roles with eligible frameworks, by (weighted share, role).
  std::set<std::pair<double, std::string>> roleOrder_;
  Resources clusterTotal_;
  bool ordersStale_ = false;  // The cluster total changed since the last rebuild.
  std::set<std::string> changedAgents_;  // Free resources grew since the last pass.
  bool everythingChanged_ = false;
  size_t rotation_ = 0;  // Start each pass at a different agent so none is favoured.
};

}  // namespace agora::master
