// The load framework end to end against the fake master: it packs an offer, suppresses
// once everything is launched, and tears down with the right exit code once all tasks are
// terminal.
#include "frameworks/examples/load_scheduler.hpp"

#include <gtest/gtest.h>

#include "tests/frameworks/fake_master.hpp"

namespace agora::examples {
namespace {

using testing::FakeMaster;
using v1::scheduler::Call;
using v1::scheduler::Event;

class LoadSchedulerTest : public ::testing::Test {
 protected:
  void startSubscribed(int numTasks) {
    scheduler_ = std::make_unique<LoadScheduler>(
        LoadPlanOptions{.command = "true",
                        .numTasks = numTasks,
                        .taskResources = Resources::parse("cpus:1;mem:10").value()});
    sdk::DriverOptions options;
    options.master = master_.httpAddress();
    options.framework.set_name("agora-load");
    driver_ = std::make_unique<sdk::SchedulerDriver>(scheduler_.get(), options);
    ASSERT_TRUE(driver_->start().isOk());
    auto subscribe = master_.waitForCall(Call::kSubscribe);
    ASSERT_TRUE(subscribe.has_value());
    identity_ = subscribe->identity;
    Event subscribed;
    subscribed.mutable_subscribed()->mutable_framework_id()->set_value("fw-load");
    subscribed.mutable_subscribed()->set_heartbeat_interval_seconds(1);
    master_.send(identity_, subscribed);
  }

  void offer(const std::string& id, const std::string& resources) {
    Event event;
    auto* offer = event.mutable_offers()->add_offers();
    offer->mutable_id()->set_value(id);
    offer->mutable_agent_id()->set_value("agent-1");
    Resources::parse(resources).value().toProto(offer->mutable_resources());
    master_.send(identity_, event);
  }

  void finish(const std::string& task, v1::TaskState state) {
    Event event;
    auto* status = event.mutable_update()->mutable_status();
    status->mutable_task_id()->set_value(task);
    status->mutable_agent_id()->set_value("agent-1");
    status->set_state(state);
    status->set_uuid("u-" + task);
    master_.send(identity_, event);
  }

  void TearDown() override {
    if (driver_) {
      driver_->stop(sdk::FailoverMode::kFailover);
      driver_->join().ignoreError();
    }
  }

  FakeMaster master_;
  std::unique_ptr<LoadScheduler> scheduler_;
  std::unique_ptr<sdk::SchedulerDriver> driver_;
  std::string identity_;
};

TEST_F(LoadSchedulerTest, PacksOffersSuppressesAndExitsZeroWhenAllFinish) {
  startSubscribed(3);
  offer("o1", "cpus:2;mem:100");
  auto first = master_.waitForCall(Call::kAccept);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->call.accept().operations(0).launch().task_infos_size(), 2);
  offer("o2", "cpus:4;mem:100");
  auto second = master_.waitForCall(Call::kAccept);
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->call.accept().operations(0).launch().task_infos_size(), 1);
  EXPECT_EQ(second->call.accept().operations(0).launch().task_infos(0).task_id().value(), "load-3");
  ASSERT_TRUE(master_.waitForCall(Call::kSuppress).has_value());
  offer("o3", "cpus:4;mem:100");
  auto decline = master_.waitForCall(Call::kDecline);
  ASSERT_TRUE(decline.has_value());
  EXPECT_EQ(decline->call.decline().filters().refuse_seconds(), 5);

  for (const char* task : {"load-1", "load-2", "load-3"}) {
    finish(task, v1::TASK_FINISHED);
  }
  ASSERT_TRUE(master_.waitForCall(Call::kTeardown).has_value());
  EXPECT_TRUE(driver_->join().isOk());
  EXPECT_EQ(scheduler_->exitCode(), 0);
}

TEST_F(LoadSchedulerTest, ExitsOneWhenATaskFails) {
  startSubscribed(2);
  offer("o1", "cpus:2;mem:100");
  ASSERT_TRUE(master_.waitForCall(Call::kAccept).has_value());
  finish("load-1", v1::TASK_FAILED);
  finish("load-2", v1::TASK_FINISHED);
  ASSERT_TRUE(master_.waitForCall(Call::kTeardown).has_value());
  EXPECT_TRUE(driver_->join().isOk());
  EXPECT_EQ(scheduler_->exitCode(), 1);
}

}  // namespace
}  // namespace agora::examples
