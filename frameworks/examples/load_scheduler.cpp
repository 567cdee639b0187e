#include "frameworks/examples/load_scheduler.hpp"

#include <cstdio>

namespace agora::examples {

namespace {
constexpr double kRefuseSeconds = 5;
}  // namespace

void LoadScheduler::subscribed(sdk::SchedulerDriver* driver, const v1::FrameworkID& id,
                               const v1::MasterID& master) {
  std::printf("subscribed as framework %s\n", id.value().c_str());
  if (resubscription_) {
    // Master-generated updates sent while we were away are not retried: ask for them.
    driver->reconcileTasks({});
    if (!plan_.allLaunched()) {
      driver->reviveOffers();
    }
  }
  resubscription_ = true;
  std::fflush(stdout);
}

void LoadScheduler::resourceOffers(sdk::SchedulerDriver* driver,
                                   const std::vector<v1::Offer>& offers) {
  v1::Filters refuse;
  refuse.set_refuse_seconds(kRefuseSeconds);
  int before = plan_.launched();
  for (const v1::Offer& offer : offers) {
    std::vector<v1::TaskInfo> tasks = plan_.tasksFor(offer);
    if (tasks.empty()) {
      driver->declineOffer(offer.id(), refuse);
    } else {
      driver->launchTasks({offer.id()}, tasks);
    }
  }
  if (plan_.launched() != before) {
    std::printf("%s\n", plan_.progress().c_str());
    std::fflush(stdout);
  }
  if (plan_.allLaunched() && !suppressed_) {
    driver->suppressOffers();
    suppressed_ = true;
  }
}

void LoadScheduler::statusUpdate(sdk::SchedulerDriver* driver, const v1::TaskStatus& status) {
  if (!plan_.record(status)) {
    return;
  }
  if (status.state() != v1::TASK_FINISHED) {
    std::printf("task %s ended %s\n", status.task_id().value().c_str(),
                describeEnd(status).c_str());
  }
  std::printf("%s\n", plan_.progress().c_str());
  std::fflush(stdout);
  if (plan_.allTerminal()) {
    finish(driver);
  }
}

void LoadScheduler::error(sdk::SchedulerDriver* driver, const std::string& message) {
  std::fprintf(stderr, "agora-load: the master refused the framework: %s\n", message.c_str());
  exitCode_ = 1;
}

void LoadScheduler::finish(sdk::SchedulerDriver* driver) {
  if (plan_.failed() == 0) {
    std::printf("all %d tasks finished\n", plan_.total());
    exitCode_ = 0;
  } else {
    std::printf("%d of %d tasks did not finish:\n", plan_.failed(), plan_.total());
    for (const std::string& line : plan_.failures()) {
      std::printf("  %s\n", line.c_str());
    }
    exitCode_ = 1;
  }
  std::fflush(stdout);
  driver->stop(sdk::FailoverMode::kTeardown);
}

}  // namespace agora::examples
