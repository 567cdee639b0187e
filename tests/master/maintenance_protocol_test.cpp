// Maintenance and agent drain against a real master process, with the test speaking the
// agent and scheduler protocols: inverse offers and their answers, machines going down and
// up, DRAIN_AGENT / REACTIVATE_AGENT, and all of it across a master kill -9.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include "common/http/http.hpp"
#include "tests/master/protocol_peer.hpp"
#include "tests/support/cluster.hpp"

namespace agora {
namespace {

using testing::TestCluster;

const char kFlags[] = "--framework_heartbeat_interval=60secs";
const char kSchedule[] = R"({"windows": [{"machine_ids": [{"hostname": "127.0.0.1"}],
    "unavailability": {"start": {"nanoseconds": 4000000000000000000}}}]})";
const char kMachine[] = R"([{"hostname": "127.0.0.1"}])";

bool isOffers(const v1::Envelope& e) {
  return e.event().has_offers() && e.event().offers().offers_size() > 0;
}
bool isInverseOffers(const v1::Envelope& e) {
  return e.event().has_offers() && e.event().offers().inverse_offers_size() > 0;
}

class MaintenanceProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override { startMaster(); }

  void startMaster() {
    cluster_.startMaster({kFlags});
    auto endpoint = discoverMasterEndpoint(*parseHostPort(cluster_.masterAddress()));
    ASSERT_TRUE(endpoint.isOk()) << endpoint.status().message();
    endpoint_ = *endpoint;
  }

  std::string registerAgent(Peer& agent) {
    v1::Envelope envelope;
    fakeAgentInfo(envelope.mutable_agent_call()->mutable_register_()->mutable_info(),
                  "cpus:2;mem:512");
    agent.send(envelope);
    auto reply = agent.next([](const v1::Envelope& e) { return e.agent_event().has_registered(); });
    EXPECT_TRUE(reply.has_value()) << "agent was not registered";
    return reply ? reply->agent_event().registered().agent_id().value() : "";
  }

  void reregister(Peer& agent, const std::string& agentId, const std::string& frameworkId,
                  const std::vector<std::string>& runningTasks) {
    v1::Envelope envelope;
    auto* call = envelope.mutable_agent_call()->mutable_reregister();
    fakeAgentInfo(call->mutable_info(), "cpus:2;mem:512", agentId);
    for (const std::string& id : runningTasks) {
      v1::Task* task = call->add_tasks();
      task->mutable_task_id()->set_value(id);
      task->mutable_framework_id()->set_value(frameworkId);
      task->set_state(v1::TASK_RUNNING);
      Resources::parse("cpus:1;mem:16")->toProto(task->mutable_resources());
    }
    agent.send(envelope);
  }

  std::string subscribe(Peer& framework, const std::string& id = "") {
    v1::Envelope envelope;
    auto* info = envelope.mutable_call()->mutable_subscribe()->mutable_framework_info();
    info->set_name("maintenance-test");
    info->set_failover_timeout(60);
    if (!id.empty()) {
      info->mutable_id()->set_value(id);
    }
    framework.send(envelope);
    auto reply = framework.next([](const v1::Envelope& e) { return e.event().has_subscribed(); });
    EXPECT_TRUE(reply.has_value()) << "framework was not subscribed";
    return reply ? reply->event().subscribed().framework_id().value() : "";
  }

  // Launches task `id` (cpus:1, the given kill grace) and leaves the rest of the offer
  // available to be offered again at once.
  void launch(Peer& agent, Peer& framework, const std::string& frameworkId, const v1::Offer& offer,
              const std::string& id, double grace = 30) {
    v1::Envelope accept;
    accept.mutable_call()->mutable_framework_id()->set_value(frameworkId);
    auto* call = accept.mutable_call()->mutable_accept();
    *call->add_offer_ids() = offer.id();
    call->mutable_filters()->set_refuse_seconds(0);
    v1::TaskInfo* task = call->add_operations()->mutable_launch()->add_task_infos();
    task->set_name(id);
    task->mutable_task_id()->set_value(id);
    task->mutable_command()->set_value("sleep 100");
    task->mutable_kill_policy()->set_grace_period_seconds(grace);
    Resources::parse("cpus:1;mem:16")->toProto(task->mutable_resources());
    framework.send(accept);
    ASSERT_TRUE(agent.next([](const v1::Envelope& e) { return e.agent_event().has_run_task(); }));
  }

  // Registers `agent`, subscribes `framework` and launches task `taskId` on the first offer.
  struct Started {
    std::string agentId;
    std::string frameworkId;
  };
  Started startTask(Peer& agent, Peer& framework, const std::string& taskId, double grace = 30) {
    Started started{registerAgent(agent), subscribe(framework)};
    auto offers = framework.next(isOffers);
    if (!offers.has_value()) {
      ADD_FAILURE() << "no offer to launch " << taskId;
      return started;
    }
    launch(agent, framework, started.frameworkId, offers->event().offers().offers(0), taskId,
           grace);
    return started;
  }

  // The agent reports `state` for the task; the framework gets it and acknowledges when
  // `ack`. Returns the update the framework got.
  v1::TaskStatus report(Peer& agent, Peer& framework, const std::string& agentId,
                        const std::string& frameworkId, const std::string& taskId,
                        v1::TaskState state, const std::string& uuid, bool ack) {
    v1::Envelope update;
    update.mutable_agent_call()->mutable_agent_id()->set_value(agentId);
    auto* su = update.mutable_agent_call()->mutable_status_update();
    su->mutable_framework_id()->set_value(frameworkId);
    su->mutable_status()->mutable_task_id()->set_value(taskId);
    su->mutable_status()->set_state(state);
    su->mutable_status()->set_uuid(uuid);
    agent.send(update);
    auto got = framework.next([&](const v1::Envelope& e) {
      return e.event().has_update() && e.event().update().status().state() == state;
    });
    EXPECT_TRUE(got.has_value()) << "no " << v1::TaskState_Name(state) << " update";
    if (ack) {
      v1::Envelope envelope;
      envelope.mutable_call()->mutable_framework_id()->set_value(frameworkId);
      auto* acknowledge = envelope.mutable_call()->mutable_acknowledge();
      acknowledge->mutable_agent_id()->set_value(agentId);
      acknowledge->mutable_task_id()->set_value(taskId);
      acknowledge->set_uuid(uuid);
      framework.send(envelope);
    }
    return got ? got->event().update().status() : v1::TaskStatus();
  }

  httplib::Result post(const std::string& path, const std::string& body) {
    auto address = *parseHostPort(cluster_.masterAddress());
    httplib::Client http(address.host, address.port);
    return http.Post(path, body, "application/json");
  }

  nlohmann::json get(const std::string& path) {
    auto json = httpGetJson(*parseHostPort(cluster_.masterAddress()), path);
    return json.isOk() ? *json : nlohmann::json();
  }

  nlohmann::json agentJson(const std::string& agentId) {
    nlohmann::json state = cluster_.state();
    for (const auto& slave : state["slaves"]) {
      if (slave["id"] == agentId) {
        return slave;
      }
    }
    return nlohmann::json();
  }

  std::string drainState(const std::string& agentId) {
    nlohmann::json agent = agentJson(agentId);
    return agent.contains("drain_info") ? agent["drain_info"]["state"].get<std::string>() : "";
  }

  TestCluster cluster_;
  zmq::context_t context_;
  std::string endpoint_;
};

