#include "master/entities.hpp"

#include <glog/logging.h>

namespace agora::master {

const char* toString(AgentState state) {
  switch (state) {
    case AgentState::kRecovered:
      return "RECOVERED";
    case AgentState::kRegistered:
      return "REGISTERED";
    case AgentState::kUnreachable:
      return "UNREACHABLE";
  }
  return "?";
}

const char* toString(FrameworkState state) {
  return state == FrameworkState::kConnected ? "CONNECTED" : "DISCONNECTED";
}

void AgentEntry::transitionTo(AgentState next) {
  // Nothing goes back to kRecovered: that state exists only between a master restart and
  // the agent's re-registration.
  CHECK(next != AgentState::kRecovered)
      << "agent " << id << ": illegal transition " << toString(state) << " -> RECOVERED";
  if (next != state) {
    LOG(INFO) << "Agent " << id << ": " << toString(state) << " -> " << toString(next);
  }
  state = next;
}

void AgentEntry::setTotal(const Resources& reported) {
  total = reported - reservations.asRole(Resources::kUnreservedRole) + reservations;
  total = total - volumes.volumesAsDisk() + volumes;
}

Resources AgentEntry::reportedResources() const {
  Resources reserved = total - volumes + volumes.volumesAsDisk();
  return reserved - reservations + reservations.asRole(Resources::kUnreservedRole);
}

void FrameworkEntry::transitionTo(FrameworkState next) {
  if (next != state) {
    LOG(INFO) << "Framework " << id << ": " << toString(state) << " -> " << toString(next);
  }
  state = next;
}

void recordStatus(v1::Task& task, v1::TaskStatus status) {
  status.clear_task_id();
  status.clear_agent_id();
  *task.add_statuses() = std::move(status);
}

bool FrameworkEntry::partitionAware() const {
  return hasCapability(v1::FrameworkInfo::Capability::PARTITION_AWARE);
}

bool FrameworkEntry::hasCapability(v1::FrameworkInfo::Capability::Type type) const {
  for (const auto& capability : info.capabilities()) {
    if (capability.type() == type) {
      return true;
    }
  }
  return false;
}

}  // namespace agora::master
