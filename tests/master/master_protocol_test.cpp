// The master process over its real ZeroMQ socket, with the test speaking the agent and
// scheduler protocols itself: registration, heartbeats, the offer cycle, ACCEPT validation,
// and malformed input (which must be dropped and counted, never crash the master).
#include <gtest/gtest.h>

#include <signal.h>

#include "common/base/ids.hpp"
#include "common/http/http.hpp"
#include <httplib.h>
#include "common/resources/resources.hpp"
#include "common/transport/sockets.hpp"
#include "tests/master/protocol_peer.hpp"
#include "tests/support/cluster.hpp"

namespace agora {
namespace {

using testing::TestCluster;

class MasterProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test's fake framework does not heartbeat: give it a long interval.
    cluster_.startMaster({"--framework_heartbeat_interval=60secs"});
    auto endpoint = discoverMasterEndpoint(*parseHostPort(cluster_.masterAddress()));
    ASSERT_TRUE(endpoint.isOk()) << endpoint.status().message();
    endpoint_ = *endpoint;
  }

  // Registers a fake agent and returns its id.
  std::string registerAgent(Peer& agent, const std::string& resources) {
    v1::Envelope envelope;
    fakeAgentInfo(envelope.mutable_agent_call()->mutable_register_()->mutable_info(), resources);
    agent.send(envelope);
    auto reply = agent.next([](const v1::Envelope& e) { return e.agent_event().has_registered(); });
    EXPECT_TRUE(reply.has_value()) << "agent was not registered";
    return reply ? reply->agent_event().registered().agent_id().value() : "";
  }

  std::string subscribe(Peer& framework, const std::string& name, double failoverTimeout = 0) {
    v1::Envelope envelope;
    auto* info = envelope.mutable_call()->mutable_subscribe()->mutable_framework_info();
    info->set_name(name);
    info->set_failover_timeout(failoverTimeout);
    framework.send(envelope);
    auto reply = framework.next([](const v1::Envelope& e) { return e.event().has_subscribed(); });
    EXPECT_TRUE(reply.has_value()) << "framework was not subscribed";
    return reply ? reply->event().subscribed().framework_id().value() : "";
  }

  double metric(const std::string& key) {
    auto snapshot = httpGetJson(*parseHostPort(cluster_.masterAddress()), "/metrics/snapshot");
    return snapshot.isOk() ? snapshot->value(key, 0.0) : -1;
  }

  TestCluster cluster_;
  zmq::context_t context_;
  std::string endpoint_;
};

TEST_F(MasterProtocolTest, AgentRegistrationIsPersistedAndOffered) {
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent, "cpus:2;mem:512");
  ASSERT_FALSE(agentId.empty());
  EXPECT_TRUE(cluster_.waitForAgents(1));

  Peer framework(context_, endpoint_);
  std::string frameworkId = subscribe(framework, "test");
  auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(offers.has_value());
  ASSERT_EQ(offers->event().offers().offers_size(), 1);
  const v1::Offer& offer = offers->event().offers().offers(0);
  EXPECT_EQ(offer.agent_id().value(), agentId);
  EXPECT_DOUBLE_EQ(Resources::fromProto(offer.resources())->scalar("cpus"), 2);

  // Accept with one valid task and one that asks for too much.
  v1::Envelope accept;
  accept.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  auto* call = accept.mutable_call()->mutable_accept();
  *call->add_offer_ids() = offer.id();
  auto* launch = call->add_operations()->mutable_launch();
  for (const auto& [id, res] : {std::pair{"ok", "cpus:1;mem:128"}, {"big", "cpus:5;mem:1"}}) {
    v1::TaskInfo* task = launch->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    task->mutable_command()->set_value("true");
    Resources::parse(res)->toProto(task->mutable_resources());
  }
  framework.send(accept);
  auto run = agent.next([](const v1::Envelope& e) { return e.agent_event().has_run_task(); });
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->agent_event().run_task().task().task_id().value(), "ok");
  auto error = framework.next([](const v1::Envelope& e) {
    return e.event().has_update() && e.event().update().status().state() == v1::TASK_ERROR;
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->event().update().status().task_id().value(), "big");
  EXPECT_NE(error->event().update().status().message().find("more than"), std::string::npos);

  // The agent reports RUNNING; the framework gets it with the uuid and acknowledges.
  v1::Envelope update;
  update.mutable_agent_call()->mutable_agent_id()->set_value(agentId);
  auto* su = update.mutable_agent_call()->mutable_status_update();
  su->mutable_framework_id()->set_value(frameworkId);
  su->mutable_status()->mutable_task_id()->set_value("ok");
  su->mutable_status()->set_state(v1::TASK_RUNNING);
  su->mutable_status()->set_uuid("u1");
  agent.send(update);
  auto running = framework.next([](const v1::Envelope& e) {
    return e.event().has_update() && e.event().update().status().state() == v1::TASK_RUNNING;
  });
  ASSERT_TRUE(running.has_value());
  v1::Envelope ack;
  ack.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  ack.mutable_call()->mutable_acknowledge()->mutable_agent_id()->set_value(agentId);
  ack.mutable_call()->mutable_acknowledge()->mutable_task_id()->set_value("ok");
  ack.mutable_call()->mutable_acknowledge()->set_uuid("u1");
  framework.send(ack);
  auto forwarded =
      agent.next([](const v1::Envelope& e) { return e.agent_event().has_status_update_ack(); });
  ASSERT_TRUE(forwarded.has_value());
  EXPECT_EQ(forwarded->agent_event().status_update_ack().uuid(), "u1");
  EXPECT_EQ(cluster_.findTask("ok")["state"], "TASK_RUNNING");
}

