// Wire shape of the calls the SDK builds, and which events it refuses as malformed.
#include "frameworks/sdk/src/calls.hpp"

#include <gtest/gtest.h>

namespace agora::sdk::calls {
namespace {

using v1::scheduler::Event;

TEST(CallsTest, EnvelopeStampsTheFrameworkId) {
  v1::FrameworkID id;
  id.set_value("fw-9");
  v1::Envelope envelope = calls::envelope(heartbeat(), id);
  EXPECT_TRUE(envelope.call().has_heartbeat());
  EXPECT_EQ(envelope.call().framework_id().value(), "fw-9");
  EXPECT_FALSE(calls::envelope(heartbeat(), std::nullopt).call().has_framework_id());
}

TEST(CallsTest, KillCarriesTheGracePeriodOnlyWhenGiven) {
  v1::TaskID task;
  task.set_value("t");
  v1::AgentID agent;
  agent.set_value("a");
  EXPECT_FALSE(kill(task, agent, std::nullopt).kill().has_kill_policy());
  auto withGrace = kill(task, agent, 2.5);
  EXPECT_EQ(withGrace.kill().kill_policy().grace_period_seconds(), 2.5);
  EXPECT_EQ(withGrace.kill().agent_id().value(), "a");
}

TEST(CallsTest, ReconcileListsTasksAndAgents) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value("t");
  status.mutable_agent_id()->set_value("a");
  auto call = reconcile({status});
  ASSERT_EQ(call.reconcile().tasks_size(), 1);
  EXPECT_EQ(call.reconcile().tasks(0).agent_id().value(), "a");
  EXPECT_EQ(reconcile({}).reconcile().tasks_size(), 0);
}

TEST(CallsTest, AcknowledgeCopiesIdsAndUuid) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value("t");
  status.mutable_agent_id()->set_value("a");
  status.set_uuid(std::string("\x01\x00\x02", 3));
  auto call = acknowledge(status);
  EXPECT_EQ(call.acknowledge().uuid(), std::string("\x01\x00\x02", 3));
  EXPECT_EQ(call.acknowledge().task_id().value(), "t");
}

TEST(CallsTest, MalformedEventsAreNamed) {
  Event empty;
  EXPECT_TRUE(invalidEventReason(empty).has_value());

  Event subscribed;
  subscribed.mutable_subscribed();
  EXPECT_TRUE(invalidEventReason(subscribed).has_value());
  subscribed.mutable_subscribed()->mutable_framework_id()->set_value("fw");
  EXPECT_FALSE(invalidEventReason(subscribed).has_value());

  Event offers;
  offers.mutable_offers()->add_offers()->mutable_id()->set_value("o");
  EXPECT_TRUE(invalidEventReason(offers).has_value());  // No agent id.

  Event update;
  update.mutable_update()->mutable_status()->mutable_task_id()->set_value("t");
  update.mutable_update()->mutable_status()->set_uuid("u");
  EXPECT_TRUE(invalidEventReason(update).has_value());  // uuid but no agent.
  update.mutable_update()->mutable_status()->mutable_agent_id()->set_value("a");
  EXPECT_FALSE(invalidEventReason(update).has_value());

  Event heartbeat;
  heartbeat.mutable_heartbeat();
  EXPECT_FALSE(invalidEventReason(heartbeat).has_value());
}

}  // namespace
}  // namespace agora::sdk::calls
