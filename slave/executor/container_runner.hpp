// Runs a task that names an image as an OCI container (the agent's `oci` containerizer):
//   prepare(): pull the image into the agent's image store unless it is there (one pull
//              per image at a time across all executors of the agent: a file lock per
//              reference), unpack a rootfs next to the sandbox, write the OCI bundle;
//   start():   `runc run --detach`; the container's init becomes the executor's
//              child (the executor is a subreaper), so it is watched like a command;
//   after the init exits: oomKilled() reads the memory cgroup, cleanUp() removes the
//              container, its cgroup and the bundle.
// The sandbox is mounted at /mnt/mesos/sandbox and is the working directory (as Mesos).
// BRIDGE networking attaches the container to the agent's bridge through CNI (see
// cni.hpp), publishing its port mappings on host ports taken from the task's `ports`.
//
// Thread-safety: prepare() runs on a worker thread (it blocks on the registry and on
// unpacking), everything else on the executor's loop, never at the same time.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "agora/v1/common.pb.h"
#include "common/base/status.hpp"
#include "common/resources/resources.hpp"
#include "slave/containerizer/cgroups.hpp"
#include "slave/containerizer/cni.hpp"
#include "slave/containerizer/oci_spec.hpp"
#include "slave/containerizer/runc.hpp"
#include "slave/executor/pod_network.hpp"
#include "slave/images/image_store.hpp"

namespace agora::slave {

struct ContainerRunnerOptions {
  std::string imageStore = {};  // The agent's image store directory.
  std::string runcRoot = {};    // runc's state directory for the agent's containers.
  std::string cniDir = {};      // CNI's address leases (bridge networking).
  int64_t imageStoreMaxMb = 0;  // Collect the image store down to this after a pull (0: never).
  std::vector<std::string> allowedHostPaths = {};  // Host directories volumes may mount.
  std::set<std::string> insecureRegistries = {};
  std::string registryCredentials = {};  // A Docker config.json, or empty.
  std::string sandbox = {};              // The task's sandbox on the host.
  std::string frameworkId = {};
  std::string hostname = {};  // The agent's (for $HOST).
  // Set for a task of a pod: the pod's directory (shared volumes and network,
  // see pod_network.hpp).
  std::string podDir = {};
  // Copy the image into the rootfs even where overlayfs could mount it.
  bool copyRootfs = false;
};

inline constexpr char kContainerSandbox[] = "/mnt/mesos/sandbox";

// The container id of the task run whose sandbox is `sandbox` ("agora-" + 32 hex digits of
// its hash), so that the agent finds a container's cgroups without asking its executor.
std::string containerIdForSandbox(const std::string& sandbox);
// Its cgroup path (the same under every hierarchy).
std::string containerCgroupsPath(const std::string& containerId);

class ContainerRunner {
 public:
  ContainerRunner(ContainerRunnerOptions options, v1::TaskInfo task);

  // Blocking. `progress` gets lines for the executor log. Errors name the cause (bad
  // reference, registry, corrupt image, bad resources, bundle).
  Status prepare(const std::function<void(const std::string&)>& progress);
  // Creates and starts the container; returns its init's pid (a child of this process).
  StatusOr<pid_t> start();
  Status kill(int signal) const;
  // After the init exited, before cleanUp(): whether the kernel OOM-killed in it, and the
  // memory limit it had (MB).
  bool oomKilled() const;
  double memoryLimitMb() const { return memMb_; }
  enum class InitState {
    kUnknown,  // Not started, or still running: runc removes it (killing what is left).
    kReaped,   // Its init exited and this process reaped it: nothing runs in it.
  };
  // Removes the container's runtime state, cgroup and bundle (rootfs included).
  void cleanUp(InitState init = InitState::kUnknown);

  const std::string& containerId() const { return containerId_; }
  // The OCI bundle prepare() writes (config.json and rootfs), next to the sandbox.
  std::string bundleDir() const { return options_.sandbox + ".container"; }
  // The container's own address on a BRIDGE network once prepared; empty otherwise (it
  // shares the host's network).
  const std::string& address() const { return address_; }
  // `command` (shell or not, as CommandInfo says) run inside the started container with
  // `runc exec`, as a command for launchCommand().
  v1::CommandInfo execCommand(const v1::CommandInfo& command) const;

 private:
  StatusOr<std::string> pullImage(images::ImageStore& store, const std::string& reference,
                                  const std::function<void(const std::string&)>& progress);
  StatusOr<std::vector<oci::Mount>> volumeMounts(const Resources& resources);
  // An overlayfs mount of the image's layers where the kernel allows it, else a copy.
  Status makeRootfs(images::ImageStore& store, const std::string& digest,
                    const std::function<void(const std::string&)>& progress);
  // The task's ContainerInfo.volumes, checked (allow-list, no '..').
  StatusOr<std::vector<oci::Mount>> declaredVolumes() const;
  // BRIDGE: the port mappings, checked against the task's `ports`; attaches the
  // network (or joins the pod's).
  Status attachNetwork(oci::ContainerConfig& config, std::map<std::string, std::string>& env);
  std::string cgroupsPath() const { return containerCgroupsPath(containerId_); }

  ContainerRunnerOptions options_;
  v1::TaskInfo task_;
  std::string containerId_;
  std::string address_;
  double memMb_ = 0;
  std::optional<oci::Runc> runc_;
  std::optional<oci::CgroupLayout> layout_;
  std::optional<std::vector<oci::PortMapping>> attachedPorts_;  // Set while attached.
  bool joinedPod_ = false;  // Member of the pod's network (leave on clean-up).
  bool overlay_ = false;    // The rootfs is an overlay mount (unmount on clean-up).
  bool pulled_ = false;     // prepare() fetched the image (the store grew).
};

}  // namespace agora::slave