TEST_F(MasterProtocolTest, SilentAgentBecomesUnreachableAndOffersAreRescinded) {
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent, "cpus:1;mem:128");
  Peer framework(context_, endpoint_);
  subscribe(framework, "test");
  auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(offers.has_value());
  // The fake agent never heartbeats: within ~2s it is unreachable and the offer rescinded.
  auto rescind = framework.next([](const v1::Envelope& e) { return e.event().has_rescind(); }, 15);
  ASSERT_TRUE(rescind.has_value());
  EXPECT_EQ(rescind->event().rescind().offer_id().value(),
            offers->event().offers().offers(0).id().value());
  EXPECT_TRUE(cluster_.waitFor([&] { return cluster_.state()["unreachable_slaves"] == 1; }, 10,
                               "the agent is unreachable"));
  // Any call from the old connection now asks it to re-register.
  v1::Envelope heartbeat;
  heartbeat.mutable_agent_call()->mutable_agent_id()->set_value(agentId);
  heartbeat.mutable_agent_call()->mutable_heartbeat();
  agent.send(heartbeat);
  EXPECT_TRUE(agent.next([](const v1::Envelope& e) {
    return e.agent_event().has_reregister_request();
  }));
}

TEST(MasterOfferTimeoutTest, UnansweredOfferIsRescindedAndReoffered) {
  TestCluster cluster;
  cluster.startMaster({"--framework_heartbeat_interval=60secs", "--offer_timeout=0.3secs"});
  zmq::context_t context;
  auto endpoint = discoverMasterEndpoint(*parseHostPort(cluster.masterAddress()));
  ASSERT_TRUE(endpoint.isOk());
  Peer agent(context, *endpoint);
  v1::Envelope registration;
  fakeAgentInfo(registration.mutable_agent_call()->mutable_register_()->mutable_info(),
                "cpus:1;mem:64");
  agent.send(registration);
  ASSERT_TRUE(agent.next([](const v1::Envelope& e) { return e.agent_event().has_registered(); }));
  Peer framework(context, *endpoint);
  v1::Envelope subscribe;
  subscribe.mutable_call()->mutable_subscribe()->mutable_framework_info()->set_name("slow");
  framework.send(subscribe);
  auto first = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(first.has_value());
  auto rescind = framework.next([](const v1::Envelope& e) { return e.event().has_rescind(); });
  ASSERT_TRUE(rescind.has_value());
  EXPECT_EQ(rescind->event().rescind().offer_id().value(),
            first->event().offers().offers(0).id().value());
  // The resources come back in a new offer.
  auto second = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->event().offers().offers(0).id().value(),
            first->event().offers().offers(0).id().value());
}

// Launches task `id` on the agent through `framework` and returns once the agent has it.
static void launch(Peer& agent, Peer& framework, const std::string& frameworkId,
                   const v1::Offer& offer, const std::string& id) {
  v1::Envelope accept;
  accept.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  auto* call = accept.mutable_call()->mutable_accept();
  *call->add_offer_ids() = offer.id();
  v1::TaskInfo* task = call->add_operations()->mutable_launch()->add_task_infos();
  task->set_name(id);
  task->mutable_task_id()->set_value(id);
  task->mutable_command()->set_value("sleep 100");
  Resources::parse("cpus:0.5;mem:16")->toProto(task->mutable_resources());
  framework.send(accept);
  ASSERT_TRUE(agent.next([](const v1::Envelope& e) { return e.agent_event().has_run_task(); }));
}

TEST_F(MasterProtocolTest, AcceptListingAnOfferTwiceIsRefusedNotFatal) {
  Peer agent(context_, endpoint_);
  registerAgent(agent, "cpus:1;mem:128");
  Peer framework(context_, endpoint_);
  std::string frameworkId = subscribe(framework, "twice");
  auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(offers.has_value());
  v1::Envelope accept;
  accept.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  auto* call = accept.mutable_call()->mutable_accept();
  *call->add_offer_ids() = offers->event().offers().offers(0).id();
  *call->add_offer_ids() = offers->event().offers().offers(0).id();
  v1::TaskInfo* task = call->add_operations()->mutable_launch()->add_task_infos();
  task->mutable_task_id()->set_value("t");
  task->mutable_command()->set_value("true");
  Resources::parse("cpus:1")->toProto(task->mutable_resources());
  framework.send(accept);
  auto lost = framework.next([](const v1::Envelope& e) { return e.event().has_update(); });
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->event().update().status().state(), v1::TASK_LOST);
  EXPECT_NE(lost->event().update().status().message().find("twice"), std::string::npos);
  EXPECT_FALSE(cluster_.state().is_null());
}

