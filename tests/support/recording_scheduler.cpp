#include "tests/support/recording_scheduler.hpp"

#include <chrono>
#include <map>

namespace agora::testing {

void RecordingScheduler::queueTask(const v1::TaskInfo& task) {
  std::lock_guard<std::mutex> lock(mutex_);
  queued_.push_back(task);
}

void RecordingScheduler::setDeclineUnused(bool decline, double refuseSeconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  declineUnused_ = decline;
  refuseSeconds_ = refuseSeconds;
}

void RecordingScheduler::subscribed(sdk::SchedulerDriver*, const v1::FrameworkID& id,
                                    const v1::MasterID&) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++subscriptions_;
  frameworkId_ = id;
  changed_.notify_all();
}

void RecordingScheduler::resourceOffers(sdk::SchedulerDriver* d,
                                        const std::vector<v1::Offer>& offers) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const v1::Offer& offer : offers) {
    offers_.push_back(offer);
    Resources left = *Resources::fromProto(offer.resources());
    std::vector<v1::TaskInfo> launch;
    while (!queued_.empty()) {
      Resources wanted = *Resources::fromProto(queued_.front().resources());
      if (!left.contains(wanted)) {
        break;
      }
      left -= wanted;
      launch.push_back(queued_.front());
      queued_.pop_front();
    }
    v1::Filters filters;
    filters.set_refuse_seconds(refuseSeconds_);
    if (!launch.empty()) {
      d->launchTasks({offer.id()}, launch, filters);
    } else if (declineUnused_) {
      d->declineOffer(offer.id(), filters);
    }
  }
  changed_.notify_all();
}

void RecordingScheduler::offerRescinded(sdk::SchedulerDriver*, const v1::OfferID& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  rescinded_.insert(id.value());
  changed_.notify_all();
}

void RecordingScheduler::statusUpdate(sdk::SchedulerDriver*, const v1::TaskStatus& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  updates_.push_back(status);
  changed_.notify_all();
}

void RecordingScheduler::agentLost(sdk::SchedulerDriver*, const v1::AgentID& agent) {
  std::lock_guard<std::mutex> lock(mutex_);
  lostAgents_.insert(agent.value());
  changed_.notify_all();
}

void RecordingScheduler::error(sdk::SchedulerDriver*, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  errors_.push_back(message);
  changed_.notify_all();
}

bool RecordingScheduler::waitUntil(const std::function<bool()>& condition, double seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(seconds), condition);
}

bool RecordingScheduler::waitForState(const std::string& taskId, v1::TaskState state,
                                      double seconds) {
  return waitUntil(
      [&] {
        for (const auto& s : updates_) {
          if (s.task_id().value() == taskId && s.state() == state) return true;
        }
        return false;
      },
      seconds);
}

bool RecordingScheduler::waitForRunning(int count, double seconds) {
  return waitUntil(
      [&] {
        std::map<std::string, v1::TaskState> latest;
        for (const auto& s : updates_) latest[s.task_id().value()] = s.state();
        int running = 0;
        for (const auto& [task, state] : latest) running += state == v1::TASK_RUNNING ? 1 : 0;
        return running >= count;
      },
      seconds);
}

std::vector<v1::TaskState> RecordingScheduler::statesOf(const std::string& taskId) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return statesOfLocked(taskId);
}

std::vector<v1::Offer> RecordingScheduler::offers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offers_;
}

std::set<std::string> RecordingScheduler::rescinded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rescinded_;
}

std::optional<v1::FrameworkID> RecordingScheduler::frameworkId() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return frameworkId_;
}

std::vector<v1::TaskState> RecordingScheduler::statesOfLocked(const std::string& taskId) const {
  std::vector<v1::TaskState> states;
  for (const auto& s : updatesOfLocked(taskId)) states.push_back(s.state());
  return states;
}

std::vector<v1::TaskStatus> RecordingScheduler::updatesOfLocked(const std::string& taskId) const {
  std::vector<v1::TaskStatus> updates;
  for (const auto& s : updates_) {
    if (s.task_id().value() == taskId) updates.push_back(s);
  }
  return updates;
}

std::vector<v1::TaskStatus> RecordingScheduler::updatesOf(const std::string& taskId) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return updatesOfLocked(taskId);
}

std::optional<v1::TaskStatus> RecordingScheduler::lastStatus(const std::string& taskId) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto updates = updatesOfLocked(taskId);
  if (updates.empty()) return std::nullopt;
  return updates.back();
}

v1::TaskInfo shellTask(const std::string& id, const std::string& command,
                       const std::string& resources) {
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  task.mutable_command()->set_value(command);
  Resources::parse(resources)->toProto(task.mutable_resources());
  return task;
}

}  // namespace agora::testing
