#include "master/allocator/role_tree.hpp"

#include <algorithm>

namespace agora::master {
namespace {
const char* kShareResources[] = {"cpus", "mem", "disk", "gpus"};
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

double RoleTree::share(const Resources& allocated) const {
  double dominant = 0;
  for (const char* name : kShareResources) {
    double total = total_.scalar(name);
    if (total > 0) {
      dominant = std::max(dominant, allocated.scalar(name) / total);
    }
  }
  return dominant;
}

void RoleTree::setWeight(const std::string& role, double weight) { weights_[role] = weight; }

double RoleTree::weightOf(const std::string& role) const {
  auto weight = weights_.find(role);
  return weight == weights_.end() || weight->second <= 0 ? 1.0 : weight->second;
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
  std::string parent = parentOf(role);
  node(parent);  // Ancestors first, so walks can always climb.
  Node& created = nodes_[role];
  created.name = role;
  created.parent = parent;
  return created;
}

void RoleTree::reposition(const std::string& role) {
  for (std::string name = role; !name.empty();) {
    Node& n = nodes_.at(name);
    Node& parent = nodes_.at(n.parent);
    if (n.placed) {
      parent.children.erase({n.share, name});
    }
    n.share = share(n.allocated) / weightOf(name);
    n.ownShare = share(n.own);
    n.placed = !n.clients.empty() || !n.children.empty();
    if (n.placed) {
      parent.children.insert({n.share, name});
    }
    name = n.parent;
  }
}

void RoleTree::changeAllocation(const std::string& role, const Resources& resources, bool add) {
  Node& leaf = node(role);
  if (add) {
    leaf.own += resources;
  } else {
    leaf.own -= resources;
  }
  for (std::string name = role; !name.empty(); name = nodes_.at(name).parent) {
    Node& n = nodes_.at(name);
    if (add) {
      n.allocated += resources;
    } else {
      n.allocated -= resources;
    }
  }
  reposition(role);
}

void RoleTree::add(const std::string& role, const Resources& resources) {
  changeAllocation(role, resources, true);
}

void RoleTree::subtract(const std::string& role, const Resources& resources) {
  changeAllocation(role, resources, false);
}

void RoleTree::linkClient(const std::string& role, double share, const std::string& clientId) {
  node(role).clients.insert({share, clientId});
  reposition(role);
}

void RoleTree::unlinkClient(const std::string& role, double share, const std::string& clientId) {
  auto it = nodes_.find(role);
  if (it != nodes_.end() && it->second.clients.erase({share, clientId}) > 0) {
    reposition(role);
  }
}

void RoleTree::reset() {
  for (auto& [name, n] : nodes_) {
    n.clients.clear();
    n.children.clear();
    n.placed = false;
  }
}

std::vector<std::string> RoleTree::roles() const {
  std::vector<std::string> out;
  for (const auto& [name, n] : nodes_) {
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

}  // namespace agora::master