TEST_F(MasterProtocolTest, KillWhileTheAgentIsAwayIsSentWhenItReregisters) {
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent, "cpus:1;mem:128");
  Peer framework(context_, endpoint_);
  std::string frameworkId = subscribe(framework, "patient", 60);
  auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(offers.has_value());
  launch(agent, framework, frameworkId, offers->event().offers().offers(0), "k1");
  // The fake agent never heartbeats: it becomes unreachable.
  ASSERT_TRUE(cluster_.waitFor([&] { return cluster_.state()["unreachable_slaves"] == 1; }, 15,
                               "the agent is unreachable"));
  v1::Envelope kill;
  kill.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  kill.mutable_call()->mutable_kill()->mutable_task_id()->set_value("k1");
  framework.send(kill);
  v1::Envelope reregister;
  auto* info = reregister.mutable_agent_call()->mutable_reregister()->mutable_info();
  fakeAgentInfo(info, "cpus:1;mem:128", agentId);
  v1::Task* task = reregister.mutable_agent_call()->mutable_reregister()->add_tasks();
  task->mutable_task_id()->set_value("k1");
  task->mutable_framework_id()->set_value(frameworkId);
  task->set_state(v1::TASK_RUNNING);
  agent.send(reregister);
  auto killed = agent.next([](const v1::Envelope& e) { return e.agent_event().has_kill_task(); });
  ASSERT_TRUE(killed.has_value());
  EXPECT_EQ(killed->agent_event().kill_task().task_id().value(), "k1");
}

// The operator API for roles: weights and quota are validated, enforced in offers, shown
// in /roles, and survive a master kill -9.
TEST_F(MasterProtocolTest, WeightsAndQuotaAreValidatedEnforcedAndDurable) {
  auto address = *parseHostPort(cluster_.masterAddress());
  httplib::Client http(address.host, address.port);
  auto put = http.Put("/weights", R"([{"role": "eng", "weight": 3}])", "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 200) << put->body;
  auto bad = http.Put("/weights", R"([{"role": "eng", "weight": -3}])", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("weight"), std::string::npos);

  Peer agent(context_, endpoint_);
  registerAgent(agent, "cpus:4;mem:1024");
  auto overcommit = http.Post("/quota", R"({"role": "eng", "guarantees": {"cpus": 9}})",
                              "application/json");
  ASSERT_TRUE(overcommit);
  EXPECT_EQ(overcommit->status, 400);
  EXPECT_NE(overcommit->body.find("cpus"), std::string::npos) << overcommit->body;
  auto quota = http.Post("/quota", R"({"role": "eng", "limits": {"cpus": 1}})",
                         "application/json");
  ASSERT_TRUE(quota);
  EXPECT_EQ(quota->status, 200) << quota->body;

  // A framework in role eng is offered at most its limit.
  Peer framework(context_, endpoint_);
  v1::Envelope subscribe;
  auto* info = subscribe.mutable_call()->mutable_subscribe()->mutable_framework_info();
  info->set_name("limited");
  info->set_role("eng");
  framework.send(subscribe);
  auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(offers.has_value());
  EXPECT_DOUBLE_EQ(Resources::fromProto(offers->event().offers().offers(0).resources())
                       ->scalar("cpus"),
                   1);
  auto roles = httpGetJson(address, "/roles");
  ASSERT_TRUE(roles.isOk());
  bool found = false;
  for (const auto& role : (*roles)["roles"]) {
    if (role["name"] == "eng") {
      found = true;
      EXPECT_DOUBLE_EQ(role["weight"].get<double>(), 3);
      EXPECT_DOUBLE_EQ(role["quota"]["limit"]["cpus"].get<double>(), 1);
      EXPECT_DOUBLE_EQ(role["offered"]["cpus"].get<double>(), 1);
    }
  }
  EXPECT_TRUE(found) << roles->dump();

  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster({"--framework_heartbeat_interval=60secs"});
  auto weights = httpGetJson(address, "/weights");
  ASSERT_TRUE(weights.isOk());
  EXPECT_EQ((*weights)[0]["role"], "eng");
  auto quotas = httpGetJson(address, "/quota");
  ASSERT_TRUE(quotas.isOk());
  ASSERT_EQ((*quotas)["infos"].size(), 1u) << quotas->dump();
  auto removed = http.Delete("/quota/eng");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200);
  EXPECT_TRUE((*httpGetJson(address, "/quota"))["infos"].empty());
}

