#include "slave/checkpoint.hpp"

namespace agora::slave {

namespace {
constexpr const char* kAgentKey = "agent/info";
constexpr const char* kTasksPrefix = "tasks/";
constexpr const char* kResourcesKey = "agent/resources";
}  // namespace

StatusOr<internal::CheckpointedResources> Checkpoint::loadResources() {
  auto loaded = getProto<internal::CheckpointedResources>(store_, kResourcesKey);
  if (!loaded.isOk()) {
    return loaded.status();
  }
  return loaded->value_or(internal::CheckpointedResources());
}

Status Checkpoint::saveResources(const internal::CheckpointedResources& resources) {
  WriteBatch batch;
  batch.putProto(kResourcesKey, resources);
  return store_.write(batch).withContext("cannot checkpoint the agent's resources");
}

std::string Checkpoint::taskKey(const std::string& frameworkId, const std::string& taskId) {
  return kTasksPrefix + frameworkId + "/" + taskId;
}

StatusOr<std::optional<internal::AgentCheckpoint>> Checkpoint::loadAgent() {
  return getProto<internal::AgentCheckpoint>(store_, kAgentKey);
}

Status Checkpoint::saveAgent(const internal::AgentCheckpoint& agent) {
  WriteBatch batch;
  batch.putProto(kAgentKey, agent);
  return store_.write(batch).withContext("cannot checkpoint the agent id");
}

Status Checkpoint::clearAgent() {
  WriteBatch batch;
  batch.remove(kAgentKey);
  return store_.write(batch).withContext("cannot clear the agent id");
}

StatusOr<std::vector<internal::TaskCheckpoint>> Checkpoint::loadTasks() {
  return scanProtos<internal::TaskCheckpoint>(store_, kTasksPrefix);
}

void Checkpoint::putTask(WriteBatch& batch, const internal::TaskCheckpoint& task) {
  batch.putProto(taskKey(task.framework().id().value(), task.task().task_id().value()), task);
}

Status Checkpoint::saveTask(const internal::TaskCheckpoint& task) {
  WriteBatch batch;
  putTask(batch, task);
  return store_.write(batch).withContext("cannot checkpoint task " + task.task().task_id().value());
}

Status Checkpoint::removeTask(const std::string& frameworkId, const std::string& taskId) {
  WriteBatch batch;
  batch.remove(taskKey(frameworkId, taskId));
  return store_.write(batch).withContext("cannot remove the checkpoint of task " + taskId);
}

}  // namespace agora::slave
