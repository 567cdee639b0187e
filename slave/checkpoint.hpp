// `Checkpoint`: the agent's durable state in a `StateStore` (RocksDB under
// `<work_dir>/checkpoint`): its identity ("agent/info"), the resources the master told it
// to checkpoint ("agent/resources": persistent volumes) and one `TaskCheckpoint` per task
// it runs ("tasks/<framework id>/<task id>"). Pending status updates live under
// "updates/" and belong to `StatusUpdateManager`.
//
// Thread-safety: none; used only on the agent's loop. Does not own the store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agora/internal/registry.pb.h"
#include "common/base/status.hpp"
#include "common/state/state_store.hpp"

namespace agora::slave {

class Checkpoint {
 public:
  explicit Checkpoint(StateStore& store) : store_(store) {}

  static std::string taskKey(const std::string& frameworkId, const std::string& taskId);

  // The checkpointed agent info (with its id), if the agent ever registered.
  StatusOr<std::optional<internal::AgentCheckpoint>> loadAgent();
  Status saveAgent(const internal::AgentCheckpoint& agent);
  // Forgets the agent id (after `AgentEvent.refused`).
  Status clearAgent();

  // The last `CheckpointResources` from the master (empty when none came yet).
  StatusOr<internal::CheckpointedResources> loadResources();
  Status saveResources(const internal::CheckpointedResources& resources);

  StatusOr<std::vector<internal::TaskCheckpoint>> loadTasks();
  // Adds the task record to `batch` (so it can commit with other records).
  static void putTask(WriteBatch& batch, const internal::TaskCheckpoint& task);
  Status saveTask(const internal::TaskCheckpoint& task);
  Status removeTask(const std::string& frameworkId, const std::string& taskId);

 private:
  StateStore& store_;
};

}  // namespace agora::slave