// Operator reservations: only the role gets them, over-reserving is a conflict, bad input is
// a 400, and they survive a master kill -9.
TEST_F(MasterProtocolTest, DynamicReservationsByTheOperator) {
  auto address = *parseHostPort(cluster_.masterAddress());
  httplib::Client http(address.host, address.port);
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent, "cpus:4;mem:1024");
  const std::string two =
      R"([{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2},
          "reservations": [{"type": "DYNAMIC", "role": "eng"}]}])";
  httplib::Params params{{"slaveId", agentId}, {"resources", two}};
  auto reserved = http.Post("/reserve", params);
  ASSERT_TRUE(reserved);
  EXPECT_EQ(reserved->status, 202) << reserved->body;
  auto conflict = http.Post("/reserve", httplib::Params{{"slaveId", agentId}, {"resources",
      R"([{"name": "cpus", "scalar": {"value": 3}, "role": "eng"}])"}});
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->status, 409) << conflict->body;
  auto bad = http.Post("/reserve", httplib::Params{{"slaveId", agentId}, {"resources", "[{}]"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto unknown = http.Post("/reserve", httplib::Params{{"slaveId", "Snope"}, {"resources", two}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);

  // A framework in another role is offered only the unreserved 2 cpus.
  Peer framework(context_, endpoint_);
  v1::Envelope subscribe;
  subscribe.mutable_call()->mutable_subscribe()->mutable_framework_info()->set_name("other");
  framework.send(subscribe);
  auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(offers.has_value());
  EXPECT_DOUBLE_EQ(
      Resources::fromProto(offers->event().offers().offers(0).resources())->scalar("cpus"), 2);

  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster({"--framework_heartbeat_interval=60secs"});
  v1::Envelope reregister;
  fakeAgentInfo(reregister.mutable_agent_call()->mutable_reregister()->mutable_info(),
                "cpus:4;mem:1024", agentId);
  agent.send(reregister);
  ASSERT_TRUE(agent.next([](const v1::Envelope& e) { return e.agent_event().has_reregistered(); },
                         15));
  ASSERT_TRUE(cluster_.waitForAgents(1));
  nlohmann::json state = cluster_.state();
  EXPECT_DOUBLE_EQ(state["slaves"][0]["reserved_resources"]["eng"]["cpus"].get<double>(), 2)
      << state["slaves"][0].dump();
  auto unreserved = http.Post("/unreserve", httplib::Params{{"slaveId", agentId}, {"resources", two}});
  ASSERT_TRUE(unreserved);
  EXPECT_EQ(unreserved->status, 202) << unreserved->body;
  state = cluster_.state();
  EXPECT_TRUE(state["slaves"][0]["reserved_resources"].empty());
}

// A framework reserves part of an offer for its role and launches a task on the reserved
// resources in the same ACCEPT.
TEST_F(MasterProtocolTest, FrameworkReservesInAnAcceptAndLaunchesOnTheReservation) {
  Peer agent(context_, endpoint_);
  registerAgent(agent, "cpus:4;mem:1024");
  Peer framework(context_, endpoint_);
  v1::Envelope subscribe;
  auto* info = subscribe.mutable_call()->mutable_subscribe()->mutable_framework_info();
  info->set_name("reserver");
  info->set_role("eng");
  framework.send(subscribe);
  auto subscribed = framework.next([](const v1::Envelope& e) { return e.event().has_subscribed(); });
  ASSERT_TRUE(subscribed.has_value());
  std::string frameworkId = subscribed->event().subscribed().framework_id().value();
  auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
  ASSERT_TRUE(offers.has_value());

  v1::Envelope accept;
  accept.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  auto* call = accept.mutable_call()->mutable_accept();
  *call->add_offer_ids() = offers->event().offers().offers(0).id();
  call->mutable_filters()->set_refuse_seconds(0);  // Re-offer the rest at once.
  Resources::parse("cpus(eng):2;mem(eng):256")
      ->toProto(call->add_operations()->mutable_reserve()->mutable_resources());
  v1::TaskInfo* task = call->add_operations()->mutable_launch()->add_task_infos();
  task->set_name("on-reserved");
  task->mutable_task_id()->set_value("on-reserved");
  task->mutable_command()->set_value("sleep 100");
  Resources::parse("cpus(eng):1;mem(eng):128")->toProto(task->mutable_resources());
  framework.send(accept);
  auto run = agent.next([](const v1::Envelope& e) { return e.agent_event().has_run_task(); });
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->agent_event().run_task().task().task_id().value(), "on-reserved");
  nlohmann::json state = cluster_.state();
  EXPECT_DOUBLE_EQ(state["slaves"][0]["reserved_resources"]["eng"]["cpus"].get<double>(), 2)
      << state["slaves"][0].dump();
  EXPECT_DOUBLE_EQ(state["slaves"][0]["resources"]["cpus"].get<double>(), 4);

  // Reserving for another role is refused and changes nothing.
  auto again = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); }, 5);
  ASSERT_TRUE(again.has_value());
  v1::Envelope wrongRole;
  wrongRole.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  auto* bad = wrongRole.mutable_call()->mutable_accept();
  *bad->add_offer_ids() = again->event().offers().offers(0).id();
  Resources::parse("cpus(ops):1")->toProto(bad->add_operations()->mutable_reserve()->mutable_resources());
  framework.send(wrongRole);
  EXPECT_TRUE(cluster_.waitFor(
      [&] {
        auto snapshot = httpGetJson(*parseHostPort(cluster_.masterAddress()), "/metrics/snapshot");
        return snapshot.isOk() && snapshot->value("master/invalid_operations", 0.0) >= 1;
      },
      10, "the bad RESERVE is counted"));
  state = cluster_.state();
  EXPECT_FALSE(state["slaves"][0]["reserved_resources"].contains("ops"));
}

