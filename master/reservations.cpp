// Dynamic reservations made by the operator (/reserve, /unreserve): resources of an agent
// move between "*" and a role. The master owns them: they are persisted with the agent in
// the registry and re-applied whatever the agent reports on re-registration.
#include <glog/logging.h>

#include "master/master.hpp"

namespace agora::master {
namespace {

// Replaces the agent's reservations and recomputes its total from what it reports.
void changeReservations(AgentEntry& agent, const Resources& reservations) {
  Resources reported = agent.total - agent.reservations +
                       agent.reservations.asRole(Resources::kUnreservedRole);
  agent.reservations = reservations;
  agent.setTotal(reported);
}

}  // namespace

Status Master::reserve(const std::string& agentId, const Resources& resources) {
  auto it = agents_.find(agentId);
  if (it == agents_.end() || it->second->state != AgentState::kRegistered) {
    return Status::notFound("agent '" + agentId + "' is not registered");
  }
  AgentEntry& agent = *it->second;
  // Outstanding offers on the agent hold resources; take them back first.
  rescindOffersOf(agent.offers);
  Resources needed = resources.asRole(Resources::kUnreservedRole);
  Resources free = allocator_.available(agentId).reservedTo(Resources::kUnreservedRole);
  if (!free.contains(needed)) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "agent '" + agentId + "' has only " + free.toString() +
                             " free and unreserved; cannot reserve " + resources.toString());
  }
  Resources previous = agent.reservations;
  changeReservations(agent, previous + resources);
  if (Status s = registrar_->saveAgent(agentRecord(agent)); !s.isOk()) {
    changeReservations(agent, previous);
    return s;
  }
  allocator_.removeAgent(agentId);
  addToAllocator(agent);
  LOG(INFO) << "Reserved " << resources.toString() << " on agent " << agentId;
  scheduleAllocation();
  return Status::ok();
}

Status Master::unreserve(const std::string& agentId, const Resources& resources) {
  auto it = agents_.find(agentId);
  if (it == agents_.end() || it->second->state != AgentState::kRegistered) {
    return Status::notFound("agent '" + agentId + "' is not registered");
  }
  AgentEntry& agent = *it->second;
  if (!agent.reservations.contains(resources)) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "agent '" + agentId + "' has no such dynamic reservation: " +
                             resources.toString() + " (reserved: " +
                             agent.reservations.toString() + ")");
  }
  rescindOffersOf(agent.offers);
  if (!allocator_.available(agentId).contains(resources)) {
    return Status::error(StatusCode::kFailedPrecondition,
                         "reserved resources " + resources.toString() + " on agent '" + agentId +
                             "' are in use by tasks");
  }
  Resources previous = agent.reservations;
  changeReservations(agent, previous - resources);
  if (Status s = registrar_->saveAgent(agentRecord(agent)); !s.isOk()) {
    changeReservations(agent, previous);
    return s;
  }
  allocator_.removeAgent(agentId);
  addToAllocator(agent);
  LOG(INFO) << "Unreserved " << resources.toString() << " on agent " << agentId;
  scheduleAllocation();
  return Status::ok();
}

}  // namespace agora::master
