#include "slave/executor/pod_network.hpp"

#include <filesystem>
#include <fstream>

#include "common/resources/resources.hpp"
#include "slave/images/digest.hpp"
#include "slave/images/file_lock.hpp"

namespace agora::slave {
namespace {

namespace fs = std::filesystem;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

StatusOr<std::vector<oci::PortMapping>> taskPortMappings(const v1::TaskInfo& task) {
  auto resources = Resources::fromProto(task.resources());
  if (!resources.isOk()) return resources.status();
  IntervalSet offered = resources->ranges("ports");
  std::vector<oci::PortMapping> ports;
  for (const auto& mapping : task.container().port_mappings()) {
    IntervalSet wanted;
    wanted.add(mapping.host_port(), mapping.host_port());
    if (mapping.host_port() == 0 || !offered.contains(wanted)) {
      return Status::invalid("host port " + std::to_string(mapping.host_port()) +
                             " is not among the ports resources of task '" +
                             task.task_id().value() + "'");
    }
    if (mapping.container_port() == 0 || mapping.container_port() > 65535) {
      return Status::invalid("container port " + std::to_string(mapping.container_port()) +
                             " is not a port");
    }
    std::string protocol = mapping.protocol().empty() ? "tcp" : mapping.protocol();
    if (protocol != "tcp" && protocol != "udp") {
      return Status::invalid("port mapping protocol '" + protocol + "' is not tcp or udp");
    }
    ports.push_back(oci::PortMapping{static_cast<int>(mapping.host_port()),
                                     static_cast<int>(mapping.container_port()), protocol});
  }
  return ports;
}

std::string PodNetwork::networkId() const {
  return "agora-pod-" + images::sha256Digest(podDir_).substr(7, 24);
}

StatusOr<std::vector<oci::PortMapping>> PodNetwork::groupPortMappings() const {
  v1::TaskGroupInfo group;
  std::ifstream in(podDir_ + "/group.pb", std::ios::binary);
  if (!in || !group.ParseFromIstream(&in)) {
    return Status::io("cannot read the pod's tasks from " + podDir_ + "/group.pb");
  }
  std::vector<oci::PortMapping> all;
  for (const auto& task : group.tasks()) {
    auto ports = taskPortMappings(task);
    if (!ports.isOk()) return ports.status();
    all.insert(all.end(), ports->begin(), ports->end());
  }
  return all;
}

StatusOr<std::string> PodNetwork::join(const std::string& member) {
  images::FileLock lock(podDir_ + "/network.lock", images::FileLock::Mode::kExclusive);
  if (!lock.held()) return Status::io("cannot lock " + podDir_ + "/network.lock");
  std::error_code error;
  fs::create_directories(podDir_ + "/network.members", error);
  if (error) return Status::io("cannot create the pod's member list: " + error.message());
  std::string address = readFile(podDir_ + "/network.address");
  if (address.empty() || !fs::exists(netnsPath())) {
    auto ports = groupPortMappings();
    if (!ports.isOk()) return ports.status();
    auto attached =
        oci::CniNetwork(oci::CniOptions{.stateDir = cniDir_}).attach(networkId(), *ports);
    if (!attached.isOk()) return attached.status();
    address = *attached;
    std::ofstream(podDir_ + "/network.address", std::ios::trunc) << address;
  }
  std::ofstream(podDir_ + "/network.members/" + member, std::ios::trunc);
  return address;
}

void PodNetwork::leave(const std::string& member) {
  images::FileLock lock(podDir_ + "/network.lock", images::FileLock::Mode::kExclusive);
  std::error_code error;
  fs::remove(podDir_ + "/network.members/" + member, error);
  if (!fs::is_empty(podDir_ + "/network.members", error) && !error) return;
  if (fs::exists(podDir_ + "/network.address", error)) {
    auto ports = groupPortMappings();
    oci::CniNetwork(oci::CniOptions{.stateDir = cniDir_})
        .detach(networkId(), ports.isOk() ? *ports : std::vector<oci::PortMapping>{})
        .ignoreError();
    fs::remove(podDir_ + "/network.address", error);
  }
}

}  // namespace agora::slave
