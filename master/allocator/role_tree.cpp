#include "master/allocator/role_tree.hpp"

#include <algorithm>

namespace agora::master {
namespace {
constexpr std::array<const char*, 4> kShareResources = {"cpus", "mem", "disk", "gpus"};
}

std::string RoleTree::parentOf(const std::string& role) {
  size_t slash = role.rfind('/');
  return slash == std::string::npos ? std::string() : role.substr(0, slash);
}

std::vector<std::string> RoleTree::chainOf(const std::string& role) {
  std::vector<std::string> chain;
  for (std::string r = role; !r.empty(); r = parentOf(r)) {
    chain.push_back(r);
  }
  return chain;
}

void RoleTree::setTotal(const Resources& total) {
  for (size_t i = 0; i < totals_.size(); ++i) {
    totals_[i] = total.scalar(kShareResources[i]);
  }
}

double RoleTree::share(const Resources& allocated) const {
  double dominant = 0;
  for (size_t i = 0; i < totals_.size(); ++i) {
    if (totals_[i] > 0) {
      dominant = std::max(dominant, allocated.scalar(kShareResources[i]) / totals_[i]);
    }
  }
  return dominant;
}

void RoleTree::setWeight(const std::string& role, double weight) {
  node(role).weight = weight > 0 ? weight : 1.0;
}

const Resources& RoleTree::allocated(const std::string& role) const {
  static const Resources kNothing;
  auto it = nodes_.find(role);
  return it == nodes_.end() ? kNothing : it->second.allocated;
}

RoleTree::Node& RoleTree::node(const std::string& role) {
  auto it = nodes_.find(role);
  if (it != nodes_.end()) {
    return it->second;
  }
  Node* parent = &node(parentOf(role));  // Ancestors first, so walks can always climb.
  Node& created = nodes_[role];
  created.name = role;
  created.parent = parent;
  return created;
}

double RoleTree::ownShareOf(const Node& n) const {
  if (n.children.empty()) {
    return share(n.allocated);  // Unused while there are no children; cheap anyway.
  }
  Resources own = n.allocated;
  for (const Child& child : n.children) {
    own -= child.node->allocated;
  }
  return share(own);
}

void RoleTree::reposition(Node* n) {
  for (; n->parent != nullptr; n = n->parent) {
    std::set<Child>& siblings = n->parent->children;
    if (n->placed) {
      siblings.erase(Child{n->share, n->name, n});
    }
    n->share = share(n->allocated) / n->weight;
    n->ownShare = ownShareOf(*n);
    n->placed = !n->clients.empty() || !n->children.empty();
    if (n->placed) {
      siblings.insert(Child{n->share, n->name, n});
    }
  }
}

void RoleTree::changeAllocation(const std::string& role, const Resources& resources, bool add,
                                bool resort) {
  Node& leaf = node(role);
  for (Node* n = &leaf; n->parent != nullptr; n = n->parent) {
    if (add) {
      n->allocated += resources;
    } else {
      n->allocated -= resources;
    }
  }
  if (resort) {
    reposition(&leaf);
  }
}

void RoleTree::add(const std::string& role, const Resources& resources, bool resort) {
  changeAllocation(role, resources, true, resort);
}

void RoleTree::subtract(const std::string& role, const Resources& resources, bool resort) {
  changeAllocation(role, resources, false, resort);
}

void RoleTree::linkClient(const std::string& role, double share, const std::string& clientId) {
  Node& n = node(role);
  n.clients.insert({share, clientId});
  reposition(&n);
}

void RoleTree::unlinkClient(const std::string& role, double share, const std::string& clientId,
                            bool resort) {
  auto it = nodes_.find(role);
  if (it != nodes_.end() && it->second.clients.erase({share, clientId}) > 0 && resort) {
    reposition(&it->second);
  }
}

void RoleTree::resort(const std::string& role) { reposition(&node(role)); }

void RoleTree::reset() {
  for (auto& [name, n] : nodes_) {
    n.clients.clear();
    n.children.clear();
    n.placed = false;
  }
}

}  // namespace agora::master
