// `LoadScheduler`: launches `numTasks` copies of a command, packing as many as fit into each
// offer, and stops the driver (tearing the framework down) once every task is terminal.
//
// Thread-safety: callbacks run on the driver's loop thread; `exitCode()` may be read after
// `SchedulerDriver::join()` returned.
#pragma once

#include "agora/sdk/scheduler_driver.hpp"
#include "frameworks/examples/load_plan.hpp"

namespace agora::examples {

class LoadScheduler : public sdk::Scheduler {
 public:
  explicit LoadScheduler(LoadPlanOptions options) : plan_(std::move(options)) {}

  void subscribed(sdk::SchedulerDriver* driver, const v1::FrameworkID& id,
                  const v1::MasterID& master) override;
  void resourceOffers(sdk::SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override;
  void statusUpdate(sdk::SchedulerDriver* driver, const v1::TaskStatus& status) override;
  void error(sdk::SchedulerDriver* driver, const std::string& message) override;

  // 0 when every task finished, 1 otherwise.
  int exitCode() const { return exitCode_; }

 private:
  void finish(sdk::SchedulerDriver* driver);

  LoadPlan plan_;
  bool resubscription_ = false;
  bool suppressed_ = false;
  int exitCode_ = 1;
};

}  // namespace agora::examples
