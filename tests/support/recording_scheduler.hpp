// A `Scheduler` for integration tests: records every callback, launches queued tasks on
// the first offer they fit in, and lets the test wait (with a deadline) for conditions on
// what it recorded. Callbacks run on the driver's thread; the test thread reads under the
// mutex.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agora/sdk/scheduler.hpp"
#include "agora/sdk/scheduler_driver.hpp"
#include "common/resources/resources.hpp"

namespace agora::testing {

class RecordingScheduler : public sdk::Scheduler {
 public:
  // Queues a task; it is launched on the next offer with room for it.
  void queueTask(const v1::TaskInfo& task);
  // When false, offers are kept (not declined) so tests can watch rescinds.
  void setDeclineUnused(bool decline, double refuseSeconds = 0.2);

  void subscribed(sdk::SchedulerDriver* d, const v1::FrameworkID& id,
                  const v1::MasterID& master) override;
  void resourceOffers(sdk::SchedulerDriver* d, const std::vector<v1::Offer>& offers) override;
  void offerRescinded(sdk::SchedulerDriver* d, const v1::OfferID& id) override;
  void statusUpdate(sdk::SchedulerDriver* d, const v1::TaskStatus& status) override;
  void agentLost(sdk::SchedulerDriver* d, const v1::AgentID& agent) override;
  void error(sdk::SchedulerDriver* d, const std::string& message) override;

  // Waits until `condition` (called under the lock) holds; false after `seconds`.
  bool waitUntil(const std::function<bool()>& condition, double seconds = 30);
  bool waitForState(const std::string& taskId, v1::TaskState state, double seconds = 30);
  // Waits until at least `count` tasks' latest update is TASK_RUNNING: they reached an
  // agent, unlike tasks the master only accepted (which a master restart forgets).
  bool waitForRunning(int count, double seconds = 30);

  // Take the lock.
  std::vector<v1::TaskState> statesOf(const std::string& taskId) const;
  std::optional<v1::TaskStatus> lastStatus(const std::string& taskId) const;
  // Every update of the task, in arrival order.
  std::vector<v1::TaskStatus> updatesOf(const std::string& taskId) const;
  std::vector<v1::Offer> offers() const;
  std::set<std::string> rescinded() const;
  std::optional<v1::FrameworkID> frameworkId() const;

  // For use inside `waitUntil` conditions only (the lock is held there).
  std::vector<v1::TaskState> statesOfLocked(const std::string& taskId) const;
  std::vector<v1::TaskStatus> updatesOfLocked(const std::string& taskId) const;
  int subscriptionsLocked() const { return subscriptions_; }
  const std::vector<v1::Offer>& offersLocked() const { return offers_; }
  const std::set<std::string>& rescindedLocked() const { return rescinded_; }
  const std::set<std::string>& lostAgentsLocked() const { return lostAgents_; }
  const std::vector<std::string>& errorsLocked() const { return errors_; }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<v1::TaskInfo> queued_;
  bool declineUnused_ = true;
  double refuseSeconds_ = 0.2;
  int subscriptions_ = 0;
  std::optional<v1::FrameworkID> frameworkId_;
  std::vector<v1::Offer> offers_;
  std::set<std::string> rescinded_;
  std::set<std::string> lostAgents_;
  std::vector<std::string> errors_;
  std::vector<v1::TaskStatus> updates_;
};

// A shell task with the given resources ("cpus:0.1;mem:16").
v1::TaskInfo shellTask(const std::string& id, const std::string& command,
                       const std::string& resources = "cpus:0.1;mem:16");

}  // namespace agora::testing
