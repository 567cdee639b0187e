// The network namespace the containers of a pod (LAUNCH_GROUP on a BRIDGE
// network) share. Each task of the pod has its own executor; they coordinate
// through the pod directory the agent made
// (`<work_dir>/pods/<framework>/<executor id>`, see Agent::onRunTaskGroup):
//   group.pb           the pod's tasks (written by the agent before any
//   executor starts); network.lock       flock held while joining or leaving;
//   network.address    the pod's address once its namespace is attached;
//   network.members/   one file per task that joined and has not left.
// The first task to join creates the namespace and attaches it to the agent's
// bridge with the port mappings of every task of the pod; the last to leave
// detaches and deletes it.
//
// Thread-compatible; processes coordinate through the lock. Runs as root (CNI).
#pragma once

#include <string>
#include <vector>

#include "agora/v1/common.pb.h"
#include "common/base/status.hpp"
#include "slave/containerizer/cni.hpp"

namespace agora::slave {

// The task's BRIDGE port mappings, each checked: the host port among the task's
// `ports` resources, a real container port, tcp or udp. Errors name the port.
StatusOr<std::vector<oci::PortMapping>> taskPortMappings(const v1::TaskInfo& task);

class PodNetwork {
 public:
  PodNetwork(std::string podDir, std::string cniDir)
      : podDir_(std::move(podDir)), cniDir_(std::move(cniDir)) {}

  // Adds `member` (a task id) to the pod's network, attaching it first when no
  // task holds it. Returns the pod's address.
  StatusOr<std::string> join(const std::string& member);
  // Removes `member`; the last one out detaches the namespace. Best effort.
  void leave(const std::string& member);
  // Where runc joins the namespace.
  std::string netnsPath() const { return oci::CniNetwork::netnsPath(networkId()); }

 private:
  // The namespace's name and CNI container id ("agora-pod-" + a hash of the pod
  // dir).
  std::string networkId() const;
  // Every task's port mappings, from group.pb.
  StatusOr<std::vector<oci::PortMapping>> groupPortMappings() const;

  std::string podDir_;
  std::string cniDir_;
};

}  // namespace agora::slave