TEST_F(MasterProtocolTest, MalformedInputIsDroppedAndCounted) {
  zmq::socket_t raw(context_, zmq::socket_type::dealer);
  raw.connect(endpoint_);
  raw.send(zmq::str_buffer("no empty frame"), zmq::send_flags::none);
  raw.send(zmq::message_t(), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("\xff\xfe garbage protobuf"), zmq::send_flags::none);
  raw.send(zmq::message_t(), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("\x08\x09"), zmq::send_flags::none);  // Wrong version.
  EXPECT_TRUE(cluster_.waitFor([&] { return metric("master/invalid_messages") >= 3; }, 10,
                               "three malformed messages are counted"));
  // Calls from an unsubscribed connection get an ERROR asking to subscribe.
  Peer stranger(context_, endpoint_);
  v1::Envelope kill;
  kill.mutable_call()->mutable_framework_id()->set_value("nope");
  kill.mutable_call()->mutable_kill()->mutable_task_id()->set_value("t");
  stranger.send(kill);
  auto error = stranger.next([](const v1::Envelope& e) { return e.event().has_error(); });
  ASSERT_TRUE(error.has_value());
  EXPECT_TRUE(error->event().error().resubscribe());
  // An invalid SUBSCRIBE is refused with the reason.
  v1::Envelope subscribe;
  subscribe.mutable_call()->mutable_subscribe()->mutable_framework_info()->set_name("");
  stranger.send(subscribe);
  error = stranger.next([](const v1::Envelope& e) { return e.event().has_error(); });
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->event().error().message().find("name"), std::string::npos);
  // Bad HTTP gets a 4xx with a JSON message; the master is still healthy.
  auto bad = httpGet(*parseHostPort(cluster_.masterAddress()), "/tasks?limit=-3");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("400"), std::string::npos);
  EXPECT_FALSE(cluster_.state().is_null());
}

TEST_F(MasterProtocolTest, RegistryRecoversAgentsAndFrameworksAfterKill9) {
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent, "cpus:1;mem:128");
  Peer framework(context_, endpoint_);
  std::string frameworkId = subscribe(framework, "durable", 60);
  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster({"--framework_heartbeat_interval=60secs"});
  // The same ZeroMQ port is reused and the agent's and framework's connections come back by
  // themselves: the new master asks both back without waiting for either to say anything
  // (heartbeats are a minute apart here).
  EXPECT_TRUE(agent.next(
      [](const v1::Envelope& e) { return e.agent_event().has_reregister_request(); }, 15));
  auto askedBack = framework.next(
      [](const v1::Envelope& e) {
        return e.event().has_error() && e.event().error().resubscribe();
      },
      15);
  ASSERT_TRUE(askedBack.has_value());
  EXPECT_NE(askedBack->event().error().message().find(frameworkId), std::string::npos);
  // The agent re-registers with its id and is accepted.
  v1::Envelope reregister;
  auto* info = reregister.mutable_agent_call()->mutable_reregister()->mutable_info();
  fakeAgentInfo(info, "cpus:1;mem:128", agentId);
  agent.send(reregister);
  EXPECT_TRUE(agent.next([](const v1::Envelope& e) { return e.agent_event().has_reregistered(); },
                         15));
  v1::Envelope resubscribe;
  auto* fw = resubscribe.mutable_call()->mutable_subscribe()->mutable_framework_info();
  fw->set_name("durable");
  fw->set_failover_timeout(60);
  fw->mutable_id()->set_value(frameworkId);
  framework.send(resubscribe);
  auto subscribed =
      framework.next([](const v1::Envelope& e) { return e.event().has_subscribed(); }, 15);
  ASSERT_TRUE(subscribed.has_value());
  EXPECT_EQ(subscribed->event().subscribed().framework_id().value(), frameworkId);
  // An agent id the registry never admitted is refused.
  Peer impostor(context_, endpoint_);
  info->mutable_id()->set_value("Snope");
  impostor.send(reregister);
  EXPECT_TRUE(impostor.next([](const v1::Envelope& e) { return e.agent_event().has_refused(); }));

  // The scheduler fails over to a new connection: the registry learns it, and the next
  // restarted master asks that one back.
  Peer successor(context_, endpoint_);
  successor.send(resubscribe);
  ASSERT_TRUE(successor.next([](const v1::Envelope& e) { return e.event().has_subscribed(); }, 15));
  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster({"--framework_heartbeat_interval=60secs"});
  EXPECT_TRUE(successor.next(
      [](const v1::Envelope& e) {
        return e.event().has_error() && e.event().error().resubscribe();
      },
      15));
}

