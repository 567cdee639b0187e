#include "cli/run_scheduler.hpp"
#include "common/base/task_states.hpp"

#include <cstdio>

namespace agora::cli {

namespace {
// Offers we cannot use are not needed again soon: the task launches at most once.
constexpr double kRefuseUnfitSeconds = 1;
constexpr double kRefuseAfterLaunchSeconds = 3600;

v1::Filters refuse(double seconds) {
  v1::Filters filters;
  filters.set_refuse_seconds(seconds);
  return filters;
}
}  // namespace

bool isTerminalState(v1::TaskState state) {
  return state == v1::TASK_FINISHED || state == v1::TASK_FAILED || state == v1::TASK_KILLED ||
         state == v1::TASK_ERROR || state == v1::TASK_LOST || state == v1::TASK_DROPPED ||
         state == v1::TASK_GONE || state == v1::TASK_GONE_BY_OPERATOR;
}

std::optional<Resources> fitTask(const Resources& offered, const Resources& perTask,
                                 const std::string& role) {
  if (offered.contains(perTask)) {
    return perTask;
  }
  if (role.empty() || role == Resources::kUnreservedRole) {
    return std::nullopt;
  }
  google::protobuf::RepeatedPtrField<v1::Resource> entries;
  perTask.toProto(&entries);
  for (auto& entry : entries) {
    entry.set_role(role);
  }
  auto reserved = Resources::fromProto(entries);
  if (reserved.isOk() && offered.contains(*reserved)) {
    return *reserved;
  }
  return std::nullopt;
}

RunScheduler::RunScheduler(v1::TaskInfo task, Resources resources, std::string role)
    : task_(std::move(task)), resources_(std::move(resources)), role_(std::move(role)) {}

void RunScheduler::subscribed(sdk::SchedulerDriver* driver, const v1::FrameworkID& id,
                              const v1::MasterID& master) {
  if (resubscription_ && launched_) {
    // Updates the master generated while we were away are not retried: ask again.
    v1::TaskStatus ours;
    *ours.mutable_task_id() = task_.task_id();
    ours.mutable_agent_id()->set_value(snapshot().agentId);
    driver->reconcileTasks({ours});
  }
  resubscription_ = true;
}

void RunScheduler::resourceOffers(sdk::SchedulerDriver* driver,
                                  const std::vector<v1::Offer>& offers) {
  for (const v1::Offer& offer : offers) {
    if (launched_) {
      driver->declineOffer(offer.id(), refuse(kRefuseAfterLaunchSeconds));
      continue;
    }
    auto offered = Resources::fromProto(offer.resources());
    auto fit = offered.isOk() ? fitTask(*offered, resources_, role_) : std::nullopt;
    if (!fit.has_value()) {
      driver->declineOffer(offer.id(), refuse(kRefuseUnfitSeconds));
      continue;
    }
    v1::TaskInfo task = task_;
    *task.mutable_agent_id() = offer.agent_id();
    fit->toProto(task.mutable_resources());
    driver->launchTasks({offer.id()}, {task});
    driver->suppressOffers();
    launched_ = true;
    std::fprintf(stderr, "task %s launched on %s\n", task_.task_id().value().c_str(),
                 offer.hostname().c_str());
    publish([&](Progress& p) {
      p.launched = true;
      p.agentId = offer.agent_id().value();
      p.agentHttp = offer.agent_http_address();
      p.hostname = offer.hostname();
    });
  }
}

void RunScheduler::statusUpdate(sdk::SchedulerDriver* driver, const v1::TaskStatus& status) {
  if (status.task_id().value() != task_.task_id().value() || !isTerminalState(status.state())) {
    return;
  }
  publish([&](Progress& p) {
    if (!p.terminal.has_value()) {
      p.terminal = status;
    }
  });
}

void RunScheduler::error(sdk::SchedulerDriver* driver, const std::string& message) {
  publish([&](Progress& p) { p.fatal = message; });
}

RunScheduler::Progress RunScheduler::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return progress_;
}

RunScheduler::Progress RunScheduler::waitForChange(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  uint64_t seen = version_;
  changed_.wait_for(lock, timeout, [&] { return version_ != seen; });
  return progress_;
}

void RunScheduler::publish(const std::function<void(Progress&)>& change) {
  std::lock_guard<std::mutex> lock(mutex_);
  change(progress_);
  ++version_;
  changed_.notify_all();
}

}  // namespace agora::cli
