// SchedulerDriver::pendingReasons: the master's "why pending" for this framework, read from
// its operator API (GET /roles) so the answer is the one operators see.
#include "agora/sdk/scheduler_driver.hpp"
#include "common/http/http.hpp"
#include "driver_impl.hpp"

namespace agora::sdk {

StatusOr<std::map<std::string, std::string>> SchedulerDriver::pendingReasons() const {
  std::optional<v1::FrameworkID> id = frameworkId();
  if (!id) {
    return Status::error(StatusCode::kFailedPrecondition, "the framework is not subscribed yet");
  }
  auto master = parseHostPort(impl_->options().master);
  if (!master.isOk()) {
    return master.status().withContext("invalid master address");
  }
  auto roles = httpGetJson(*master, "/roles");
  if (!roles.isOk()) {
    return roles.status();
  }
  if (!roles->contains("roles") || !(*roles)["roles"].is_array()) {
    return Status::invalid("GET /roles answered without a 'roles' array");
  }
  std::map<std::string, std::string> reasons;
  for (const auto& role : (*roles)["roles"]) {
    if (!role.is_object() || !role.contains("why_pending") || !role.contains("name")) {
      continue;
    }
    for (const auto& pending : role["why_pending"]) {
      if (pending.value("framework_id", "") == id->value()) {
        reasons[role["name"].get<std::string>()] = pending.value("reason", "");
      }
    }
  }
  return reasons;
}

}  // namespace agora::sdk
