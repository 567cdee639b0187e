#include "agora/sdk/operations.hpp"

namespace agora::sdk {

using v1::scheduler::Call;

v1::Resource persistentVolume(const std::string& role, const std::string& persistenceId,
                              const std::string& containerPath, double sizeMb,
                              v1::Volume::Mode mode, const std::string& principal) {
  v1::Resource volume;
  volume.set_name("disk");
  volume.set_type(v1::Value::SCALAR);
  volume.mutable_scalar()->set_value(sizeMb);
  volume.set_role(role);
  auto* disk = volume.mutable_disk();
  disk->mutable_persistence()->set_id(persistenceId);
  disk->mutable_persistence()->set_principal(principal);
  disk->mutable_volume()->set_container_path(containerPath);
  disk->mutable_volume()->set_mode(mode);
  return volume;
}

Call::Operation createVolumes(const std::vector<v1::Resource>& volumes) {
  Call::Operation op;
  for (const auto& volume : volumes) {
    *op.mutable_create()->add_volumes() = volume;
  }
  return op;
}

Call::Operation destroyVolumes(const std::vector<v1::Resource>& volumes) {
  Call::Operation op;
  for (const auto& volume : volumes) {
    *op.mutable_destroy()->add_volumes() = volume;
  }
  return op;
}

Call::Operation launch(const std::vector<v1::TaskInfo>& tasks) {
  Call::Operation op;
  for (const auto& task : tasks) {
    *op.mutable_launch()->add_task_infos() = task;
  }
  return op;
}

Call::Operation launchGroup(const std::string& executorId, const std::vector<v1::TaskInfo>& tasks) {
  Call::Operation op;
  auto* group = op.mutable_launch_group();
  group->mutable_executor()->mutable_executor_id()->set_value(executorId);
  group->mutable_executor()->set_name(executorId);
  for (const auto& task : tasks) {
    *group->mutable_task_group()->add_tasks() = task;
  }
  return op;
}

}  // namespace agora::sdk
