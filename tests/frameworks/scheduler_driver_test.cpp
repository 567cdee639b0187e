// The driver against a fake master speaking the real wire protocol (ROUTER socket + HTTP
// discovery on loopback). Every wait is on a condition with a deadline; there are no sleeps.
#include "agora/sdk/scheduler_driver.hpp"

#include <gtest/gtest.h>

#include "tests/frameworks/fake_master.hpp"
#include "tests/frameworks/recording_scheduler.hpp"

namespace agora::sdk {
namespace {

using testing::FakeMaster;
using testing::ReceivedCall;
using testing::RecordingScheduler;
using v1::scheduler::Call;
using v1::scheduler::Event;

class SchedulerDriverTest : public ::testing::Test {
 protected:
  // Starts the driver and completes the subscription as framework "fw-1". Returns the
  // identity of the driver's connection.
  std::string startSubscribed(double heartbeatSeconds = 0.1) {
    start();
    auto subscribe = master_.waitForCall(Call::kSubscribe);
    EXPECT_TRUE(subscribe.has_value());
    if (!subscribe) {
      return "";
    }
    EXPECT_EQ(subscribe->call.subscribe().framework_info().name(), "test-framework");
    EXPECT_TRUE(subscribe->call.subscribe().framework_info().id().value().empty());
    sendSubscribed(subscribe->identity, heartbeatSeconds);
    EXPECT_TRUE(scheduler_.waitFor([](auto& r) { return r.subscriptions.size() == 1; }));
    return subscribe->identity;
  }

  void start() {
    DriverOptions options;
    options.master = master_.httpAddress();
    options.framework.set_name("test-framework");
    options.framework.set_role("*");
    options.acks = acks_;
    driver_ = std::make_unique<SchedulerDriver>(&scheduler_, options);
    ASSERT_TRUE(driver_->start().isOk());
  }

  void sendSubscribed(const std::string& identity, double heartbeatSeconds) {
    Event event;
    event.mutable_subscribed()->mutable_framework_id()->set_value("fw-1");
    event.mutable_subscribed()->set_heartbeat_interval_seconds(heartbeatSeconds);
    event.mutable_subscribed()->mutable_master_id()->set_value("master-1");
    master_.send(identity, event);
  }

  static Event update(const std::string& task, const std::string& uuid) {
    Event event;
    auto* status = event.mutable_update()->mutable_status();
    status->mutable_task_id()->set_value(task);
    status->mutable_agent_id()->set_value("agent-1");
    status->set_state(v1::TASK_RUNNING);
    status->set_uuid(uuid);
    return event;
  }

  void TearDown() override {
    if (driver_) {
      driver_->stop(FailoverMode::kFailover);
      driver_->join().ignoreError();
    }
  }

