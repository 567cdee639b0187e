// `RunScheduler`: the scheduler behind `agora run`. It launches one task on the first offer
// that fits, declines everything else, and publishes what the CLI's main thread needs to
// stream the task's output (where it runs, and its terminal status).
//
// Thread-safety: callbacks run on the driver's loop thread; `snapshot()` and
// `waitForChange()` may be called from any thread (a mutex guards the published progress).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "agora/sdk/scheduler_driver.hpp"
#include "common/resources/resources.hpp"

namespace agora::cli {

// The resources for one task out of `offered`: unreserved, or else reserved to `role`.
std::optional<Resources> fitTask(const Resources& offered, const Resources& perTask,
                                 const std::string& role);

class RunScheduler : public sdk::Scheduler {
 public:
  struct Progress {
    bool launched = false;
    std::string agentId;
    std::string agentHttp;  // "host:port" of the agent's HTTP API.
    std::string hostname;
    std::optional<v1::TaskStatus> terminal;
    std::optional<std::string> fatal;  // A fatal error from the master.
  };

  // `task` has id, name and command; agent and resources are filled in from the offer.
  RunScheduler(v1::TaskInfo task, Resources resources, std::string role);

  void subscribed(sdk::SchedulerDriver* driver, const v1::FrameworkID& id,
                  const v1::MasterID& master) override;
  void resourceOffers(sdk::SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void statusUpdate(sdk::SchedulerDriver* driver, const v1::TaskStatus& status) override;
  void error(sdk::SchedulerDriver* driver, const std::string& message) override;

  Progress snapshot() const;
  // Returns after the next change or `timeout`, whichever comes first.
  Progress waitForChange(std::chrono::milliseconds timeout);
  const v1::TaskInfo& task() const { return task_; }

 private:
  void publish(const std::function<void(Progress&)>& change);

  const v1::TaskInfo task_;
  const Resources resources_;
  const std::string role_;
  bool launched_ = false;        // Loop thread only.
  bool resubscription_ = false;  // Loop thread only.

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Progress progress_;     // GUARDED_BY(mutex_)
  uint64_t version_ = 0;  // GUARDED_BY(mutex_)
};


}  // namespace agora::cli
