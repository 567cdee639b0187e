// Persistent volumes on the agent (Mesos' docs/persistent-volume.md). The master owns the
// list and sends all of it (`CheckpointResources`) after every CREATE/DESTROY and on
// (re)registration; the agent checkpoints it and keeps one directory per volume under
// `<work_dir>/volumes/roles/<role>/<persistence id>`. The data outlives the tasks that use
// the volume and is deleted when the volume is destroyed.
#include <glog/logging.h>

#include <filesystem>

#include "common/base/task_states.hpp"
#include "slave/agent.hpp"

namespace agora::slave {

Status Agent::recoverVolumes() {
  auto loaded = checkpoint_->loadResources();
  if (!loaded.isOk()) {
    return loaded.status();
  }
  auto volumes = Resources::fromProto(loaded->resources());
  if (!volumes.isOk()) {
    return volumes.status().withContext("invalid checkpointed resources");
  }
  volumes_ = volumes->volumes();
  if (!volumes_.empty()) {
    LOG(INFO) << "Recovered persistent volumes " << volumes_.toString();
  }
  return Status::ok();
}

void Agent::onCheckpointResources(const internal::AgentEvent::CheckpointResources& event) {
  auto parsed = Resources::fromProto(event.resources());
  if (!parsed.isOk()) {
    LOG(WARNING) << "Dropping CheckpointResources from the master: " << parsed.status().message();
    metrics_.increment("slave/invalid_messages");
    return;
  }
  Resources volumes = parsed->volumes();
  for (const PersistentVolume& volume : volumes.volumeList()) {
    if (!isSafeVolumePath(volume.role, volume.id)) {
      LOG(WARNING) << "Dropping CheckpointResources from the master: volume '" << volume.id
                   << "' of role '" << volume.role << "' is not a safe directory name";
      metrics_.increment("slave/invalid_messages");
      return;
    }
  }
  // Directories first, the checkpoint last: after a crash in between the master sends the
  // list again on re-registration, and creating or deleting again is harmless.
  for (const PersistentVolume& volume : volumes.volumeList()) {
    std::string path = volumePath(options_.workDir, volume.role, volume.id);
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) {
      LOG(ERROR) << "Cannot create persistent volume " << path << ": " << error.message();
    } else if (!volumes_.hasVolume(volume.role, volume.id)) {
      LOG(INFO) << "Created persistent volume " << volume.id << " of role " << volume.role << " at "
                << path;
    }
  }
  for (const PersistentVolume& volume : volumes_.volumeList()) {
    if (volumes.hasVolume(volume.role, volume.id)) {
      continue;
    }
    std::string path = volumePath(options_.workDir, volume.role, volume.id);
    std::error_code error;
    std::filesystem::remove_all(path, error);
    if (error) {
      LOG(ERROR) << "Cannot delete destroyed persistent volume " << path << ": " << error.message();
    } else {
      LOG(INFO) << "Destroyed persistent volume " << volume.id << " of role " << volume.role
                << "; deleted " << path;
    }
  }
  internal::CheckpointedResources record;
  volumes.toProto(record.mutable_resources());
  if (Status saved = checkpoint_->saveResources(record); !saved.isOk()) {
    LOG(ERROR) << saved.message();
  }
  volumes_ = std::move(volumes);
}

void Agent::forgetVolumes() {
  for (const PersistentVolume& volume : volumes_.volumeList()) {
    LOG(WARNING) << "Forgetting persistent volume " << volume.id << " of role " << volume.role
                 << " (the master refused this agent); its data stays in "
                 << volumePath(options_.workDir, volume.role, volume.id);
  }
  if (Status saved = checkpoint_->saveResources(internal::CheckpointedResources()); !saved.isOk()) {
    LOG(ERROR) << saved.message();
  }
  volumes_ = Resources();
}

