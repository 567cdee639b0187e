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

}  // namespace agora::master
