#include "master/entities.hpp"

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

bool FrameworkEntry::partitionAware() const {
  for (const auto& capability : info.capabilities()) {
    if (capability.type() == v1::FrameworkInfo::Capability::PARTITION_AWARE) {
      return true;
    }
  }
  return false;
}

bool isTerminal(v1::TaskState state) {
  switch (state) {
    case v1::TASK_FINISHED:
    case v1::TASK_FAILED:
    case v1::TASK_KILLED:
    case v1::TASK_ERROR:
    case v1::TASK_LOST:
    case v1::TASK_DROPPED:
    case v1::TASK_GONE:
    case v1::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

}  // namespace agora::master
