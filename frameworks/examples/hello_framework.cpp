// The smallest useful framework: launches one task (`echo hello from agora`) on the first
// offer that fits, prints its updates, and exits when it is terminal (0 if it finished).
// Usage: agora-hello-framework [MASTER_HOST:PORT]
#include <cstdio>
#include <string>

#include "agora/sdk/scheduler_driver.hpp"

using namespace agora;

namespace {

v1::Resource scalar(const std::string& name, double value) {
  v1::Resource resource;
  resource.set_name(name);
  resource.set_type(v1::Value::SCALAR);
  resource.mutable_scalar()->set_value(value);
  return resource;
}

double offered(const v1::Offer& offer, const std::string& name) {
  double total = 0;
  for (const auto& resource : offer.resources()) {
    total += resource.name() == name ? resource.scalar().value() : 0;
  }
  return total;
}

class HelloScheduler : public sdk::Scheduler {
 public:
  void resourceOffers(sdk::SchedulerDriver* driver, const std::vector<v1::Offer>& offers) override {
    for (const auto& offer : offers) {
      if (launched_ || offered(offer, "cpus") < 0.1 || offered(offer, "mem") < 32) {
        driver->declineOffer(offer.id());
        continue;
      }
      v1::TaskInfo task;
      task.set_name("hello");
      task.mutable_task_id()->set_value("hello-1");
      *task.mutable_agent_id() = offer.agent_id();
      *task.add_resources() = scalar("cpus", 0.1);
      *task.add_resources() = scalar("mem", 32);
      task.mutable_command()->set_value("echo hello from agora");
      driver->launchTasks({offer.id()}, {task});
      launched_ = true;
    }
  }

  void statusUpdate(sdk::SchedulerDriver* driver, const v1::TaskStatus& status) override {
    std::printf("task %s is %s %s\n", status.task_id().value().c_str(),
                v1::TaskState_Name(status.state()).c_str(), status.message().c_str());
    if (status.state() >= v1::TASK_FINISHED && status.state() != v1::TASK_UNREACHABLE) {
      exitCode = status.state() == v1::TASK_FINISHED ? 0 : 1;
      driver->stop(sdk::FailoverMode::kTeardown);  // Kills nothing left, forgets us.
    }
  }

  int exitCode = 1;

 private:
  bool launched_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  sdk::DriverOptions options;
  options.master = argc > 1 ? argv[1] : "127.0.0.1:5050";
  options.framework.set_name("hello");
  options.framework.set_role("*");
  HelloScheduler scheduler;
  sdk::SchedulerDriver driver(&scheduler, options);
  Status status = driver.run();
  if (!status.isOk()) {
    std::fprintf(stderr, "hello: %s\n", status.message().c_str());
    return 1;
  }
  return scheduler.exitCode;
}
