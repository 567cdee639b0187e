#include "slave/status_update_manager.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cstdio>

#include "common/base/ids.hpp"

namespace agora::slave {

namespace {
constexpr const char* kUpdatesPrefix = "updates/";
}  // namespace

std::string StatusUpdateManager::recordKey(const std::string& frameworkId,
                                           const std::string& taskId, uint64_t sequence) {
  char digits[24];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(sequence));
  return kUpdatesPrefix + frameworkId + "/" + taskId + "/" + digits;
}

StatusOr<std::unique_ptr<StatusUpdateManager>> StatusUpdateManager::create(StateStore& store,
                                                                           Sender sender) {
  std::unique_ptr<StatusUpdateManager> manager(new StatusUpdateManager(store, std::move(sender)));
  AGORA_RETURN_IF_ERROR(manager->recover());
  return manager;
}

Status StatusUpdateManager::recover() {
  auto rows = store_.scan(kUpdatesPrefix);
  if (!rows.isOk()) {
    return rows.status().withContext("cannot read pending status updates");
  }
  std::vector<Entry> entries;
  for (auto& [key, value] : *rows) {
    internal::PendingUpdate record;
    if (!record.ParseFromString(value)) {
      return Status::io("pending update record '" + key + "' is corrupt");
    }
    entries.push_back(Entry{key, std::move(record)});
  }
  // Keys sort by task first; the global sequence restores each task's order.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.record.sequence() < b.record.sequence();
  });
  for (auto& entry : entries) {
    nextSequence_ = std::max(nextSequence_, entry.record.sequence() + 1);
    TaskKey task{entry.record.framework_id().value(), entry.record.status().task_id().value()};
    queues_[task].entries.push_back(std::move(entry));
  }
  LOG(INFO) << "Recovered " << entries.size() << " pending status updates of " << queues_.size()
            << " tasks";
  return Status::ok();
}

Status StatusUpdateManager::add(const v1::FrameworkID& frameworkId, const v1::TaskStatus& status,
                                Clock::time_point now, WriteBatch extra) {
  if (status.uuid().empty()) {
    return Status::invalid("status update of task " + status.task_id().value() + " has no uuid");
  }
  Entry entry;
  uint64_t sequence = nextSequence_;
  entry.key = recordKey(frameworkId.value(), status.task_id().value(), sequence);
  *entry.record.mutable_framework_id() = frameworkId;
  *entry.record.mutable_status() = status;
  entry.record.set_sequence(sequence);
  extra.putProto(entry.key, entry.record);
  TaskKey key{frameworkId.value(), status.task_id().value()};
  Queue& queue = queues_[key];
  queue.entries.push_back(std::move(entry));
  // An executor's update that becomes the head goes out before its checkpoint is synced,
  // so the sync overlaps its trip to the master. The executor keeps it until we acknowledge
  // it, which is only after the write: after a failed write or a crash it sends it again,
  // and the master and frameworks take the duplicate (at-least-once, as in Mesos). The
  // agent's own updates have nobody to send them again: written first.
  bool sendFirst = queue.entries.size() == 1 && status.source() == v1::TaskStatus::SOURCE_EXECUTOR;
  if (sendFirst) {
    sendHead(queue, now, /*resetBackoff=*/true);
  }
  Status written = store_.write(extra);
  if (!written.isOk()) {
    queue.entries.pop_back();
    if (queue.entries.empty()) {
      queues_.erase(key);
    }
    return written.withContext("cannot checkpoint the status update of task " +
                               status.task_id().value());
  }
  ++nextSequence_;
  VLOG(1) << "Queued " << v1::TaskState_Name(status.state()) << " (" << toHex(status.uuid())
          << ") of task " << status.task_id().value();
  if (queue.entries.size() == 1 && !sendFirst) {
    sendHead(queue, now, /*resetBackoff=*/true);
  }
  return Status::ok();
}

void StatusUpdateManager::sendHead(Queue& queue, Clock::time_point now, bool resetBackoff) {
  if (resetBackoff) {
    queue.backoff = kInitialBackoff;
  } else {
    queue.backoff = std::min<Clock::duration>(queue.backoff * 2, kMaxBackoff);
  }
  queue.nextRetry = now + queue.backoff;
  if (!connected_ || queue.entries.empty()) {
    return;
  }
  const auto& record = queue.entries.front().record;
  VLOG(1) << "Sending " << v1::TaskState_Name(record.status().state()) << " of task "
          << record.status().task_id().value() << " to the master";
  sender_(record.framework_id(), record.status());
}

StatusOr<std::optional<v1::TaskStatus>> StatusUpdateManager::acknowledge(
    const v1::FrameworkID& frameworkId, const v1::TaskID& taskId, const std::string& uuid,
    Clock::time_point now) {
  auto it = queues_.find(TaskKey{frameworkId.value(), taskId.value()});
  if (it == queues_.end() || it->second.entries.empty() ||
      it->second.entries.front().record.status().uuid() != uuid) {
    LOG(WARNING) << "Ignoring an acknowledgement of update " << toHex(uuid) << " of task "
                 << taskId.value() << ": it is not the task's oldest pending update";
    return std::optional<v1::TaskStatus>();
  }
  Queue& queue = it->second;
  WriteBatch batch;
  batch.remove(queue.entries.front().key);
  AGORA_RETURN_IF_ERROR(store_.write(batch).withContext(
      "cannot delete the acknowledged update of task " + taskId.value()));
  v1::TaskStatus acked = queue.entries.front().record.status();
  queue.entries.pop_front();
  if (queue.entries.empty()) {
    queues_.erase(it);
  } else {
    sendHead(queue, now, /*resetBackoff=*/true);
  }
  return std::optional<v1::TaskStatus>(std::move(acked));
}

void StatusUpdateManager::setConnected(bool connected, Clock::time_point now) {
  connected_ = connected;
  if (!connected_) {
    return;
  }
  for (auto& [task, queue] : queues_) {
    sendHead(queue, now, /*resetBackoff=*/true);
  }
}

void StatusUpdateManager::tick(Clock::time_point now) {
  if (!connected_) {
    return;
  }
  for (auto& [task, queue] : queues_) {
    if (!queue.entries.empty() && now >= queue.nextRetry) {
      sendHead(queue, now, /*resetBackoff=*/false);
    }
  }
}

bool StatusUpdateManager::contains(const std::string& frameworkId, const std::string& taskId,
                                   const std::string& uuid) const {
  auto it = queues_.find(TaskKey{frameworkId, taskId});
  if (it == queues_.end()) {
    return false;
  }
  return std::any_of(it->second.entries.begin(), it->second.entries.end(),
                     [&uuid](const Entry& e) { return e.record.status().uuid() == uuid; });
}

std::vector<v1::TaskStatus> StatusUpdateManager::pending(const std::string& frameworkId,
                                                         const std::string& taskId) const {
  std::vector<v1::TaskStatus> out;
  auto it = queues_.find(TaskKey{frameworkId, taskId});
  if (it != queues_.end()) {
    for (const auto& entry : it->second.entries) {
      out.push_back(entry.record.status());
    }
  }
  return out;
}

size_t StatusUpdateManager::pendingCount() const {
  size_t count = 0;
  for (const auto& [task, queue] : queues_) {
    count += queue.entries.size();
  }
  return count;
}

}  // namespace agora::slave