TEST_F(MaintenanceProtocolTest, ScheduleSendsInverseOffersAndRecordsTheAnswers) {
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent);
  Peer framework(context_, endpoint_);
  std::string frameworkId = subscribe(framework);
  auto first = framework.next(isOffers);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->event().offers().offers(0).has_unavailability());

  auto bad = post("/maintenance/schedule", R"({"windows": [{"machine_ids": [{}],
      "unavailability": {"start": {"nanoseconds": 1}}}]})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("windows[0].machine_ids[0]"), std::string::npos) << bad->body;
  auto scheduled = post("/maintenance/schedule", kSchedule);
  ASSERT_TRUE(scheduled);
  ASSERT_EQ(scheduled->status, 200) << scheduled->body;
  EXPECT_EQ(get("/maintenance/schedule"), nlohmann::json::parse(kSchedule));

  // The outstanding offer is rescinded and made again with the unavailability; the
  // framework holding it gets an inverse offer for the agent.
  EXPECT_TRUE(framework.next([&](const v1::Envelope& e) {
    return e.event().rescind().offer_id().value() == first->event().offers().offers(0).id().value();
  }));
  auto offer = framework.next(isOffers);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->event().offers().offers(0).unavailability().start().nanoseconds(),
            4000000000000000000);
  auto inverse = framework.next(isInverseOffers);
  ASSERT_TRUE(inverse.has_value());
  const v1::InverseOffer& io = inverse->event().offers().inverse_offers(0);
  EXPECT_EQ(io.agent_id().value(), agentId);
  EXPECT_EQ(io.unavailability().start().nanoseconds(), 4000000000000000000);
  auto status = get("/maintenance/status");
  ASSERT_EQ(status["draining_machines"].size(), 1u) << status.dump();
  EXPECT_EQ(status["draining_machines"][0]["id"]["hostname"], "127.0.0.1");
  ASSERT_EQ(status["draining_machines"][0]["statuses"].size(), 1u) << status.dump();
  EXPECT_EQ(status["draining_machines"][0]["statuses"][0]["status"], "UNKNOWN");
  EXPECT_EQ(status["draining_machines"][0]["statuses"][0]["framework_id"]["value"], frameworkId);

  auto answer = [&](const v1::OfferID& id, bool accept) {
    v1::Envelope envelope;
    envelope.mutable_call()->mutable_framework_id()->set_value(frameworkId);
    auto fill = [&](auto* call) {
      *call->add_inverse_offer_ids() = id;
      call->mutable_filters()->set_refuse_seconds(0);
    };
    if (accept) {
      fill(envelope.mutable_call()->mutable_accept_inverse_offers());
    } else {
      fill(envelope.mutable_call()->mutable_decline_inverse_offers());
    }
    framework.send(envelope);
  };
  auto statusIs = [&](const std::string& expected) {
    return cluster_.waitFor(
        [&] {
          auto s = get("/maintenance/status");
          return !s["draining_machines"].empty() &&
                 !s["draining_machines"][0]["statuses"].empty() &&
                 s["draining_machines"][0]["statuses"][0]["status"] == expected;
        },
        10, "maintenance status " + expected);
  };
  // An unknown inverse offer id is ignored (and changes nothing); the master keeps going.
  v1::OfferID unknown;
  unknown.set_value("Inope");
  answer(unknown, false);
  EXPECT_EQ(get("/maintenance/status")["draining_machines"][0]["statuses"][0]["status"],
            "UNKNOWN");
  answer(io.id(), true);
  EXPECT_TRUE(statusIs("ACCEPT"));
  // With refuse_seconds 0 the next allocation pass asks again; DECLINE is recorded too.
  auto again = framework.next(isInverseOffers);
  ASSERT_TRUE(again.has_value());
  answer(again->event().offers().inverse_offers(0).id(), false);
  EXPECT_TRUE(statusIs("DECLINE"));

  // Clearing the schedule rescinds the outstanding inverse offer.
  auto outstanding = framework.next(isInverseOffers);
  ASSERT_TRUE(outstanding.has_value());
  auto cleared = post("/maintenance/schedule", "{}");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->status, 200) << cleared->body;
  auto rescinded =
      framework.next([](const v1::Envelope& e) { return e.event().has_rescind_inverse_offer(); });
  ASSERT_TRUE(rescinded.has_value());
  EXPECT_EQ(rescinded->event().rescind_inverse_offer().inverse_offer_id().value(),
            outstanding->event().offers().inverse_offers(0).id().value());
  EXPECT_TRUE(get("/maintenance/status")["draining_machines"].empty());
}

