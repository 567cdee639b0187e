// Small pure helpers about task states, shared by the agent and the executor.
// Thread-safe (no state).
#pragma once

#include "agora/v1/common.pb.h"

namespace agora::slave {

// True for states after which a task never changes again.
inline bool isTerminal(v1::TaskState state) {
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

}  // namespace agora::slave