// Persistent volumes. The fake agents here never heartbeat, so the master is started with
// a long agent timeout: these tests take several offer cycles.
class MasterVolumesTest : public MasterProtocolTest {
 protected:
  using Operation = v1::scheduler::Call::Operation;

  void SetUp() override { startMaster(); }
  void startMaster() {
    cluster_.startMaster({"--framework_heartbeat_interval=60secs", "--max_agent_ping_timeouts=120"});
    auto endpoint = discoverMasterEndpoint(*parseHostPort(cluster_.masterAddress()));
    ASSERT_TRUE(endpoint.isOk()) << endpoint.status().message();
    endpoint_ = *endpoint;
  }

  std::string subscribeIn(Peer& framework, const std::string& role) {
    v1::Envelope envelope;
    auto* info = envelope.mutable_call()->mutable_subscribe()->mutable_framework_info();
    info->set_name("volumes");
    info->set_role(role);
    framework.send(envelope);
    auto reply = framework.next([](const v1::Envelope& e) { return e.event().has_subscribed(); });
    EXPECT_TRUE(reply.has_value()) << "framework was not subscribed";
    return reply ? reply->event().subscribed().framework_id().value() : "";
  }

  // The next offer whose resources satisfy `wanted`; other offers are declined (an agent's
  // free resources go to one offer at a time).
  std::optional<v1::Offer> offerWhere(Peer& framework, const std::string& frameworkId,
                                      const std::function<bool(const Resources&)>& wanted) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); }, 2);
      if (!offers) {
        continue;
      }
      for (const v1::Offer& offer : offers->event().offers().offers()) {
        if (wanted(*Resources::fromProto(offer.resources()))) {
          return offer;
        }
        v1::Envelope decline;
        decline.mutable_call()->mutable_framework_id()->set_value(frameworkId);
        *decline.mutable_call()->mutable_decline()->add_offer_ids() = offer.id();
        decline.mutable_call()->mutable_decline()->mutable_filters()->set_refuse_seconds(0);
        framework.send(decline);
      }
    }
    ADD_FAILURE() << "no offer with the wanted resources";
    return std::nullopt;
  }

  void accept(Peer& framework, const std::string& frameworkId, const v1::Offer& offer,
              const std::vector<Operation>& operations) {
    v1::Envelope envelope;
    envelope.mutable_call()->mutable_framework_id()->set_value(frameworkId);
    auto* call = envelope.mutable_call()->mutable_accept();
    *call->add_offer_ids() = offer.id();
    call->mutable_filters()->set_refuse_seconds(0);
    for (const Operation& op : operations) {
      *call->add_operations() = op;
    }
    framework.send(envelope);
  }

  static Operation create(const std::string& volumes) {
    Operation op;
    Resources::parse(volumes)->toProto(op.mutable_create()->mutable_volumes());
    return op;
  }
  static Operation destroy(const std::string& volumes) {
    Operation op;
    Resources::parse(volumes)->toProto(op.mutable_destroy()->mutable_volumes());
    return op;
  }
  static Operation launch(const std::string& taskId, const std::string& resources) {
    Operation op;
    v1::TaskInfo* task = op.mutable_launch()->add_task_infos();
    task->set_name(taskId);
    task->mutable_task_id()->set_value(taskId);
    task->mutable_command()->set_value("true");
    Resources::parse(resources)->toProto(task->mutable_resources());
    return op;
  }

  // The next `CheckpointResources` the agent gets, as `Resources`.
  std::optional<Resources> checkpointed(Peer& agent) {
    auto event = agent.next([](const v1::Envelope& e) {
      return e.agent_event().has_checkpoint_resources();
    });
    if (!event) {
      return std::nullopt;
    }
    auto resources = Resources::fromProto(event->agent_event().checkpoint_resources().resources());
    return resources.isOk() ? std::optional<Resources>(*resources) : std::nullopt;
  }

  bool invalidOperationsReach(double count) {
    return cluster_.waitFor([&] { return metric("master/invalid_operations") >= count; }, 10,
                            "invalid operations are counted");
  }

  // The persistence ids shown in /state for the agent's role.
  std::vector<std::string> volumesInState(const std::string& role) {
    std::vector<std::string> ids;
    nlohmann::json state = cluster_.state();
    for (const auto& resource : state["slaves"][0]["reserved_resources_full"].value(
             role, nlohmann::json::array())) {
      if (resource.contains("disk")) {
        ids.push_back(resource["disk"]["persistence"]["id"]);
      }
    }
    return ids;
  }
};