TEST_F(MaintenanceProtocolTest, MachineDownLosesTasksAndKeepsTheAgentOutUntilUp) {
  Peer agent(context_, endpoint_);
  Peer framework(context_, endpoint_);
  auto [agentId, frameworkId] = startTask(agent, framework, "t1");

  auto notScheduled = post("/machine/down", kMachine);
  ASSERT_TRUE(notScheduled);
  EXPECT_EQ(notScheduled->status, 400);
  EXPECT_NE(notScheduled->body.find("not in the maintenance schedule"), std::string::npos);
  ASSERT_EQ(post("/maintenance/schedule", kSchedule)->status, 200);
  auto up = post("/machine/up", kMachine);
  EXPECT_EQ(up->status, 400) << "a DRAINING machine cannot go up";
  auto down = post("/machine/down", kMachine);
  ASSERT_TRUE(down);
  ASSERT_EQ(down->status, 200) << down->body;

  auto lost = framework.next([](const v1::Envelope& e) {
    return e.event().has_update() && e.event().update().status().task_id().value() == "t1";
  });
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->event().update().status().state(), v1::TASK_LOST);
  EXPECT_EQ(lost->event().update().status().reason(),
            v1::TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR);
  auto shutdown =
      agent.next([](const v1::Envelope& e) { return e.agent_event().has_shutdown_framework(); });
  ASSERT_TRUE(shutdown.has_value());
  EXPECT_EQ(shutdown->agent_event().shutdown_framework().framework_id().value(), frameworkId);
  auto refusedDown = [](const v1::Envelope& e) {
    return e.agent_event().has_refused() && e.agent_event().refused().machine_down();
  };
  EXPECT_TRUE(agent.next(refusedDown));
  EXPECT_TRUE(agentJson(agentId).is_null());
  EXPECT_EQ(cluster_.state()["slaves"].size(), 0u);
  auto status = get("/maintenance/status");
  ASSERT_EQ(status["down_machines"].size(), 1u) << status.dump();
  EXPECT_TRUE(status["draining_machines"].empty());
  auto removeDown = post("/maintenance/schedule", "{}");
  EXPECT_EQ(removeDown->status, 400);
  EXPECT_NE(removeDown->body.find("DOWN"), std::string::npos) << removeDown->body;

  // The DOWN machine survives a master restart: the agent is still kept out.
  cluster_.stopMaster(SIGKILL);
  startMaster();
  EXPECT_EQ(get("/maintenance/status")["down_machines"].size(), 1u);
  Peer again(context_, endpoint_);
  reregister(again, agentId, frameworkId, {});
  EXPECT_TRUE(again.next(refusedDown));
  v1::Envelope fresh;
  fakeAgentInfo(fresh.mutable_agent_call()->mutable_register_()->mutable_info(), "cpus:1");
  again.send(fresh);
  EXPECT_TRUE(again.next(refusedDown));

  auto machineUp = post("/machine/up", kMachine);
  ASSERT_TRUE(machineUp);
  EXPECT_EQ(machineUp->status, 200) << machineUp->body;
  EXPECT_TRUE(get("/maintenance/schedule")["windows"].empty());
  EXPECT_TRUE(get("/maintenance/status")["down_machines"].empty());
  Peer back(context_, endpoint_);
  EXPECT_FALSE(registerAgent(back).empty());
}

