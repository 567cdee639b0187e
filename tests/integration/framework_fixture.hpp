// A framework for integration tests: a `RecordingScheduler` behind a real SDK driver.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agora/sdk/scheduler_driver.hpp"
#include "common/resources/resources.hpp"
#include "tests/support/recording_scheduler.hpp"

namespace agora::testing {

struct FrameworkOptions {
  std::string name = "it";
  double failoverTimeout = 0;
  bool partitionAware = false;
  std::string id = {};
  std::string role;
  // Several roles: subscribes with MULTI_ROLE (and ignores `role`).
  std::vector<std::string> roles = {};
  bool regionAware = false;
};

class TestFramework {
 public:
  TestFramework(const std::string& master, FrameworkOptions options = {}) {
    sdk::DriverOptions driverOptions;
    driverOptions.master = master;
    driverOptions.framework.set_name(options.name);
    driverOptions.framework.set_user("root");
    driverOptions.framework.set_failover_timeout(options.failoverTimeout);
    if (!options.roles.empty()) {
      for (const std::string& role : options.roles) driverOptions.framework.add_roles(role);
      driverOptions.framework.add_capabilities()->set_type(
          v1::FrameworkInfo::Capability::MULTI_ROLE);
    } else if (!options.role.empty()) {
      driverOptions.framework.set_role(options.role);
    }
    if (!options.id.empty()) {
      driverOptions.framework.mutable_id()->set_value(options.id);
    }
    if (options.regionAware) {
      driverOptions.framework.add_capabilities()->set_type(
          v1::FrameworkInfo::Capability::REGION_AWARE);
    }
    if (options.partitionAware) {
      driverOptions.framework.add_capabilities()->set_type(
          v1::FrameworkInfo::Capability::PARTITION_AWARE);
    }
    driver = std::make_unique<sdk::SchedulerDriver>(&scheduler, driverOptions);
  }
  ~TestFramework() {
    if (driver) {
      driver->stop(sdk::FailoverMode::kTeardown);
      driver->join().ignoreError();
    }
  }
  bool start() {
    return driver->start().isOk() &&
           scheduler.waitUntil([&] { return scheduler.subscriptionsLocked() > 0; });
  }
  std::string id() const {
    auto id = scheduler.frameworkId();
    return id ? id->value() : "";
  }

  RecordingScheduler scheduler;
  std::unique_ptr<sdk::SchedulerDriver> driver;
};

// The next offer (after the `seen` already looked at) whose resources satisfy `wanted`.
// Others are declined at once so the agent's resources come back in one offer.
inline std::optional<v1::Offer> nextOfferWith(TestFramework& framework, size_t& seen,
                                              const std::function<bool(const Resources&)>& wanted) {
  v1::Filters now;
  now.set_refuse_seconds(0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    framework.scheduler.waitUntil([&] { return framework.scheduler.offersLocked().size() > seen; },
                                  5);
    std::vector<v1::Offer> offers = framework.scheduler.offers();
    while (seen < offers.size()) {
      const v1::Offer& offer = offers[seen++];
      if (wanted(*Resources::fromProto(offer.resources()))) {
        return offer;
      }
      framework.driver->declineOffer(offer.id(), now);
    }
  }
  return std::nullopt;
}

}  // namespace agora::testing
