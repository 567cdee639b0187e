// Dynamic reservations made by the operator (/reserve, /unreserve): resources of an agent
// move between "*" and a role. The master owns them: they are persisted with the agent in
// the registry and re-applied whatever the agent reports on re-registration.
#include <glog/logging.h>

#include "master/master.hpp"

namespace agora::master {
namespace {

// Replaces the agent's reservations and recomputes its total from what it reports.
void changeReservations(AgentEntry& agent, const Resources& reservations) {
  Resources reported = agent.reportedResources();
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
  allocator_.updateTotal(agent.id, agent.total);
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
                             "' are in use by tasks or persistent volumes");
  }
  Resources previous = agent.reservations;
  changeReservations(agent, previous - resources);
  if (Status s = registrar_->saveAgent(agentRecord(agent)); !s.isOk()) {
    changeReservations(agent, previous);
    return s;
  }
  allocator_.updateTotal(agent.id, agent.total);
  LOG(INFO) << "Unreserved " << resources.toString() << " on agent " << agentId;
  scheduleAllocation();
  return Status::ok();
}

std::optional<std::string> Master::changeReservationsInOffer(
    FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
    const google::protobuf::RepeatedPtrField<v1::Resource>& protos, bool reserve,
    Resources* remaining) {
  auto resources = Resources::fromProto(protos);
  if (!resources.isOk()) {
    return resources.status().message();
  }
  if (!resources->volumes().empty()) {
    return std::string("persistent volumes cannot be (un)reserved; DESTROY them first");
  }
  // Reservations are made for the role the offer was allocated to.
  if (resources->empty() || resources->roles() != std::vector<std::string>{role} ||
      role == Resources::kUnreservedRole) {
    return "resources must all carry the offer's allocation role '" + role + "'";
  }
  Resources unreserved = resources->asRole(Resources::kUnreservedRole);
  if (reserve ? !remaining->contains(unreserved) : !remaining->contains(*resources) ||
                                                     !agent.reservations.contains(*resources)) {
    return "the accepted offers do not hold " +
           (reserve ? unreserved : *resources).toString() + " (left: " + remaining->toString() +
           ")";
  }
  Resources previous = agent.reservations;
  changeReservations(agent, reserve ? previous + *resources : previous - *resources);
  if (Status s = registrar_->saveAgent(agentRecord(agent)); !s.isOk()) {
    changeReservations(agent, previous);
    return "cannot record the reservation: " + s.message();
  }
  // Give the rest of the offer back, reshape the agent's total (what is allocated there
  // stays), then hold the rest for the framework again, now with the reservation applied.
  allocator_.recover(framework.id, role, agent.id, *remaining);
  allocator_.updateTotal(agent.id, agent.total);
  *remaining = reserve ? *remaining - unreserved + *resources : *remaining - *resources + unreserved;
  allocator_.addUsed(framework.id, role, agent.id, *remaining);
  LOG(INFO) << "Framework " << framework.id << (reserve ? " reserved " : " unreserved ")
            << resources->toString() << " on agent " << agent.id;
  return std::nullopt;
}

}  // namespace agora::master