TEST_F(MaintenanceProtocolTest, DrainKillsWithTheCappedGraceAndSurvivesARestart) {
  Peer agent(context_, endpoint_);
  Peer framework(context_, endpoint_);
  auto [agentId, frameworkId] = startTask(agent, framework, "d1");
  auto rest = framework.next(isOffers);  // What the task left is offered again.
  ASSERT_TRUE(rest.has_value());
  report(agent, framework, agentId, frameworkId, "d1", v1::TASK_RUNNING, "u1", true);

  auto unknown = post("/api/v1", R"({"type": "DRAIN_AGENT", "drain_agent":
      {"agent_id": {"value": "Snope"}}})");
  EXPECT_EQ(unknown->status, 404);
  auto unsupported = post("/api/v1", R"({"type": "GET_HEALTH"})");
  EXPECT_EQ(unsupported->status, 400);
  EXPECT_NE(unsupported->body.find("unsupported call type"), std::string::npos);
  auto notDraining = post("/api/v1", R"({"type": "REACTIVATE_AGENT", "reactivate_agent":
      {"agent_id": {"value": ")" + agentId +
                                         R"("}}})");
  EXPECT_EQ(notDraining->status, 409);

  auto drain = post("/api/v1", R"({"type": "DRAIN_AGENT", "drain_agent": {"agent_id":
      {"value": ")" + agentId + R"("}, "max_grace_period": {"nanoseconds": 2000000000}}})");
  ASSERT_TRUE(drain);
  ASSERT_EQ(drain->status, 200) << drain->body;
  EXPECT_TRUE(framework.next([&](const v1::Envelope& e) {
    return e.event().rescind().offer_id().value() == rest->event().offers().offers(0).id().value();
  }));
  auto kill = agent.next([](const v1::Envelope& e) { return e.agent_event().has_kill_task(); });
  ASSERT_TRUE(kill.has_value());
  EXPECT_EQ(kill->agent_event().kill_task().task_id().value(), "d1");
  EXPECT_DOUBLE_EQ(kill->agent_event().kill_task().kill_policy().grace_period_seconds(), 2);
  nlohmann::json json = agentJson(agentId);
  EXPECT_EQ(json["deactivated"], true);
  EXPECT_EQ(json["drain_info"]["state"], "DRAINING");
  EXPECT_EQ(json["drain_info"]["config"]["max_grace_period"]["nanoseconds"], 2000000000);

  // A master restart keeps the drain: the agent re-registers and is told to kill again.
  cluster_.stopMaster(SIGKILL);
  startMaster();
  reregister(agent, agentId, frameworkId, {"d1"});
  auto killAgain =
      agent.next([](const v1::Envelope& e) { return e.agent_event().has_kill_task(); }, 15);
  ASSERT_TRUE(killAgain.has_value());
  EXPECT_DOUBLE_EQ(killAgain->agent_event().kill_task().kill_policy().grace_period_seconds(), 2);
  ASSERT_EQ(subscribe(framework, frameworkId), frameworkId);
  EXPECT_EQ(drainState(agentId), "DRAINING");

  // DRAINED only once the terminal update is acknowledged.
  v1::TaskStatus killed =
      report(agent, framework, agentId, frameworkId, "d1", v1::TASK_KILLED, "u2", false);
  EXPECT_EQ(killed.reason(), v1::TaskStatus::REASON_AGENT_DRAINING);
  EXPECT_EQ(drainState(agentId), "DRAINING");
  v1::Envelope ack;
  ack.mutable_call()->mutable_framework_id()->set_value(frameworkId);
  ack.mutable_call()->mutable_acknowledge()->mutable_agent_id()->set_value(agentId);
  ack.mutable_call()->mutable_acknowledge()->mutable_task_id()->set_value("d1");
  ack.mutable_call()->mutable_acknowledge()->set_uuid("u2");
  framework.send(ack);
  ASSERT_TRUE(cluster_.waitFor([&] { return drainState(agentId) == "DRAINED"; }, 10,
                               "the agent is DRAINED"));

  // No offers from a drained agent: two allocation passes go by without one.
  double runs = get("/metrics/snapshot").value("allocator/allocation_runs", 0.0);
  ASSERT_TRUE(cluster_.waitFor(
      [&] { return get("/metrics/snapshot").value("allocator/allocation_runs", 0.0) >= runs + 2; },
      10, "two allocation passes"));
  EXPECT_FALSE(framework.next(isOffers, 0.1).has_value());

  // DRAINED survives a restart too; REACTIVATE brings the offers back.
  cluster_.stopMaster(SIGKILL);
  startMaster();
  reregister(agent, agentId, frameworkId, {});
  ASSERT_TRUE(
      agent.next([](const v1::Envelope& e) { return e.agent_event().has_reregistered(); }, 15));
  ASSERT_EQ(subscribe(framework, frameworkId), frameworkId);
  EXPECT_EQ(drainState(agentId), "DRAINED");
  EXPECT_EQ(agentJson(agentId)["deactivated"], true);
  auto reactivate = post("/api/v1", R"({"type": "REACTIVATE_AGENT", "reactivate_agent":
      {"agent_id": {"value": ")" + agentId +
                                        R"("}}})");
  ASSERT_TRUE(reactivate);
  EXPECT_EQ(reactivate->status, 200) << reactivate->body;
  auto back = framework.next(isOffers);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->event().offers().offers(0).agent_id().value(), agentId);
  json = agentJson(agentId);
  EXPECT_EQ(json["deactivated"], false);
  EXPECT_FALSE(json.contains("drain_info"));
}