// CREATE in an ACCEPT turns offered reserved disk into a volume that comes back in the next
// offer; invalid CREATEs change nothing; a volume in use by a task can be destroyed neither
// by the framework nor by the operator; once the task ends the volume is offered again and
// DESTROY gives the disk back as reserved disk.
TEST_F(MasterVolumesTest, FrameworkCreatesUsesAndDestroysAVolume) {
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent, "cpus:4;mem:1024;disk(eng):1024");
  auto initial = checkpointed(agent);
  ASSERT_TRUE(initial.has_value());
  EXPECT_TRUE(initial->empty());
  Peer framework(context_, endpoint_);
  std::string frameworkId = subscribeIn(framework, "eng");
  auto plainDisk = [](const Resources& r) {
    return r.reservedTo("eng") == *Resources::parse("disk(eng):1024");
  };
  auto offer = offerWhere(framework, frameworkId, plainDisk);
  ASSERT_TRUE(offer.has_value());

  // More disk than offered, an absolute path, another role: each refused, nothing changes.
  double invalid = metric("master/invalid_operations");
  accept(framework, frameworkId, *offer,
         {create("disk(eng)[big:data]:2048"), create("disk(eng)[abs:/data]:64"),
          create("disk(ops)[other:data]:64")});
  ASSERT_TRUE(invalidOperationsReach(invalid + 3));
  EXPECT_TRUE(volumesInState("eng").empty());
  offer = offerWhere(framework, frameworkId, plainDisk);
  ASSERT_TRUE(offer.has_value());

  // A valid CREATE; the same persistence id again is refused.
  accept(framework, frameworkId, *offer,
         {create("disk(eng)[v1:data]:64"), create("disk(eng)[v1:other]:32")});
  auto created = checkpointed(agent);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(*created, *Resources::parse("disk(eng)[v1:data]:64"));
  ASSERT_TRUE(invalidOperationsReach(invalid + 4));
  const Resources withVolume = *Resources::parse("disk(eng):960;disk(eng)[v1:data]:64");
  offer = offerWhere(framework, frameworkId,
                     [&](const Resources& r) { return r.reservedTo("eng") == withVolume; });
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(volumesInState("eng"), std::vector<std::string>{"v1"});

  // A task uses the volume: it is offered to nobody and cannot be destroyed meanwhile.
  accept(framework, frameworkId, *offer,
         {launch("writer", "cpus:1;mem:128;disk(eng)[v1:data]:64")});
  auto run = agent.next([](const v1::Envelope& e) { return e.agent_event().has_run_task(); });
  ASSERT_TRUE(run.has_value());
  offer = offerWhere(framework, frameworkId, [](const Resources& r) { return true; });
  ASSERT_TRUE(offer.has_value());
  EXPECT_FALSE(Resources::fromProto(offer->resources())->hasVolume("eng", "v1"));
  accept(framework, frameworkId, *offer, {destroy("disk(eng)[v1:data]:64")});
  ASSERT_TRUE(invalidOperationsReach(invalid + 5));
  auto address = *parseHostPort(cluster_.masterAddress());
  httplib::Client http(address.host, address.port);
  const std::string v1Json = R"([{"name": "disk", "type": "SCALAR", "scalar": {"value": 64},
      "role": "eng", "disk": {"persistence": {"id": "v1"}, "volume": {"container_path": "data",
      "mode": "RW"}}}])";
  auto inUse = http.Post("/destroy-volumes", httplib::Params{{"slaveId", agentId},
                                                             {"volumes", v1Json}});
  ASSERT_TRUE(inUse);
  EXPECT_EQ(inUse->status, 409) << inUse->body;
  EXPECT_NE(inUse->body.find("in use"), std::string::npos) << inUse->body;
  EXPECT_EQ(volumesInState("eng"), std::vector<std::string>{"v1"});

  // The task ends: the volume is offered to the role again; DESTROY returns the disk.
  v1::Envelope update;
  update.mutable_agent_call()->mutable_agent_id()->set_value(agentId);
  auto* su = update.mutable_agent_call()->mutable_status_update();
  su->mutable_framework_id()->set_value(frameworkId);
  su->mutable_status()->mutable_task_id()->set_value("writer");
  su->mutable_status()->set_state(v1::TASK_FINISHED);
  su->mutable_status()->set_uuid("u1");
  agent.send(update);
  offer = offerWhere(framework, frameworkId,
                     [&](const Resources& r) { return r.reservedTo("eng") == withVolume; });
  ASSERT_TRUE(offer.has_value());
  accept(framework, frameworkId, *offer, {destroy("disk(eng)[v1:data]:64")});
  auto destroyed = checkpointed(agent);
  ASSERT_TRUE(destroyed.has_value());
  EXPECT_TRUE(destroyed->empty());
  offer = offerWhere(framework, frameworkId, plainDisk);
  ASSERT_TRUE(offer.has_value());
  EXPECT_TRUE(volumesInState("eng").empty());
}

