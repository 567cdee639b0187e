// The role hierarchy as the allocator sees it: "eng/web" is a child of "eng", which is a
// child of the (unnamed) root. Each node knows what its whole subtree holds and keeps its
// children sorted by weighted dominant share, so a depth-first walk visits roles in DRF
// order at every level (siblings compete with siblings, never with their nephews).
//
// A role can both hold frameworks and have children ("eng" and "eng/web"): its own
// frameworks compete with its children as if they were one more child (Mesos calls it the
// virtual leaf "."), with weight 1.
//
// The tree does not know frameworks: callers link opaque client ids into a role with the
// client's own share (its order within the role) and report allocation changes.
#pragma once

#include <array>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/resources/resources.hpp"

namespace agora::master {

class RoleTree {
 public:
  using Order = std::set<std::pair<double, std::string>>;  // (share, id), lowest first.

  // "a/b/c" -> "a/b"; "a" -> "" (the root).
  static std::string parentOf(const std::string& role);
  // The role and every ancestor, nearest first: "a/b" -> {"a/b", "a"}.
  static std::vector<std::string> chainOf(const std::string& role);
  // The nearest proper ancestor of `role` that is a key of `map` ("" when none): e.g. the
  // quota that a role's quota nests in.
  template <typename Map>
  static std::string nearestAncestorIn(const Map& map, const std::string& role) {
    for (std::string up = parentOf(role); !up.empty(); up = parentOf(up)) {
      if (map.count(up)) return up;
    }
    return "";
  }

  // Dominant shares are taken against this total. Call `reset()` and re-link every client
  // afterwards: every cached share is stale.
  void setTotal(const Resources& total);
  double share(const Resources& allocated) const;
  void setWeight(const std::string& role, double weight);

  // Resources held by the role's whole subtree.
  const Resources& allocated(const std::string& role) const;
  // With `resort` false the role's place among its siblings is left stale: the caller
  // promises a `linkClient` (which re-sorts) right after, so one change costs one re-sort.
  void add(const std::string& role, const Resources& resources, bool resort = true);
  void subtract(const std::string& role, const Resources& resources, bool resort = true);

  void linkClient(const std::string& role, double share, const std::string& clientId);
  void unlinkClient(const std::string& role, double share, const std::string& clientId,
                    bool resort = true);
  // Re-sorts the role among its siblings (after a change made with `resort` false that no
  // `linkClient` followed).
  void resort(const std::string& role);
  // Unlinks every client (allocations stay).
  void reset();

  // Calls `visit(role, clients)` for every role with linked clients, in DRF order, until it
  // returns true. Returns whether it did.
  template <typename Visit>
  bool walk(Visit&& visit) const {
    return walkNode(root(), visit);
  }

 private:
  struct Node;
  // A child in its parent's order: by share, ties by name; the pointer saves a lookup
  // (nodes live in a std::map, so they never move).
  struct Child {
    double share;
    std::string name;
    const Node* node;
    bool operator<(const Child& other) const {
      return share != other.share ? share < other.share : name < other.name;
    }
  };
  struct Node {
    std::string name;
    Node* parent = nullptr;  // Null for the root.
    Resources allocated;     // The subtree's.
    double share = 0;        // Key in the parent's `children`, valid while `placed`.
    // Where this role's own clients sit among its children: the share of what the subtree
    // holds beyond its children (only computed for roles that have children).
    double ownShare = 0;
    double weight = 1;       // Among its siblings.
    bool placed = false;
    Order clients;
    std::set<Child> children;
  };

  Node& node(const std::string& role);
  const Node& root() const { return nodes_.at(""); }
  // Re-sorts the node (and every ancestor) in its parent after its allocation or its
  // clients changed; unplaced while nothing below it has clients.
  void reposition(Node* node);
  double ownShareOf(const Node& node) const;
  void changeAllocation(const std::string& role, const Resources& resources, bool add,
                        bool resort);

  template <typename Visit>
  bool walkNode(const Node& node, Visit& visit) const {
    bool ownDone = node.clients.empty();
    for (const Child& child : node.children) {
      if (!ownDone && node.ownShare <= child.share) {
        ownDone = true;
        if (visit(node.name, node.clients)) return true;
      }
      if (walkNode(*child.node, visit)) return true;
    }
    return !ownDone && visit(node.name, node.clients);
  }

  std::map<std::string, Node> nodes_ = {{"", Node{}}};
  // The total of each of kShareResources (shares are computed on every allocation change).
  std::array<double, 4> totals_{};
};

}  // namespace agora::master