// DEACTIVATE_AGENT stops the offers but leaves the tasks alone; REACTIVATE resumes them.
TEST_F(MaintenanceProtocolTest, DeactivateStopsOffersWithoutKillingTasks) {
  Peer agent(context_, endpoint_);
  Peer framework(context_, endpoint_);
  auto [agentId, frameworkId] = startTask(agent, framework, "keep");
  auto rest = framework.next(isOffers);
  ASSERT_TRUE(rest.has_value());

  auto deactivate = post("/api/v1", R"({"type": "DEACTIVATE_AGENT", "deactivate_agent":
      {"agent_id": {"value": ")" + agentId +
                                        R"("}}})");
  ASSERT_TRUE(deactivate);
  ASSERT_EQ(deactivate->status, 200) << deactivate->body;
  EXPECT_TRUE(framework.next([&](const v1::Envelope& e) {
    return e.event().rescind().offer_id().value() == rest->event().offers().offers(0).id().value();
  }));
  nlohmann::json json = agentJson(agentId);
  EXPECT_EQ(json["deactivated"], true);
  EXPECT_FALSE(json.contains("drain_info"));
  EXPECT_EQ(cluster_.findTask("keep")["state"], "TASK_STAGING");
  double runs = get("/metrics/snapshot").value("allocator/allocation_runs", 0.0);
  ASSERT_TRUE(cluster_.waitFor(
      [&] { return get("/metrics/snapshot").value("allocator/allocation_runs", 0.0) >= runs + 2; },
      10, "two allocation passes"));
  EXPECT_FALSE(framework.next(isOffers, 0.1).has_value());
  EXPECT_FALSE(
      agent.next([](const v1::Envelope& e) { return e.agent_event().has_kill_task(); }, 0.1)
          .has_value());

  auto reactivate = post("/api/v1", R"({"type": "REACTIVATE_AGENT", "reactivate_agent":
      {"agent_id": {"value": ")" + agentId +
                                        R"("}}})");
  ASSERT_TRUE(reactivate);
  EXPECT_EQ(reactivate->status, 200) << reactivate->body;
  EXPECT_TRUE(framework.next(isOffers).has_value());
}

