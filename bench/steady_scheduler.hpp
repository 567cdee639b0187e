// A framework under steady load, for latency: it keeps `concurrency` short tasks running
// and replaces each one as it finishes, on the first offer that comes (the agent it ran on
// is offered again as soon as its resources are back). Offered load is concurrency / task
// duration; latency is offer received -> TASK_RUNNING received, for every launch after the
// first `concurrency` (those come out of the initial flood of offers from every agent)
// within the window the caller opens once the flood has settled.
//
// A latency taken while the master is saturated only measures the length of its queue
// (the burst scenario's p99 is the time to place the whole burst); this one measures the
// path itself at a load the master sustains.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agora/sdk/scheduler_driver.hpp"
#include "bench/percentile.hpp"
#include "bench/simulated_agents.hpp"
#include "common/resources/resources.hpp"

namespace agora::bench {

class SteadyScheduler : public sdk::Scheduler {
 public:
  explicit SteadyScheduler(long concurrency) : concurrency_(concurrency) {}

  void resourceOffers(sdk::SchedulerDriver* d, const std::vector<v1::Offer>& offers) override {
    double received = nowSeconds();
    std::lock_guard<std::mutex> lock(mutex_);
    Resources task = *Resources::parse("cpus:0.1;mem:32");
    v1::Filters filters;
    // Longer than the run: an agent comes back only when a task of ours ends there (more
    // free resources lift a filter), so idle agents do not flood the master with offers.
    filters.set_refuse_seconds(60);
    for (const v1::Offer& offer : offers) {
      // As many as there are free slots (a slot whose replacement offer came before the
      // task's end was known is filled here), as far as the offer goes.
      Resources left = *Resources::fromProto(offer.resources());
      std::vector<v1::TaskInfo> launch;
      while (launched_ - finished_ < concurrency_ && left.contains(task)) {
        v1::TaskInfo info;
        std::string id = "s" + std::to_string(launched_);
        info.set_name(id);
        info.mutable_task_id()->set_value(id);
        info.mutable_command()->set_value("true");
        task.toProto(info.mutable_resources());
        if (launched_++ >= concurrency_) {
          offeredAt_[id] = received;
        }
        launch.push_back(std::move(info));
        left -= task;
      }
      if (launch.empty()) {
        d->declineOffer(offer.id(), filters);
      } else {
        d->launchTasks({offer.id()}, launch, filters);
      }
    }
  }

  void statusUpdate(sdk::SchedulerDriver*, const v1::TaskStatus& status) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status.state() == v1::TASK_RUNNING) {
      auto it = offeredAt_.find(status.task_id().value());
      if (it != offeredAt_.end()) {
        latencies_.push_back((nowSeconds() - it->second) * 1000);
        offeredAt_.erase(it);
      }
    } else if (status.state() != v1::TASK_STAGING && status.state() != v1::TASK_STARTING) {
      ++finished_;  // Any terminal state frees a slot.
    }
  }

  // Forgets the samples so far: the measurement window starts now.
  void startWindow() {
    std::lock_guard<std::mutex> lock(mutex_);
    latencies_.clear();
  }

  // Tasks that reached RUNNING after the warm-up (in the window).
  long measured() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<long>(latencies_.size());
  }
  double percentile(double p) {
    std::lock_guard<std::mutex> lock(mutex_);
    return percentileOf(latencies_, p);
  }

 private:
  std::mutex mutex_;
  long concurrency_;
  long launched_ = 0;
  long finished_ = 0;
  std::map<std::string, double> offeredAt_;
  std::vector<double> latencies_;
};

}  // namespace agora::bench
