// /state over the real master process, written in many small steps (StateAssembly).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "common/http/http.hpp"
#include "common/resources/resources.hpp"
#include "tests/master/protocol_peer.hpp"
#include "tests/support/cluster.hpp"

namespace agora {
namespace {

using testing::TestCluster;

// /state is written over many loop turns at scale (StateAssembly). With the smallest step
// every agent and task still shows exactly once, with the framework's used resources
// summed over all of them.
TEST(MasterStateTest, StateWrittenInManyStepsListsEveryAgentAndTaskOnce) {
  TestCluster cluster;
  cluster.startMaster({"--framework_heartbeat_interval=60secs", "--state_step=0ms"});
  auto endpoint = discoverMasterEndpoint(*parseHostPort(cluster.masterAddress()));
  ASSERT_TRUE(endpoint.isOk()) << endpoint.status().message();
  zmq::context_t context;
  std::vector<std::unique_ptr<Peer>> agents;
  for (int i = 0; i < 40; ++i) {
    agents.push_back(std::make_unique<Peer>(context, *endpoint));
    v1::Envelope envelope;
    fakeAgentInfo(envelope.mutable_agent_call()->mutable_register_()->mutable_info(),
                  "cpus:100;mem:100000");
    agents.back()->send(envelope);
  }
  ASSERT_TRUE(cluster.waitForAgents(40));
  Peer framework(context, *endpoint);
  v1::Envelope subscribe;
  subscribe.mutable_call()->mutable_subscribe()->mutable_framework_info()->set_name("many");
  framework.send(subscribe);
  auto subscribed =
      framework.next([](const v1::Envelope& e) { return e.event().has_subscribed(); });
  ASSERT_TRUE(subscribed.has_value());
  std::string frameworkId = subscribed->event().subscribed().framework_id().value();
  auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(offers.has_value());
  const v1::Offer& offer = offers->event().offers().offers(0);
  v1::Envelope accept;
  accept.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  *accept.mutable_call()->mutable_accept()->add_offer_ids() = offer.id();
  auto* launch = accept.mutable_call()->mutable_accept()->add_operations()->mutable_launch();
  constexpr int kTasks = 300;
  for (int i = 0; i < kTasks; ++i) {
    v1::TaskInfo* task = launch->add_task_infos();
    task->set_name("t" + std::to_string(i));
    task->mutable_task_id()->set_value("t" + std::to_string(i));
    task->mutable_command()->set_value("true");
    Resources::parse("cpus:0.25;mem:10")->toProto(task->mutable_resources());
  }
  framework.send(accept);
  nlohmann::json state;
  for (int attempt = 0; attempt < 200; ++attempt) {
    state = cluster.state();
    if (!state.is_null() && state["frameworks"].size() == 1 &&
        state["frameworks"][0]["tasks"].size() == kTasks) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(state["slaves"].size(), 40u);
  std::set<std::string> agentIds;
  for (const auto& agent : state["slaves"]) agentIds.insert(agent["id"].get<std::string>());
  EXPECT_EQ(agentIds.size(), 40u);
  ASSERT_EQ(state["frameworks"].size(), 1u);
  const auto& tasks = state["frameworks"][0]["tasks"];
  ASSERT_EQ(tasks.size(), static_cast<size_t>(kTasks));
  std::set<std::string> taskIds;
  for (const auto& task : tasks) {
    taskIds.insert(task["id"].get<std::string>());
    EXPECT_EQ(task["state"], "TASK_STAGING");
    EXPECT_EQ(task["slave_id"], offer.agent_id().value());
  }
  EXPECT_EQ(taskIds.size(), static_cast<size_t>(kTasks));
  EXPECT_DOUBLE_EQ(state["frameworks"][0]["used_resources"]["cpus"].get<double>(), kTasks * 0.25);
  EXPECT_EQ(state["activated_slaves"], 40);

  // The master keeps each task's text from one /state to the next: a change shows at once.
  Peer* agent = nullptr;
  for (auto& peer : agents) {
    auto registered =
        peer->next([](const v1::Envelope& e) { return e.agent_event().has_registered(); });
    if (registered &&
        registered->agent_event().registered().agent_id().value() == offer.agent_id().value()) {
      agent = peer.get();
    }
  }
  ASSERT_NE(agent, nullptr);
  v1::Envelope update;
  update.mutable_agent_call()->mutable_agent_id()->set_value(offer.agent_id().value());
  auto* su = update.mutable_agent_call()->mutable_status_update();
  su->mutable_framework_id()->set_value(frameworkId);
  su->mutable_status()->mutable_task_id()->set_value("t7");
  su->mutable_status()->set_state(v1::TASK_RUNNING);
  su->mutable_status()->set_uuid("u7");
  agent->send(update);
  ASSERT_TRUE(framework
                  .next([](const v1::Envelope& e) {
                    return e.event().has_update() &&
                           e.event().update().status().state() == v1::TASK_RUNNING;
                  })
                  .has_value());
  state = cluster.state();
  ASSERT_EQ(state["frameworks"][0]["tasks"].size(), static_cast<size_t>(kTasks));
  for (const auto& task : state["frameworks"][0]["tasks"]) {
    EXPECT_EQ(task["state"], task["id"] == "t7" ? "TASK_RUNNING" : "TASK_STAGING");
    EXPECT_EQ(task["statuses"].size(), task["id"] == "t7" ? 2u : 1u);
  }
}

}  // namespace
}  // namespace agora
