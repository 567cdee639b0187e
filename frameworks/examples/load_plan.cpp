#include "frameworks/examples/load_plan.hpp"
#include "common/base/task_states.hpp"

#include <glog/logging.h>

namespace agora::examples {

std::string describeEnd(const v1::TaskStatus& status) {
  std::string why = v1::TaskState_Name(status.state());
  if (status.reason() != v1::TaskStatus::REASON_UNKNOWN) {
    why += " (" + v1::TaskStatus::Reason_Name(status.reason()) + ")";
  }
  if (status.has_exit_code()) {
    why += " exit code " + std::to_string(status.exit_code());
  }
  if (!status.message().empty()) {
    why += ": " + status.message();
  }
  return why;
}

Resources withRole(const Resources& resources, const std::string& role) {
  google::protobuf::RepeatedPtrField<v1::Resource> entries;
  resources.toProto(&entries);
  for (auto& entry : entries) {
    entry.set_role(role);
  }
  auto reroled = Resources::fromProto(entries);
  CHECK(reroled.isOk()) << "re-roling valid resources failed: " << reroled.status().message();
  return *reroled;
}

namespace {

// The form of `perTask` that `remaining` can give: unreserved first, then reserved to `role`.
std::optional<Resources> takeOne(const Resources& remaining, const Resources& perTask,
                                 const Resources& perTaskReserved) {
  if (remaining.contains(perTask)) {
    return perTask;
  }
  if (remaining.contains(perTaskReserved)) {
    return perTaskReserved;
  }
  return std::nullopt;
}

std::vector<Resources> pack(Resources remaining, const Resources& perTask, const std::string& role,
                            int limit) {
  std::vector<Resources> picks;
  if (perTask.empty()) {
    return picks;  // Nothing bounds the count: refuse rather than loop forever.
  }
  Resources reserved =
      role.empty() || role == Resources::kUnreservedRole ? perTask : withRole(perTask, role);
  while (limit <= 0 || static_cast<int>(picks.size()) < limit) {
    auto pick = takeOne(remaining, perTask, reserved);
    if (!pick.has_value()) {
      break;
    }
    remaining -= *pick;
    picks.push_back(*pick);
  }
  return picks;
}

}  // namespace

int countTasksThatFit(const Resources& offered, const Resources& perTask, const std::string& role,
                      int limit) {
  return static_cast<int>(pack(offered, perTask, role, limit).size());
}

LoadPlan::LoadPlan(LoadPlanOptions options) : options_(std::move(options)) {}

std::vector<v1::TaskInfo> LoadPlan::tasksFor(const v1::Offer& offer) {
  std::vector<v1::TaskInfo> tasks;
  int left = options_.numTasks - launched_;
  if (left <= 0) {
    return tasks;
  }
  auto offered = Resources::fromProto(offer.resources());
  if (!offered.isOk()) {
    LOG(WARNING) << "Ignoring offer " << offer.id().value()
                 << " with invalid resources: " << offered.status().message();
    return tasks;
  }
  int limit = options_.tasksPerOffer > 0 ? std::min(left, options_.tasksPerOffer) : left;
  for (const Resources& resources :
       pack(*offered, options_.taskResources, offer.allocation_info().role(), limit)) {
    tasks.push_back(makeTask(offer, resources));
  }
  return tasks;
}

v1::TaskInfo LoadPlan::makeTask(const v1::Offer& offer, const Resources& resources) {
  std::string id = "load-" + std::to_string(++launched_);
  v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  *task.mutable_agent_id() = offer.agent_id();
  resources.toProto(task.mutable_resources());
  task.mutable_command()->set_value(options_.command);
  return task;
}

bool LoadPlan::record(const v1::TaskStatus& status) {
  const std::string& id = status.task_id().value();
  if (!isTerminalState(status.state()) || terminal_.count(id) > 0) {
    return false;
  }
  terminal_[id] = true;
  if (status.state() == v1::TASK_FINISHED) {
    ++finished_;
    return true;
  }
  failures_[id] = describeEnd(status);
  return true;
}

std::string LoadPlan::progress() const {
  return "launched " + std::to_string(launched_) + "/" + std::to_string(options_.numTasks) +
         ", finished " + std::to_string(finished_) + ", failed " + std::to_string(failed());
}

std::vector<std::string> LoadPlan::failures() const {
  std::vector<std::string> lines;
  for (const auto& [id, why] : failures_) {
    lines.push_back(id + ": " + why);
  }
  return lines;
}

}  // namespace agora::examples
