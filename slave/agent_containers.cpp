// What the agent does for a container whose executor died before cleaning up after it
// (killed, crashed, or lost while the agent was down): the container would run on as an
// orphan, holding its rootfs mount, cgroups and network.
#include <glog/logging.h>

#include <filesystem>

#include "slave/agent.hpp"
#include "slave/containerizer/cni.hpp"
#include "slave/containerizer/runc.hpp"
#include "slave/executor/container_runner.hpp"
#include "slave/executor/pod_network.hpp"
#include "slave/images/image_store.hpp"

namespace agora::slave {

void Agent::destroyOrphanedContainer(const TaskRecord& task) {
  const v1::TaskInfo& info = task.checkpoint.task();
  if (info.container().image().reference().empty()) return;
  const std::string& sandbox = task.checkpoint.sandbox();
  std::string id = containerIdForSandbox(sandbox);
  LOG(WARNING) << "Destroying container " << id << " of task " << info.task_id().value()
               << ": its executor is gone";
  auto runc = oci::Runc::open(
      oci::RuncOptions{.binary = "runc", .stateDir = runcRootPath(options_.workDir)});
  if (runc.isOk()) {
    Status removed = runc->remove(id, oci::RemoveMode::kForce);  // Kills what still runs.
    if (!removed.isOk()) LOG(WARNING) << "runc delete " << id << ": " << removed.message();
  }
  std::string bundle = sandbox + ".container";
  images::ImageStore::unmountRootfs(bundle + "/rootfs");
  std::error_code ignored;
  std::filesystem::remove_all(bundle, ignored);
  if (info.container().network() != v1::ContainerInfo::BRIDGE) return;
  if (task.checkpoint.has_executor()) {
    PodNetwork(podPath(options_.workDir, task.checkpoint.framework().id().value(),
                       task.checkpoint.executor().executor_id().value()),
               options_.cniLeaseDir)
        .leave(info.task_id().value());
    return;
  }
  auto ports = taskPortMappings(info);
  oci::CniNetwork(oci::CniOptions{.stateDir = options_.cniLeaseDir})
      .detach(id, ports.isOk() ? *ports : std::vector<oci::PortMapping>{})
      .ignoreError();
}

}  // namespace agora::slave
