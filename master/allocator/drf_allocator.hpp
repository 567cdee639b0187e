// The allocator: turns free agent resources into offers with dominant resource fairness
// (DRF) over the role hierarchy (weighted siblings at every level, see RoleTree), then across
// the frameworks of a role.
//
// A pure class: no sockets, no clock of its own (callers pass `now`), so unit tests and
// benchmarks drive it directly. The master owns one and touches it only on its loop.
//
// Accounting is per client: a framework in one of its roles (a framework may subscribe to
// several roles; each offer is allocated to one of them). Everything handed out by
// `allocate()` counts as allocated to that client on that agent (offered or used by tasks)
// until `recover()` gives it back. An agent's whole free pool (what the role may use) goes
// to one client at a time.
//
// Quota: a role's `limits` bound its subtree and are never exceeded (offers are cut down to
// fit every limit up the chain); its `guarantees` are set aside: while a role holds less than
// its guarantee, roles outside every unmet guarantee are offered only what the cluster has
// beyond all unmet guarantees, and roles under an unmet guarantee are served first.
//
// Fault domains: agents in a region other than the master's are offered only to frameworks
// that declared REGION_AWARE.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/resources/resources.hpp"
#include "master/allocator/role_tree.hpp"

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

  // A client's resources on an agent, keyed by (framework id, role).
  using ClientKey = std::pair<std::string, std::string>;
  using Used = std::map<ClientKey, Resources>;

  // The master's region (empty: no fault domain, every agent is local).
  void setLocalRegion(const std::string& region) { localRegion_ = region; }
  // REQUIRES: the agent is not present. `used` are resources already held by tasks (after
  // a re-registration). `region` is the agent's fault-domain region, if any.
  void addAgent(const std::string& agentId, const Resources& total, const Used& used = {},
                const std::string& region = {});
  // The agent's resources changed shape (reservations, volumes); what is allocated on it
  // stays allocated. REQUIRES: the new total contains everything allocated there.
  void updateTotal(const std::string& agentId, const Resources& total);
  // Forgets the agent and everything allocated on it.
  void removeAgent(const std::string& agentId);
  bool hasAgent(const std::string& agentId) const { return agents_.count(agentId) > 0; }
  // An inactive agent keeps its accounting but is offered to nobody (draining, maintenance).
  void deactivateAgent(const std::string& agentId);
  void activateAgent(const std::string& agentId);

  // A framework receives offers for each of `roles` while active and not suppressed there.
  // Adding a known framework again replaces its roles (what it holds in a role it left stays
  // accounted until recovered).
  void addFramework(const std::string& frameworkId, const std::vector<std::string>& roles,
                    bool regionAware = false);
  // Forgets the framework and releases everything allocated to it.
  void removeFramework(const std::string& frameworkId);
  void activateFramework(const std::string& frameworkId);
  void deactivateFramework(const std::string& frameworkId);
  // Without roles: every role of the framework.
  void suppress(const std::string& frameworkId, const std::vector<std::string>& roles = {});
  // Un-suppresses and clears every decline filter of the framework (in those roles).
  void revive(const std::string& frameworkId, const std::vector<std::string>& roles = {});
  // True when every role of the framework is suppressed.
  bool isSuppressed(const std::string& frameworkId) const;

  void setWeight(const std::string& role, double weight);
  // Scalar name -> the most the role may hold (0 is a real limit: nothing).
  using ScalarLimits = std::map<std::string, double>;
  // Empty `limits` and `guarantees` remove the quota.
  void setQuota(const std::string& role, const ScalarLimits& limits, const Resources& guarantees);
  // What the role's subtree holds.
  Resources allocatedToRole(const std::string& role) const;

  // Counts `resources` as allocated to the client on the agent (tasks found on a
  // re-registering agent, possibly of a framework added later).
  void addUsed(const std::string& frameworkId, const std::string& role, const std::string& agentId,
               const Resources& resources);
  // Gives resources back to the pool. With `refuseUntil`, they are not offered to this
  // client on this agent again before then (unless more becomes free there).
  void recover(const std::string& frameworkId, const std::string& role, const std::string& agentId,
               const Resources& resources, std::optional<TimePoint> refuseUntil = {});

  enum class Scope {
    kAll,      // Sweep every agent (periodic passes: decline filters may have expired).
    kChanged,  // Agents whose free resources grew since the last pass, and the rest of a
               // sweep in progress. A framework-level change (new, revived, re-activated
               // framework, weights) starts a sweep of every agent.
  };
  // One allocation pass. A sweep visits at most `maxAgents` agents per call and goes on at
  // the next call while `sweeping()`: the master bounds the time one pass holds its loop
  // (a sweep of 10,000 agents is tens of milliseconds), at the price of visiting the last
  // agents of a sweep a few calls later.
  std::vector<Allocation> allocate(TimePoint now, Scope scope = Scope::kAll,
                                   size_t maxAgents = SIZE_MAX);
  bool sweeping() const { return !sweep_.empty(); }

  // Everything the agents in the allocator have (registered agents).
  const Resources& clusterTotal() const { return clusterTotal_; }
  // Free resources on an agent (total minus everything allocated).
  Resources available(const std::string& agentId) const;
  // Everything allocated on an agent (offered or used by tasks); null for an unknown agent.
  const Resources* allocatedOn(const std::string& agentId) const;
  // Everything the framework holds, across its roles.
  Resources allocatedTo(const std::string& frameworkId) const;
  // Why a framework is getting no offers for `role` right now, in words (for operators).
  std::string pendingReason(const std::string& frameworkId, const std::string& role,
                            TimePoint now) const;
  // The same for every role of the framework, "role: reason" joined by "; ".
  std::string pendingReason(const std::string& frameworkId, TimePoint now) const;

  // The walk behind a pending reason, resumable: it may visit every agent (~1.6 µs each,
  // 16 ms at 10,000), so /state takes it a slice per loop turn.
  struct PendingScan {
    std::string frameworkId;
    std::string role;
    std::optional<std::string> reason;  // Set once the scan is complete.
    std::string nextAgent;              // The walk resumes at the first agent id not below this.
    size_t free = 0;                    // Agents seen with something the role could be offered...
    size_t remote = 0;                  // ...and of those, the ones in another region.
  };
  // One scan per role the framework is subscribed to.
  std::vector<PendingScan> pendingScans(const std::string& frameworkId) const;
  // Advances `scan` by at most `maxAgents` agents; true once `scan.reason` is set.
  bool scanPending(PendingScan& scan, TimePoint now, size_t maxAgents) const;
  // What `pendingReason(frameworkId, now)` says, from its finished scans.
  static std::string joinPendingReasons(const std::vector<PendingScan>& scans);
  std::vector<std::string> rolesOf(const std::string& frameworkId) const;

 private:
  struct Agent {
    Resources total;
    Resources allocated;
    Used byClient;
    std::string region;
    bool active = true;
  };
  struct Filter {
    Resources refused;
    TimePoint until;
  };
  // A framework in one role.
  struct Client {
    Resources allocated;
    double share = 0;  // Cached dominant share of `allocated`; the key it is linked under.
    bool linked = false;
    bool subscribed = true;  // False for a role the framework left but still holds in.
    bool suppressed = false;
    std::map<std::string, Filter> filters;  // By agent id.
  };
  struct Framework {
    std::map<std::string, Client> clients;  // By role.
    bool active = true;
    bool regionAware = false;
  };
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
    std::string role;
    Resources offer;
  };

  double share(const Resources& allocated) const { return tree_.share(allocated); }
  bool eligible(const Framework& framework, const Client& client) const {
    return framework.active && client.subscribed && !client.suppressed;
  }
  // Keep the role tree's client orders true around a change of a client (the caller holds
  // the entries: these run on every allocation change).
  // `resort` false: see RoleTree::add (a `link` follows at once).
  void unlink(const std::string& frameworkId, const std::string& role, Client& client,
              bool resort = true);
  void link(const std::string& frameworkId, const std::string& role, const Framework& framework,
            Client& client);
  template <typename Change>
  void relinkAll(const std::string& frameworkId, const std::vector<std::string>& roles,
                 Change change);
  // Moves `resources` into (add) or out of a client's accounts on an agent.
  void account(const std::string& frameworkId, const std::string& role, Agent& agent,
               const std::string& agentId, const Resources& resources, bool add);
  // Recomputes every cached share (the cluster total changed).
  void rebuildOrders();
  // Queues every agent for a sweep (dropping the rest of one in progress).
  void startSweep();

  // The client that should get this agent's free resources next, and what it may get.
  std::optional<Pick> pick(const std::string& agentId, const Agent& agent, const Resources& free,
                           TimePoint now, const Headroom* headroom) const;
  // `free` cut down to every limit up the role's chain and, for roles outside every unmet
  // guarantee, to what leaves the headroom intact. Empty when the role may get nothing.
  Resources offerable(const std::string& role, const Resources& free,
                      const Headroom* headroom) const;
  // Every quota limit that bounds `role` (its own and its ancestors'), with what the limiting
  // role's subtree holds of that scalar now.
  struct Limit {
    std::string role;
    std::string scalar;
    double limit;
    double allocated;
  };
  std::vector<Limit> limitsOf(const std::string& role) const;
  bool hasUnmetGuarantee(const std::string& role) const;
  // The reasons a framework gets nothing for `role` that need no walk over the agents.
  std::optional<std::string> pendingBeforeWalk(const std::string& frameworkId,
                                               const std::string& role) const;
  Resources unmetGuarantees() const;
  // What a quota role still needs: its own shortfall or its quota'd descendants', the larger.
  Resources neededBy(const std::string& role) const;
  bool filtered(const Client& client, const std::string& agentId, const Resources& offer,
                TimePoint now) const;
  bool remote(const Agent& agent) const {
    return !localRegion_.empty() && !agent.region.empty() && agent.region != localRegion_;
  }

  std::map<std::string, Agent> agents_;
  std::map<std::string, Framework> frameworks_;
  // Held on agents by frameworks not (yet) added, by framework then role (re-registered
  // agents report tasks before their frameworks re-subscribe after a master failover).
  std::map<std::string, std::map<std::string, Resources>> orphans_;
  std::map<std::string, Quota> quotas_;
  // Quota roles under no other quota role, and each quota role's nearest quota'd
  // descendants (guarantees nest: a parent's covers its children's).
  std::vector<std::string> topQuotaRoles_;
  std::map<std::string, std::vector<std::string>> quotaChildren_;
  RoleTree tree_;
  Resources clusterTotal_;
  std::string localRegion_;
  bool ordersStale_ = false;  // The cluster total changed since the last rebuild.
  std::set<std::string> changedAgents_;  // Free resources grew since the last pass.
  bool everythingChanged_ = false;
  // The agents a sweep in progress has still to visit, next last (ids: agents may leave).
  std::vector<std::string> sweep_;
  size_t rotation_ = 0;  // Start each pass at a different agent so none is favoured.
};

}  // namespace agora::master