  FakeMaster master_;
  RecordingScheduler scheduler_;
  AckMode acks_ = AckMode::kImplicit;
  std::unique_ptr<SchedulerDriver> driver_;
};

// The driver discovers the master over HTTP, subscribes, and once SUBSCRIBED sends
// heartbeats that carry the framework id.
TEST_F(SchedulerDriverTest, SubscribesAndSendsHeartbeats) {
  startSubscribed();
  EXPECT_EQ(scheduler_.snapshot().subscriptions[0].value(), "fw-1");
  EXPECT_EQ(driver_->frameworkId()->value(), "fw-1");
  for (int i = 0; i < 3; ++i) {
    auto heartbeat = master_.waitForCall(Call::kHeartbeat);
    ASSERT_TRUE(heartbeat.has_value());
    EXPECT_EQ(heartbeat->call.framework_id().value(), "fw-1");
  }
}

// An offer reaches the scheduler, and its launchTasks() becomes one ACCEPT with a LAUNCH.
TEST_F(SchedulerDriverTest, LaunchTasksProducesAccept) {
  scheduler_.onOffers = [](SchedulerDriver* d, const std::vector<v1::Offer>& offers) {
    v1::TaskInfo task;
    task.set_name("t");
    task.mutable_task_id()->set_value("task-1");
    *task.mutable_agent_id() = offers[0].agent_id();
    task.mutable_command()->set_value("true");
    v1::Filters filters;
    filters.set_refuse_seconds(7);
    d->launchTasks({offers[0].id()}, {task}, filters);
  };
  std::string identity = startSubscribed();
  Event offers;
  auto* offer = offers.mutable_offers()->add_offers();
  offer->mutable_id()->set_value("offer-1");
  offer->mutable_agent_id()->set_value("agent-1");
  offer->mutable_framework_id()->set_value("fw-1");
  master_.send(identity, offers);

  auto accept = master_.waitForCall(Call::kAccept);
  ASSERT_TRUE(accept.has_value());
  const Call& call = accept->call;
  EXPECT_EQ(call.framework_id().value(), "fw-1");
  ASSERT_EQ(call.accept().offer_ids_size(), 1);
  EXPECT_EQ(call.accept().offer_ids(0).value(), "offer-1");
  ASSERT_EQ(call.accept().operations_size(), 1);
  ASSERT_EQ(call.accept().operations(0).launch().task_infos_size(), 1);
  const auto& task = call.accept().operations(0).launch().task_infos(0);
  EXPECT_EQ(task.task_id().value(), "task-1");
  EXPECT_EQ(task.agent_id().value(), "agent-1");
  EXPECT_EQ(call.accept().filters().refuse_seconds(), 7);
  EXPECT_EQ(scheduler_.snapshot().offers.size(), 1u);
}

// An OFFERS event with only inverse offers reaches `inverseOffers` (not `resourceOffers`);
// the answers go out as ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS.
TEST_F(SchedulerDriverTest, InverseOffersReachTheSchedulerAndAnswersAreSent) {
  scheduler_.onInverseOffers = [](SchedulerDriver* d,
                                  const std::vector<v1::InverseOffer>& inverse) {
    v1::Filters filters;
    filters.set_refuse_seconds(9);
    d->acceptInverseOffers({inverse[0].id()}, filters);
  };
  std::string identity = startSubscribed();
  Event offers;
  auto* inverse = offers.mutable_offers()->add_inverse_offers();
  inverse->mutable_id()->set_value("inverse-1");
  inverse->mutable_agent_id()->set_value("agent-1");
  inverse->mutable_framework_id()->set_value("fw-1");
  inverse->mutable_unavailability()->mutable_start()->set_nanoseconds(5);
  master_.send(identity, offers);

  auto accept = master_.waitForCall(Call::kAcceptInverseOffers);
  ASSERT_TRUE(accept.has_value());
  ASSERT_EQ(accept->call.accept_inverse_offers().inverse_offer_ids_size(), 1);
  EXPECT_EQ(accept->call.accept_inverse_offers().inverse_offer_ids(0).value(), "inverse-1");
  EXPECT_EQ(accept->call.accept_inverse_offers().filters().refuse_seconds(), 9);
  auto record = scheduler_.snapshot();
  ASSERT_EQ(record.inverseOffers.size(), 1u);
  EXPECT_EQ(record.inverseOffers[0].unavailability().start().nanoseconds(), 5);
  EXPECT_TRUE(record.offers.empty());

  v1::OfferID id;
  id.set_value("inverse-2");
  driver_->declineInverseOffers({id});
  auto decline = master_.waitForCall(Call::kDeclineInverseOffers);
  ASSERT_TRUE(decline.has_value());
  EXPECT_EQ(decline->call.decline_inverse_offers().inverse_offer_ids(0).value(), "inverse-2");

  Event rescind;
  rescind.mutable_rescind_inverse_offer()->mutable_inverse_offer_id()->set_value("inverse-1");
  master_.send(identity, rescind);
  EXPECT_TRUE(scheduler_.waitFor([](auto& r) { return r.rescindedInverseOffers.size() == 1; }));
}

// A retried update (same task and uuid) reaches the scheduler once but is acknowledged
// each time, so the agent stops retrying.
TEST_F(SchedulerDriverTest, DuplicateUpdateIsDeliveredOnceAndAcknowledgedTwice) {
  std::string identity = startSubscribed();
  master_.send(identity, update("task-1", "uuid-A"));
  for (int i = 0; i < 2; ++i) {
    auto ack = master_.waitForCall(Call::kAcknowledge);
    ASSERT_TRUE(ack.has_value()) << "acknowledgement " << i;
    EXPECT_EQ(ack->call.framework_id().value(), "fw-1");
    EXPECT_EQ(ack->call.acknowledge().task_id().value(), "task-1");
    EXPECT_EQ(ack->call.acknowledge().agent_id().value(), "agent-1");
    EXPECT_EQ(ack->call.acknowledge().uuid(), "uuid-A");
    if (i == 0) {
      master_.send(identity, update("task-1", "uuid-A"));
    }
  }
  // A new uuid is a new update; it is delivered after the duplicate was handled.
  master_.send(identity, update("task-1", "uuid-B"));
  ASSERT_TRUE(scheduler_.waitFor([](auto& r) { return r.updates.size() >= 2; }));
  auto updates = scheduler_.snapshot().updates;
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].uuid(), "uuid-A");
  EXPECT_EQ(updates[1].uuid(), "uuid-B");
}

// Master-generated updates carry no uuid and are not acknowledged.
TEST_F(SchedulerDriverTest, UpdateWithoutUuidIsNotAcknowledged) {
  std::string identity = startSubscribed();
  master_.send(identity, update("task-lost", ""));
  master_.send(identity, update("task-2", "uuid-C"));
  auto ack = master_.waitForCall(Call::kAcknowledge);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->call.acknowledge().task_id().value(), "task-2");
  EXPECT_EQ(scheduler_.snapshot().updates.size(), 2u);
}