// The v1 operator API's maintenance calls act like the endpoints.
TEST_F(MaintenanceProtocolTest, V1MaintenanceCallsMatchTheEndpoints) {
  auto bad = post("/api/v1", R"({"type": "UPDATE_MAINTENANCE_SCHEDULE",
      "update_maintenance_schedule": {"schedule": {"windows": [{"machine_ids": [{}]}]}}})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("update_maintenance_schedule.schedule.windows[0]"), std::string::npos)
      << bad->body;
  auto update = post("/api/v1", R"({"type": "UPDATE_MAINTENANCE_SCHEDULE",
      "update_maintenance_schedule": {"schedule": )" +
                                    std::string(kSchedule) + "}}");
  ASSERT_TRUE(update);
  ASSERT_EQ(update->status, 200) << update->body;
  auto schedule = post("/api/v1", R"({"type": "GET_MAINTENANCE_SCHEDULE"})");
  ASSERT_TRUE(schedule);
  EXPECT_EQ(nlohmann::json::parse(schedule->body)["get_maintenance_schedule"]["schedule"],
            nlohmann::json::parse(kSchedule));
  auto start = post("/api/v1", R"({"type": "START_MAINTENANCE", "start_maintenance":
      {"machines": )" + std::string(kMachine) +
                                   "}}");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->status, 200) << start->body;
  auto status = post("/api/v1", R"({"type": "GET_MAINTENANCE_STATUS"})");
  ASSERT_TRUE(status);
  EXPECT_EQ(nlohmann::json::parse(status->body)["get_maintenance_status"]["status"]["down_machines"]
                .size(),
            1u)
      << status->body;
  auto stop = post("/api/v1", R"({"type": "STOP_MAINTENANCE", "stop_maintenance":
      {"machines": )" + std::string(kMachine) +
                                  "}}");
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->status, 200) << stop->body;
  EXPECT_TRUE(get("/maintenance/schedule")["windows"].empty());
}

