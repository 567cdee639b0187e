// Facts about task states shared by every part (master, agent, executor, SDK, CLI).
#pragma once

#include "agora/v1/common.pb.h"

namespace agora {

// True for states after which a task never changes again (Mesos' terminal states).
// TASK_UNREACHABLE and TASK_UNKNOWN are not terminal: the task may come back.
inline bool isTerminalState(v1::TaskState state) {
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

}  // namespace agora