std::optional<std::string> Agent::missingVolume(const v1::TaskInfo& task) const {
  auto resources = Resources::fromProto(task.resources());
  if (!resources.isOk()) {
    return "task resources: " + resources.status().message();
  }
  for (const PersistentVolume& volume : resources->volumes().volumeList()) {
    if (!volumes_.hasVolume(volume.role, volume.id)) {
      return "persistent volume '" + volume.id + "' of role '" + volume.role +
             "' does not exist on this agent";
    }
  }
  if (!volumes_.contains(resources->volumes())) {
    return "persistent volumes " + resources->volumes().toString() +
           " do not match those on this agent (" + volumes_.toString() + ")";
  }
  return std::nullopt;
}

Status Agent::linkVolumes(const v1::TaskInfo& task, const std::string& sandbox) const {
  auto resources = Resources::fromProto(task.resources());
  if (!resources.isOk()) {
    return resources.status();
  }
  for (const PersistentVolume& volume : resources->volumes().volumeList()) {
    std::filesystem::path inSandbox(volume.containerPath);
    bool escapes = inSandbox.is_absolute() || volume.containerPath.empty();
    for (const auto& part : inSandbox) {
      escapes = escapes || part == "..";
    }
    if (escapes) {
      return Status::invalid("container_path '" + volume.containerPath +
                             "' of persistent volume '" + volume.id + "' leaves the sandbox");
    }
    // A symlink for now: the posix launcher runs tasks in the agent's mount namespace, so
    // the link is enough for the task to use the directory. Containers (runc, a later
    // issue) will bind mount the volume instead, which will also make RO volumes read-only;
    // a link cannot.
    std::string target = volumePath(options_.workDir, volume.role, volume.id);
    std::filesystem::path link = std::filesystem::path(sandbox) / inSandbox;
    std::error_code error;
    std::filesystem::create_directories(target, error);
    if (!error && link.has_parent_path()) {
      std::filesystem::create_directories(link.parent_path(), error);
    }
    if (!error) {
      std::filesystem::remove(link, error);  // A link left by an earlier launch.
      std::filesystem::create_directory_symlink(target, link, error);
    }
    if (error) {
      return Status::io("cannot make persistent volume '" + volume.id + "' appear at " +
                        link.string() + ": " + error.message());
    }
  }
  return Status::ok();
}

Status Agent::linkPodVolumes(const v1::TaskInfo& task, const std::string& sandbox,
                             const std::string& podDir) const {
  for (const auto& volume : task.container().volumes()) {
    if (!volume.parent_sandbox()) continue;
    const std::string& shared = volume.host_path();
    const std::string& inside = volume.container_path();
    if (podDir.empty()) {
      return Status::invalid("volume '" + shared +
                             "' is in the pod's shared directory (parent_sandbox) but the task "
                             "is not in a pod (LAUNCH_GROUP)");
    }
    if (shared.empty() || shared.front() == '/' || shared.find("..") != std::string::npos ||
        inside.find("..") != std::string::npos) {
      return Status::invalid("pod volume '" + shared + "' -> '" + inside +
                             "' needs a relative path in the pod's shared "
                             "directory, without '..'");
    }
    std::error_code error;
    std::filesystem::create_directories(podDir + "/shared/" + shared, error);
    if (error) {
      return Status::io("cannot create " + podDir + "/shared/" + shared + ": " + error.message());
    }
    if (!task.container().image().reference().empty()) {
      continue;  // The container runner mounts it.
    }
    if (inside.empty() || inside.front() == '/') {
      return Status::invalid("pod volume '" + shared +
                             "' of a plain process needs a path in "
                             "its sandbox, not '" +
                             inside + "'");
    }
    std::filesystem::path link = std::filesystem::path(sandbox) / inside;
    if (link.has_parent_path()) {
      std::filesystem::create_directories(link.parent_path(), error);
    }
    if (!error) {
      std::filesystem::remove(link, error);  // A link left by an earlier launch.
      std::filesystem::create_directory_symlink(podDir + "/shared/" + shared, link, error);
    }
    if (error) {
      return Status::io("cannot make the pod's directory '" + shared + "' appear at " +
                        link.string() + ": " + error.message());
    }
  }
  return Status::ok();
}

}  // namespace agora::slave
