// Persistent volumes (Mesos' docs/persistent-volume.md): CREATE turns disk reserved to a
// role into a named volume whose data outlives the tasks that use it; DESTROY turns it back
// into reserved disk (the agent deletes the data). The master owns the list: it is
// persisted with the agent in the registry, applied to the agent's total whatever the
// agent reports, and sent to the agent (`CheckpointResources`), which keeps the
// directories.
#include <glog/logging.h>

#include "master/master.hpp"
#include "master/validation.hpp"

namespace agora::master {

Status Master::setVolumes(AgentEntry& agent, const Resources& volumes) {
  Resources reported = agent.reportedResources();
  Resources previous = agent.volumes;
  agent.volumes = volumes;
  agent.setTotal(reported);
  if (Status s = registrar_->saveAgent(agentRecord(agent)); !s.isOk()) {
    agent.volumes = previous;
    agent.setTotal(reported);
    return s.withContext("cannot record the persistent volumes of agent " + agent.id);
  }
  return Status::ok();
}

void Master::sendCheckpointedResources(const AgentEntry& agent) {
  internal::AgentEvent event;
  agent.volumes.toProto(event.mutable_checkpoint_resources()->mutable_resources());
  sendToAgent(agent, event);
}

Status Master::createVolumes(const std::string& agentId,
                             const google::protobuf::RepeatedPtrField<v1::Resource>& protos) {
  auto it = agents_.find(agentId);
  if (it == agents_.end() || it->second->state != AgentState::kRegistered) {
    return Status::notFound("agent '" + agentId + "' is not registered");
  }
  AgentEntry& agent = *it->second;
  auto volumes = validateCreateVolumes(protos, VolumeRequester{}, agent.volumes);
  if (!volumes.isOk()) {
    return volumes.status();
  }
  // Outstanding offers hold the disk; take it back first.
  rescindOffersOf(agent.offers);
  Resources disk = volumes->volumesAsDisk();
  Resources free = allocator_.available(agentId);
  if (!free.contains(disk)) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "agent '" + agentId + "' does not have " + disk.toString() +
                             " of free reserved disk for " + volumes->toString() +
                             " (free: " + free.toString() + ")");
  }
  AGORA_RETURN_IF_ERROR(setVolumes(agent, agent.volumes + *volumes));
  allocator_.updateTotal(agent.id, agent.total);
  sendCheckpointedResources(agent);
  LOG(INFO) << "Created persistent volumes " << volumes->toString() << " on agent " << agentId;
  scheduleAllocation();
  return Status::ok();
}

Status Master::destroyVolumes(const std::string& agentId,
                              const google::protobuf::RepeatedPtrField<v1::Resource>& protos) {
  auto it = agents_.find(agentId);
  if (it == agents_.end() || it->second->state != AgentState::kRegistered) {
    return Status::notFound("agent '" + agentId + "' is not registered");
  }
  AgentEntry& agent = *it->second;
  auto volumes = validateDestroyVolumes(protos, VolumeRequester{}, agent.volumes);
  if (!volumes.isOk()) {
    return volumes.status();
  }
  rescindOffersOf(agent.offers);
  if (!allocator_.available(agentId).contains(*volumes)) {
    return Status::error(StatusCode::kFailedPrecondition, "persistent volumes " +
                                                              volumes->toString() + " on agent '" +
                                                              agentId + "' are in use by a task");
  }
  AGORA_RETURN_IF_ERROR(setVolumes(agent, agent.volumes - *volumes));
  allocator_.updateTotal(agent.id, agent.total);
  sendCheckpointedResources(agent);
  LOG(INFO) << "Destroyed persistent volumes " << volumes->toString() << " on agent " << agentId;
  scheduleAllocation();
  return Status::ok();
}

std::optional<std::string> Master::changeVolumesInOffer(FrameworkEntry& framework,
                                                        AgentEntry& agent, const std::string& role,
                                                        const v1::scheduler::Call::Operation& op,
                                                        Resources* remaining) {
  bool create = op.has_create();
  // Volumes are made for the role the offer was allocated to.
  VolumeRequester requester{.role = role, .principal = framework.info.principal()};
  auto volumes = create ? validateCreateVolumes(op.create().volumes(), requester, agent.volumes)
                        : validateDestroyVolumes(op.destroy().volumes(), requester, agent.volumes);
  if (!volumes.isOk()) {
    return volumes.status().message();
  }
  Resources disk = volumes->volumesAsDisk();
  // A volume in use by a task is not in any offer: DESTROY of it fails here.
  const Resources& needed = create ? disk : *volumes;
  if (!remaining->contains(needed)) {
    return "the accepted offers do not hold " + needed.toString() +
           " (left: " + remaining->toString() + ")";
  }
  if (Status s = setVolumes(agent, create ? agent.volumes + *volumes : agent.volumes - *volumes);
      !s.isOk()) {
    return s.message();
  }
  // Give the rest of the offer back, reshape the agent's total, then hold the rest for the
  // framework again, now with the volumes applied.
  allocator_.recover(framework.id, role, agent.id, *remaining);
  allocator_.updateTotal(agent.id, agent.total);
  *remaining = create ? *remaining - disk + *volumes : *remaining - *volumes + disk;
  allocator_.addUsed(framework.id, role, agent.id, *remaining);
  sendCheckpointedResources(agent);
  LOG(INFO) << "Framework " << framework.id << (create ? " created" : " destroyed")
            << " persistent volumes " << volumes->toString() << " on agent " << agent.id;
  return std::nullopt;
}

}  // namespace agora::master