// MARK_AGENT_GONE removes the agent for good: its tasks are lost, it is told to shut down,
// and its id is refused from then on, also by a restarted master. A drain with mark_gone
// ends the same way once the agent is DRAINED.
TEST_F(MaintenanceProtocolTest, GoneAgentsAreRemovedAndRefusedForGood) {
  Peer agent(context_, endpoint_);
  Peer framework(context_, endpoint_);
  auto [agentId, frameworkId] = startTask(agent, framework, "g1");
  report(agent, framework, agentId, frameworkId, "g1", v1::TASK_RUNNING, "u1", true);
  auto isGone = [](const v1::Envelope& e) { return e.agent_event().refused().gone(); };

  auto unknown = post("/api/v1", R"({"type": "MARK_AGENT_GONE", "mark_agent_gone":
      {"agent_id": {"value": "Snope"}}})");
  EXPECT_EQ(unknown->status, 404);
  auto gone = post("/api/v1", R"({"type": "MARK_AGENT_GONE", "mark_agent_gone": {"agent_id":
      {"value": ")" + agentId + R"("}}})");
  ASSERT_TRUE(gone);
  ASSERT_EQ(gone->status, 200) << gone->body;
  auto lost = framework.next([](const v1::Envelope& e) {
    return e.event().has_update() && e.event().update().status().task_id().value() == "g1";
  });
  ASSERT_TRUE(lost.has_value());
  EXPECT_EQ(lost->event().update().status().state(), v1::TASK_LOST);
  EXPECT_EQ(lost->event().update().status().reason(),
            v1::TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR);
  EXPECT_TRUE(agent.next(isGone));
  EXPECT_TRUE(agentJson(agentId).is_null());

  // Drain with mark_gone: an idle agent is DRAINED at once, then gone.
  Peer idle(context_, endpoint_);
  std::string idleId = registerAgent(idle);
  auto drain = post("/api/v1", R"({"type": "DRAIN_AGENT", "drain_agent": {"agent_id":
      {"value": ")" + idleId + R"("}, "mark_gone": true}})");
  ASSERT_EQ(drain->status, 200) << drain->body;
  EXPECT_TRUE(idle.next(isGone));
  EXPECT_TRUE(cluster_.waitFor([&] { return agentJson(idleId).is_null(); }, 10,
                               "the drained agent is removed"));

  // Still refused after a master restart.
  cluster_.stopMaster(SIGKILL);
  startMaster();
  reregister(agent, agentId, frameworkId, {});
  EXPECT_TRUE(agent.next(isGone, 15));
}

}  // namespace
}  // namespace agora
