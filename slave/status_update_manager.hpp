// `StatusUpdateManager`: the agent's reliable, ordered delivery of task status updates to
// the master (after Mesos' `TaskStatusUpdateManager`).
//
// Per task, a FIFO of pending updates, each checkpointed as a `PendingUpdate` under
// "updates/<framework id>/<task id>/<20-digit sequence>" before `add()` returns. Only the
// head of each task's queue is in flight: it is sent at once (when connected), then
// resent with a backoff of 1 s doubling to 30 s until `acknowledge()` is called with its
// uuid; then its record is deleted and the next update of the task is sent.
//
// A pure class: no sockets and no timers. The owner passes the current time and calls
// `tick()` periodically; updates leave through the injected `Sender`.
// Thread-safety: none (one owner loop). Does not own the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agora/internal/registry.pb.h"
#include "common/base/status.hpp"
#include "common/state/state_store.hpp"

namespace agora::slave {

class StatusUpdateManager {
 public:
  using Clock = std::chrono::steady_clock;
  using Sender = std::function<void(const v1::FrameworkID&, const v1::TaskStatus&)>;

  static constexpr std::chrono::seconds kInitialBackoff{1};
  static constexpr std::chrono::seconds kMaxBackoff{30};

  // Loads every checkpointed pending update from `store` (in sequence order). Starts
  // disconnected: nothing is sent before `setConnected(true, ...)`.
  static StatusOr<std::unique_ptr<StatusUpdateManager>> create(StateStore& store, Sender sender);

  // Checkpoints `status` (which must carry a uuid) at the tail of its task's queue,
  // together with the records in `extra`, in one synced write. On success the caller may
  // acknowledge the update to its producer. Sends it when it becomes the head (an
  // executor's new head before the write, since the executor resends it until
  // acknowledged); a failed write leaves it out of the queue.
  Status add(const v1::FrameworkID& frameworkId, const v1::TaskStatus& status,
             Clock::time_point now, WriteBatch extra = WriteBatch());

  // The master acknowledged `uuid` for the task. When it is the head of the task's queue,
  // deletes its record, sends the next one, and returns the acknowledged status. Returns
  // nullopt for a stale or unknown acknowledgement (nothing changes).
  StatusOr<std::optional<v1::TaskStatus>> acknowledge(const v1::FrameworkID& frameworkId,
                                                      const v1::TaskID& taskId,
                                                      const std::string& uuid,
                                                      Clock::time_point now);

  // Connected: sends every head at once and resets its backoff. Disconnected: holds
  // everything until connected again.
  void setConnected(bool connected, Clock::time_point now);

  // Resends the heads whose retry time has come.
  void tick(Clock::time_point now);

  // True when an update with `uuid` is queued for the task.
  bool contains(const std::string& frameworkId, const std::string& taskId,
                const std::string& uuid) const;
  // The queued updates of a task, oldest first.
  std::vector<v1::TaskStatus> pending(const std::string& frameworkId,
                                      const std::string& taskId) const;
  size_t pendingCount() const;

 private:
  struct Entry {
    std::string key;
    internal::PendingUpdate record;
  };
  struct Queue {
    std::deque<Entry> entries;
    Clock::time_point nextRetry;
    Clock::duration backoff = kInitialBackoff;
  };
  using TaskKey = std::pair<std::string, std::string>;  // (framework id, task id)

  StatusUpdateManager(StateStore& store, Sender sender)
      : store_(store), sender_(std::move(sender)) {}
  Status recover();
  void sendHead(Queue& queue, Clock::time_point now, bool resetBackoff);
  static std::string recordKey(const std::string& frameworkId, const std::string& taskId,
                               uint64_t sequence);

  StateStore& store_;
  Sender sender_;
  bool connected_ = false;
  uint64_t nextSequence_ = 1;
  std::map<TaskKey, Queue> queues_;
};

}  // namespace agora::slave