// With explicit acknowledgements nothing is acknowledged until the scheduler says so.
TEST_F(SchedulerDriverTest, ExplicitModeAcknowledgesOnRequest) {
  acks_ = AckMode::kExplicit;
  std::string identity = startSubscribed();
  master_.send(identity, update("task-1", "uuid-A"));
  ASSERT_TRUE(scheduler_.waitFor([](auto& r) { return r.updates.size() == 1; }));
  driver_->reconcileTasks({});  // A marker: it must arrive before any acknowledgement.
  auto next = master_.waitForCall([](const Call& c) { return !c.has_heartbeat(); });
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->call.has_reconcile());
  driver_->acknowledgeStatusUpdate(scheduler_.snapshot().updates[0]);
  auto ack = master_.waitForCall(Call::kAcknowledge);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->call.acknowledge().uuid(), "uuid-A");
}

// error{resubscribe} means the master does not know this connection: SUBSCRIBE again,
// keeping the framework id.
TEST_F(SchedulerDriverTest, ErrorWithResubscribeSubscribesAgainWithId) {
  std::string identity = startSubscribed();
  Event error;
  error.mutable_error()->set_message("unknown connection");
  error.mutable_error()->set_resubscribe(true);
  master_.send(identity, error);
  auto subscribe = master_.waitForCall(Call::kSubscribe);
  ASSERT_TRUE(subscribe.has_value());
  EXPECT_EQ(subscribe->call.subscribe().framework_info().id().value(), "fw-1");
  EXPECT_EQ(subscribe->call.framework_id().value(), "fw-1");
  sendSubscribed(subscribe->identity, 0.1);
  ASSERT_TRUE(scheduler_.waitFor([](auto& r) { return r.subscriptions.size() == 2; }));
  EXPECT_EQ(scheduler_.snapshot().subscriptions[1].value(), "fw-1");
}

// A fatal error reaches Scheduler::error and stops the driver; join() returns it.
TEST_F(SchedulerDriverTest, FatalErrorStopsTheDriver) {
  std::string identity = startSubscribed();
  Event error;
  error.mutable_error()->set_message("framework removed");
  master_.send(identity, error);
  Status status = driver_->join();
  EXPECT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("framework removed"), std::string::npos);
  ASSERT_EQ(scheduler_.snapshot().errors.size(), 1u);
  EXPECT_EQ(scheduler_.snapshot().errors[0], "framework removed");
}

// Three silent heartbeat intervals: disconnected(), then a new connection (new identity)
// subscribes again with the framework id.
TEST_F(SchedulerDriverTest, SilentMasterIsFoundAgain) {
  master_.setAnswerHeartbeats(false);
  std::string identity = startSubscribed(0.1);
  auto subscribe = master_.waitForCall(Call::kSubscribe);
  ASSERT_TRUE(subscribe.has_value());
  EXPECT_NE(subscribe->identity, identity);
  EXPECT_EQ(subscribe->call.subscribe().framework_info().id().value(), "fw-1");
  EXPECT_EQ(scheduler_.snapshot().disconnects, 1);
  master_.setAnswerHeartbeats(true);
  sendSubscribed(subscribe->identity, 0.1);
  ASSERT_TRUE(scheduler_.waitFor([](auto& r) { return r.subscriptions.size() == 2; }));
}

// Garbage from the master is dropped and the driver carries on.
TEST_F(SchedulerDriverTest, MalformedMessagesAreDropped) {
  std::string identity = startSubscribed();
  master_.sendRaw(identity, "not a protobuf \xff\xff");
  Event bad;  // An UPDATE without a task id.
  bad.mutable_update()->mutable_status()->set_state(v1::TASK_RUNNING);
  master_.send(identity, bad);
  master_.send(identity, update("task-1", "uuid-A"));
  ASSERT_TRUE(master_.waitForCall(Call::kAcknowledge).has_value());
  EXPECT_EQ(scheduler_.snapshot().updates.size(), 1u);
}

// Calls made before SUBSCRIBED are dropped, not queued.
TEST_F(SchedulerDriverTest, CallsBeforeSubscribedAreDropped) {
  start();
  v1::OfferID early;
  early.set_value("early");
  driver_->declineOffer(early);
  auto subscribe = master_.waitForCall(Call::kSubscribe);
  ASSERT_TRUE(subscribe.has_value());
  sendSubscribed(subscribe->identity, 0.1);
  ASSERT_TRUE(scheduler_.waitFor([](auto& r) { return r.subscriptions.size() == 1; }));
  v1::OfferID late;
  late.set_value("late");
  driver_->declineOffer(late);
  auto decline = master_.waitForCall(Call::kDecline);
  ASSERT_TRUE(decline.has_value());
  EXPECT_EQ(decline->call.decline().offer_ids(0).value(), "late");
}

// stop(kTeardown) sends TEARDOWN with the framework id before the driver exits.
TEST_F(SchedulerDriverTest, TeardownIsSent) {
  startSubscribed();
  driver_->stop(FailoverMode::kTeardown);
  EXPECT_TRUE(driver_->join().isOk());
  auto teardown = master_.waitForCall(Call::kTeardown);
  ASSERT_TRUE(teardown.has_value());
  EXPECT_EQ(teardown->call.framework_id().value(), "fw-1");
}

}  // namespace
}  // namespace agora::sdk
