// A framework for integration tests: a `RecordingScheduler` behind a real SDK driver.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agora/sdk/scheduler_driver.hpp"
#include "tests/support/recording_scheduler.hpp"

namespace agora::testing {

struct FrameworkOptions {
  std::string name = "it";
  double failoverTimeout = 0;
  bool partitionAware = false;
  std::string id;
  std::string role;
  // Several roles: subscribes with MULTI_ROLE (and ignores `role`).
  std::vector<std::string> roles;
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

}  // namespace agora::testing
