// `LoadPlan`: the pure bookkeeping of the load framework — which tasks to launch on an
// offer (packing as many as fit), and how many have launched, finished and failed. No
// driver and no I/O, so it is unit-tested directly.
//
// Thread-compatible; the load scheduler uses it on the driver's loop thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agora/v1/common.pb.h"
#include "common/resources/resources.hpp"

namespace agora::examples {

struct LoadPlanOptions {
  std::string command;
  int numTasks = 1;
  Resources taskResources;
  // At most this many tasks per offer; 0 means as many as fit.
  int tasksPerOffer = 0;
};

// `resources` with every entry owned by `role` (to draw a task from reserved resources).
Resources withRole(const Resources& resources, const std::string& role);

// How many copies of `perTask` fit in `offered`, at most `limit` (0 = no limit). A task may
// use unreserved resources or resources reserved to `role`, but not a mix of both.
int countTasksThatFit(const Resources& offered, const Resources& perTask, const std::string& role,
                      int limit);

class LoadPlan {
 public:
  explicit LoadPlan(LoadPlanOptions options);

  // The tasks to launch on `offer` (ids "load-<n>", n from 1), marked launched. Empty when
  // nothing fits or nothing is left to launch: decline the offer then.
  std::vector<v1::TaskInfo> tasksFor(const v1::Offer& offer);

  // Records an update. Returns true when it made a task terminal for the first time.
  bool record(const v1::TaskStatus& status);

  int total() const { return options_.numTasks; }
  int launched() const { return launched_; }
  int finished() const { return finished_; }
  int failed() const { return static_cast<int>(failures_.size()); }
  bool allLaunched() const { return launched_ >= options_.numTasks; }
  bool allTerminal() const { return finished() + failed() >= options_.numTasks; }

  // "launched 40/100, finished 12, failed 0"
  std::string progress() const;
  // One line per task that ended in a state other than TASK_FINISHED, saying why.
  std::vector<std::string> failures() const;

 private:
  v1::TaskInfo makeTask(const v1::Offer& offer, const Resources& resources);

  LoadPlanOptions options_;
  int launched_ = 0;
  int finished_ = 0;
  std::map<std::string, std::string> failures_;  // task id -> why
  std::map<std::string, bool> terminal_;         // task ids already counted
};


// "TASK_FAILED (REASON_...) exit code 2: message": how a task ended, for people.
std::string describeEnd(const v1::TaskStatus& status);

}  // namespace agora::examples
