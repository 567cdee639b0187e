// Bridge networking for containers through the CNI reference plugins (Debian's
// containernetworking-plugins, in /usr/lib/cni): a network namespace per container
// (`ip netns add`, so runc can join it by path), then the chain loopback -> bridge (with
// host-local IPAM: an address on the agent's bridge, default `agora0`, 10.88.0.0/16) ->
// portmap (container ports published on host ports, iptables DNAT, localhost included).
// The chain is run by hand as CNI 1.0 specifies: each plugin gets the previous result as
// `prevResult`; DEL runs in reverse order.
//
// Functions of one object; thread-compatible. Runs as root.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::slave::oci {

struct PortMapping {
  int hostPort = 0;
  int containerPort = 0;
  std::string protocol = "tcp";
};

struct CniOptions {
  std::string pluginDir = "/usr/lib/cni";
  std::string stateDir;  // host-local's address leases. Required.
  std::string bridge = "agora0";
  std::string subnet = "10.88.0.0/16";
};

class CniNetwork {
 public:
  explicit CniNetwork(CniOptions options) : options_(std::move(options)) {}

  static std::string netnsPath(const std::string& containerId) {
    return "/var/run/netns/" + containerId;
  }
  // Creates the container's namespace and attaches it; returns the container's address.
  // On error nothing is left behind. Errors name the plugin and its message.
  StatusOr<std::string> attach(const std::string& containerId,
                               const std::vector<PortMapping>& ports);
  // Detaches (releasing the address and the port mappings) and deletes the namespace.
  // Best effort: the first error is returned after every step was tried.
  Status detach(const std::string& containerId, const std::vector<PortMapping>& ports);

 private:
  std::vector<std::string> chain() const;
  std::string pluginConfig(const std::string& type, const std::vector<PortMapping>& ports,
                           const std::string& prevResult) const;
  StatusOr<std::string> runPlugin(const std::string& command, const std::string& type,
                                  const std::string& containerId, const std::string& config);

  CniOptions options_;
};

}  // namespace agora::slave::oci