// The operator creates and destroys volumes on reserved disk (Mesos' endpoints and codes);
// bad input is a 400 naming the field, and the volumes survive a master kill -9.
TEST_F(MasterVolumesTest, OperatorVolumesAreValidatedAndDurable) {
  auto address = *parseHostPort(cluster_.masterAddress());
  httplib::Client http(address.host, address.port);
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent, "cpus:2;mem:256;disk:1024");
  ASSERT_TRUE(checkpointed(agent).has_value());
  auto reserved = http.Post("/reserve", httplib::Params{{"slaveId", agentId}, {"resources",
      R"([{"name": "disk", "type": "SCALAR", "scalar": {"value": 512}, "role": "eng"}])"}});
  ASSERT_TRUE(reserved);
  ASSERT_EQ(reserved->status, 202) << reserved->body;
  auto volume = [](const std::string& id, const std::string& path, double size) {
    return R"([{"name": "disk", "type": "SCALAR", "scalar": {"value": )" + std::to_string(size) +
           R"(}, "reservations": [{"type": "DYNAMIC", "role": "eng"}], "disk": {"persistence":
           {"id": ")" + id + R"(", "principal": "ops"}, "volume": {"container_path": ")" + path +
           R"(", "mode": "RW"}}}])";
  };
  auto post = [&](const std::string& path, const std::string& slave, const std::string& body) {
    auto res = http.Post(path, httplib::Params{{"slaveId", slave}, {"volumes", body}});
    EXPECT_TRUE(res);
    return res ? std::make_pair(res->status, res->body) : std::make_pair(0, std::string());
  };
  auto [status, body] = post("/create-volumes", "", volume("v1", "data", 64));
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("slaveId"), std::string::npos) << body;
  std::tie(status, body) = post("/create-volumes", agentId, "not json");
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("volumes"), std::string::npos) << body;
  std::tie(status, body) = post("/create-volumes", agentId, volume("v1", "/abs", 64));
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("container_path"), std::string::npos) << body;
  std::tie(status, body) = post("/create-volumes", "Snope", volume("v1", "data", 64));
  EXPECT_EQ(status, 404) << body;
  std::tie(status, body) = post("/create-volumes", agentId, volume("v1", "data", 1000));
  EXPECT_EQ(status, 409) << body;
  EXPECT_TRUE(volumesInState("eng").empty());

  std::tie(status, body) = post("/create-volumes", agentId, volume("v1", "data", 64));
  ASSERT_EQ(status, 202) << body;
  auto created = checkpointed(agent);
  ASSERT_TRUE(created.has_value());
  EXPECT_TRUE(created->hasVolume("eng", "v1"));
  std::tie(status, body) = post("/create-volumes", agentId, volume("v1", "other", 32));
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("already used"), std::string::npos) << body;
  EXPECT_EQ(volumesInState("eng"), std::vector<std::string>{"v1"});

  // After a kill -9 the registry still has the volume, and the agent is told again.
  cluster_.stopMaster(SIGKILL);
  startMaster();
  v1::Envelope reregister;
  fakeAgentInfo(reregister.mutable_agent_call()->mutable_reregister()->mutable_info(),
                "cpus:2;mem:256;disk:1024", agentId);
  agent.send(reregister);
  auto recovered = checkpointed(agent);
  ASSERT_TRUE(recovered.has_value());
  EXPECT_TRUE(recovered->hasVolume("eng", "v1"));
  ASSERT_TRUE(cluster_.waitForAgents(1));
  EXPECT_EQ(volumesInState("eng"), std::vector<std::string>{"v1"});
  nlohmann::json state = cluster_.state();
  EXPECT_DOUBLE_EQ(state["slaves"][0]["resources"]["disk"].get<double>(), 1024);
  EXPECT_DOUBLE_EQ(state["slaves"][0]["reserved_resources"]["eng"]["disk"].get<double>(), 512);

  std::tie(status, body) = post("/destroy-volumes", agentId, volume("v1", "data", 64));
  ASSERT_EQ(status, 202) << body;
  auto destroyed = checkpointed(agent);
  ASSERT_TRUE(destroyed.has_value());
  EXPECT_TRUE(destroyed->empty());
  EXPECT_TRUE(volumesInState("eng").empty());
  std::tie(status, body) = post("/destroy-volumes", agentId, volume("v1", "data", 64));
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("does not exist"), std::string::npos) << body;
}

}  // namespace
}  // namespace agora
