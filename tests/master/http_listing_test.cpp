// The web UI's endpoints on a real master process: paginated, filtered /tasks (walked over many
// loop turns), /slaves, /frameworks, /offers, /overview; the agent endpoints the master forwards;
// the static files. Fake agents and a fake framework speak the protocol over ZeroMQ; a fake agent's
// HTTP API is a cpp-httplib server in this process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/base/ids.hpp"
#include "common/http/http.hpp"
#include "master/http_listing_query.hpp"
#include "master/http_static.hpp"
#include "tests/master/protocol_peer.hpp"
#include "tests/support/cluster.hpp"

namespace agora {
namespace {

using master::QueryParams;
using testing::TestCluster;

TEST(ListingQueryTest, BadPaginationNamesTheParameter) {
  auto bad = master::parseTaskQuery(QueryParams{{"limit", "-1"}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("'limit'"), std::string::npos);
  bad = master::parseTaskQuery(QueryParams{{"offset", "ten"}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("'offset'"), std::string::npos);
  bad = master::parseTaskQuery(QueryParams{{"state", "TASK_RUNNING,TASK_NAPPING"}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("TASK_NAPPING"), std::string::npos);
  bad = master::parseTaskQuery(QueryParams{{"order", "sideways"}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("'order'"), std::string::npos);
  auto agents = master::parseAgentQuery(QueryParams{{"limit", "1001"}});
  ASSERT_FALSE(agents.isOk());
  EXPECT_NE(agents.status().message().find("at most 1000"), std::string::npos);
  EXPECT_FALSE(master::parseAgentQuery(QueryParams{{"state", "ASLEEP"}}).isOk());
  auto good = master::parseTaskQuery(
      QueryParams{{"state", "TASK_RUNNING,TASK_FAILED"}, {"slave_id", "S1"}, {"search", "Web"}});
  ASSERT_TRUE(good.isOk());
  EXPECT_EQ(good->states.size(), 2u);
  EXPECT_EQ(good->agentId, "S1");
  EXPECT_EQ(good->search, "web");
  EXPECT_EQ(good->page.limit, 100u);
}

TEST(StaticFilesTest, OnlyPlainRelativePathsAreServed) {
  EXPECT_TRUE(master::isSafeRelativePath("js/app.js"));
  EXPECT_TRUE(master::isSafeRelativePath("index.html"));
  for (const char* bad : {"", "/etc/passwd", "../x", "js/../../x", "js/./a.js", ".git/config",
                          "js//a.js", "js/", "a\\b"}) {
    EXPECT_FALSE(master::isSafeRelativePath(bad)) << bad;
  }
  EXPECT_FALSE(master::isSafeRelativePath(std::string("a\0b", 3)));
  EXPECT_EQ(master::contentTypeFor("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(master::contentTypeFor("x.unknown"), "application/octet-stream");
}

class HttpListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    webui_ = cluster_.dir() + "/webui";
    std::filesystem::create_directories(webui_ + "/js");
    std::ofstream(webui_ + "/index.html")
        << "<!doctype html><title>Agora</title>" + std::string(2000, ' ');
    std::ofstream(webui_ + "/js/app.js") << "export const x = 1;\n";
    std::ofstream(cluster_.dir() + "/secret.txt") << "classified-42";
    std::filesystem::create_symlink(cluster_.dir() + "/secret.txt", webui_ + "/js/leak.txt");
    // The fake peers do not heartbeat: long intervals. The smallest state step makes the /tasks
    // walk take many loop turns.
    cluster_.startMaster({"--framework_heartbeat_interval=60secs", "--agent_ping_timeout=60secs",
                          "--state_step=0ms", "--webui_dir=" + webui_});
    auto endpoint = discoverMasterEndpoint(*parseHostPort(cluster_.masterAddress()));
    ASSERT_TRUE(endpoint.isOk()) << endpoint.status().message();
    endpoint_ = *endpoint;
  }

  std::string registerAgent(Peer& agent, const std::string& resources, int httpPort = 1) {
    v1::Envelope envelope;
    auto* info = envelope.mutable_agent_call()->mutable_register_()->mutable_info();
    fakeAgentInfo(info, resources);
    info->set_port(httpPort);
    auto* attribute = info->add_attributes();
    attribute->set_name("rack");
    attribute->set_type(v1::Value::TEXT);
    attribute->mutable_text()->set_value("r" + std::to_string(++agents_));
    agent.send(envelope);
    auto reply = agent.next([](const v1::Envelope& e) { return e.agent_event().has_registered(); });
    EXPECT_TRUE(reply.has_value()) << "agent was not registered";
    return reply ? reply->agent_event().registered().agent_id().value() : "";
  }

  // Subscribes a framework and launches `count` tasks "t0".."t<count-1>" (or with another `prefix`)
  // on its first offer.
  std::pair<std::string, std::string> launchTasks(Peer& framework, int count,
                                                  const std::string& prefix = "t") {
    v1::Envelope subscribe;
    subscribe.mutable_call()->mutable_subscribe()->mutable_framework_info()->set_name("lister");
    framework.send(subscribe);
    auto subscribed =
        framework.next([](const v1::Envelope& e) { return e.event().has_subscribed(); });
    EXPECT_TRUE(subscribed.has_value());
    std::string frameworkId = subscribed->event().subscribed().framework_id().value();
    auto offers = framework.next([](const v1::Envelope& e) { return e.event().has_offers(); });
    EXPECT_TRUE(offers.has_value());
    const v1::Offer& offer = offers->event().offers().offers(0);
    v1::Envelope accept;
    accept.mutable_call()->mutable_framework_id()->set_value(frameworkId);
    *accept.mutable_call()->mutable_accept()->add_offer_ids() = offer.id();
    auto* launch = accept.mutable_call()->mutable_accept()->add_operations()->mutable_launch();
    for (int i = 0; i < count; ++i) {
      v1::TaskInfo* task = launch->add_task_infos();
      task->set_name(prefix + std::to_string(i));
      task->mutable_task_id()->set_value(prefix + std::to_string(i));
      task->mutable_command()->set_value("true");
      Resources::parse("cpus:0.01;mem:1")->toProto(task->mutable_resources());
    }
    framework.send(accept);
    return {frameworkId, offer.agent_id().value()};
  }

  nlohmann::json get(const std::string& path) {
    auto reply = httpGetJson(*parseHostPort(cluster_.masterAddress()), path);
    EXPECT_TRUE(reply.isOk()) << path << ": " << reply.status().message();
    return reply.isOk() ? *reply : nlohmann::json();
  }

  // The status code and body of GET `path`, with `headers`.
  httplib::Result raw(const std::string& path, const httplib::Headers& headers = {}) {
    auto address = *parseHostPort(cluster_.masterAddress());
    httplib::Client client(address.host, address.port);
    client.set_decompress(false);
    return client.Get(path, headers);
  }

  std::set<std::string> ids(const nlohmann::json& tasks) {
    std::set<std::string> out;
    for (const auto& task : tasks) out.insert(task["id"].get<std::string>());
    return out;
  }

  TestCluster cluster_;
  zmq::context_t context_;
  std::string endpoint_;
  std::string webui_;
  int agents_ = 0;
};

// Pages of /tasks cover every task exactly once (across frameworks: unfiltered, the pages skip
// whole frameworks); filters and the per-state counts are computed on the master; `order=des` is
// the reverse of `asc`.
TEST_F(HttpListingTest, TasksArePaginatedAndFilteredOnTheMaster) {
  Peer agent(context_, endpoint_);
  registerAgent(agent, "cpus:100;mem:100000");
  Peer framework(context_, endpoint_);
  constexpr int kTasks = 300;
  auto [frameworkId, agentId] = launchTasks(framework, kTasks);
  Peer other(context_, endpoint_);
  auto [otherId, otherAgentId] = launchTasks(other, 50, "u");
  constexpr int kAll = kTasks + 50;
  ASSERT_TRUE(cluster_.waitFor([&] { return get("/tasks?limit=0")["total"] == kAll; }, 20,
                               "the master lists all tasks"));
  std::set<std::string> seen;
  std::vector<std::string> ascending;
  for (int offset = 0; offset < kAll; offset += 70) {
    auto page = get("/tasks?limit=70&offset=" + std::to_string(offset));
    EXPECT_EQ(page["total"], kAll);
    EXPECT_EQ(page["tasks"].size(), std::min(70, kAll - offset));
    for (const auto& task : page["tasks"]) {
      std::string key =
          task["framework_id"].get<std::string>() + "/" + task["id"].get<std::string>();
      EXPECT_TRUE(seen.insert(key).second) << "listed twice: " << key;
      ascending.push_back(task["id"]);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kAll));
  auto last = get("/tasks?order=des&limit=5");
  ASSERT_EQ(last["tasks"].size(), 5u);
  EXPECT_EQ(last["tasks"][0]["id"], ascending.back());
  EXPECT_EQ(last["tasks"][4]["id"], ascending[kAll - 5]);
  auto skipped = get("/tasks?order=des&limit=2&offset=" + std::to_string(kAll - 2));
  ASSERT_EQ(skipped["tasks"].size(), 2u);
  EXPECT_EQ(skipped["tasks"][1]["id"], ascending.front());
  EXPECT_EQ(get("/tasks?limit=0")["states"]["TASK_STAGING"], kAll);
  auto others = get("/tasks?framework_id=" + otherId + "&limit=1000");
  EXPECT_EQ(others["total"], 50);
  for (const auto& task : others["tasks"]) EXPECT_EQ(task["framework_id"], otherId);

  // "t1", "t10".."t19" and "t100".."t199".
  auto named = get("/tasks?name=T1&limit=1000");
  EXPECT_EQ(named["total"], 111);
  EXPECT_EQ(named["tasks"].size(), 111u);
  auto running = get("/tasks?state=TASK_RUNNING");
  EXPECT_EQ(running["total"], 0);
  // Counted apart from the state filter.
  EXPECT_EQ(running["states"]["TASK_STAGING"], kAll);
  EXPECT_EQ(get("/tasks?state=TASK_STAGING,TASK_RUNNING&limit=0")["total"], kAll);
  EXPECT_EQ(get("/tasks?agent_id=" + agentId + "&limit=0")["total"], kAll);
  EXPECT_EQ(get("/tasks?slave_id=nobody&limit=0")["total"], 0);
  EXPECT_EQ(get("/tasks?framework_id=" + frameworkId + "&task_id=t42")["tasks"][0]["name"], "t42");
  EXPECT_EQ(get("/tasks?search=t29&limit=0")["total"], 11);  // t29, t290..t299

  auto bad = raw("/tasks?limit=many");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("'limit'"), std::string::npos);
  bad = raw("/tasks?state=RUNNING");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("'state'"), std::string::npos);
}

TEST_F(HttpListingTest, AgentsFrameworksOffersAndOverviewArePaged) {
  std::vector<std::unique_ptr<Peer>> agents;
  std::vector<std::string> agentIds;
  for (int i = 0; i < 3; ++i) {
    agents.push_back(std::make_unique<Peer>(context_, endpoint_));
    agentIds.push_back(registerAgent(*agents.back(), "cpus:2;mem:1024"));
  }
  auto page = get("/slaves?limit=2");
  EXPECT_EQ(page["total"], 3);
  EXPECT_EQ(page["slaves"].size(), 2u);
  EXPECT_EQ(get("/slaves?limit=2&offset=2")["slaves"].size(), 1u);
  auto one = get("/slaves?slave_id=" + agentIds[1]);
  ASSERT_EQ(one["slaves"].size(), 1u);
  EXPECT_EQ(one["slaves"][0]["id"], agentIds[1]);
  EXPECT_EQ(one["slaves"][0]["attributes"]["rack"], "r2");
  EXPECT_EQ(get("/slaves?search=RACK:R3")["total"], 1);
  EXPECT_EQ(get("/slaves?state=UNREACHABLE")["total"], 0);
  auto bad = raw("/slaves?offset=-2");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("'offset'"), std::string::npos);

  Peer framework(context_, endpoint_);
  auto [frameworkId, agentId] = launchTasks(framework, 2);
  ASSERT_TRUE(cluster_.waitFor([&] { return get("/tasks?limit=0")["total"] == 2; }, 20,
                               "two tasks are listed"));
  auto frameworks = get("/frameworks");
  ASSERT_EQ(frameworks["frameworks"].size(), 1u);
  EXPECT_EQ(frameworks["frameworks"][0]["task_count"], 2);
  EXPECT_NEAR(frameworks["frameworks"][0]["used_resources"]["cpus"].get<double>(), 0.02, 1e-9);
  EXPECT_FALSE(frameworks["frameworks"][0].contains("pending_reason"));  // Only when asked for one.
  auto detailed = get("/frameworks?framework_id=" + frameworkId);
  EXPECT_TRUE(detailed["frameworks"][0].contains("pending_reason"));
  EXPECT_EQ(get("/frameworks?search=nobody")["total"], 0);
  // Its other offers stay outstanding (the fake framework never answers them).
  auto offers = get("/offers?framework_id=" + frameworkId);
  EXPECT_GE(offers["total"].get<int>(), 1);
  for (const auto& offer : offers["offers"]) EXPECT_EQ(offer["framework_id"], frameworkId);
  EXPECT_EQ(get("/offers?framework_id=nobody")["total"], 0);

  auto overview = get("/overview");
  EXPECT_DOUBLE_EQ(overview["resources"]["cpus"]["total"].get<double>(), 6);
  EXPECT_NEAR(overview["resources"]["cpus"]["used"].get<double>(), 0.02, 1e-9);
  EXPECT_EQ(overview["agents"]["REGISTERED"], 3);
  EXPECT_EQ(overview["frameworks"]["connected"], 1);
  EXPECT_EQ(overview["active_tasks"]["TASK_STAGING"], 2);
}

// The master forwards a few read-only agent endpoints, with their query parameters, and answers as
// the agent does; unknown agents and endpoints are 404.
TEST_F(HttpListingTest, AgentEndpointsAreForwarded) {
  httplib::Server fakeAgent;
  fakeAgent.Get("/files/read", [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("path") == "/missing") {
      replyError(res, 404, "no such file '/missing'");
      return;
    }
    replyJson(res, 200,
              {{"data",
                "path=" + req.get_param_value("path") + " offset=" + req.get_param_value("offset")},
               {"offset", 0}});
  });
  int port = fakeAgent.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { fakeAgent.listen_after_bind(); });
  Peer agent(context_, endpoint_);
  std::string agentId = registerAgent(agent, "cpus:1;mem:128", port);

  auto read = get("/agents/" + agentId + "/files/read?path=/sand%20box/std%26out&offset=7");
  EXPECT_EQ(read["data"], "path=/sand box/std&out offset=7");
  auto missing = raw("/agents/" + agentId + "/files/read?path=/missing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("/missing"), std::string::npos);
  auto unknownAgent = raw("/agents/S-nobody/files/read?path=/x");
  ASSERT_TRUE(unknownAgent);
  EXPECT_EQ(unknownAgent->status, 404);
  EXPECT_NE(unknownAgent->body.find("unknown agent 'S-nobody'"), std::string::npos);
  auto notForwarded = raw("/agents/" + agentId + "/flags");
  ASSERT_TRUE(notForwarded);
  EXPECT_EQ(notForwarded->status, 404);
  fakeAgent.stop();
  serving.join();
  auto gone = raw("/agents/" + agentId + "/state");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 502);
}

TEST_F(HttpListingTest, StaticFilesAreServedWithCachingAndGzip) {
  auto index = raw("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index->get_header_value("Cache-Control"), "no-cache");
  std::string etag = index->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  auto again = raw("/webui/index.html", {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto gzipped = raw("/webui/index.html", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(gzipped);
  EXPECT_EQ(gzipped->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(gzipped->body.size(), 1000u);  // 2 KB of mostly spaces.
  auto script = raw("/webui/js/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->body, "export const x = 1;\n");

  EXPECT_EQ(raw("/webui/js/missing.js")->status, 404);
  EXPECT_EQ(raw("/webui/js/leak.txt")->status,
            403);  // A symlink out of the directory.
  EXPECT_EQ(raw("/webui/.hidden")->status, 400);
  for (const char* traversal : {"/webui/%2e%2e/secret.txt", "/webui/js/%2E%2E/%2E%2E/secret.txt",
                                "/webui/..%2Fsecret.txt"}) {
    auto reply = raw(traversal);
    ASSERT_TRUE(reply);
    EXPECT_NE(reply->status, 200) << traversal;
    EXPECT_EQ(reply->body.find("classified-42"), std::string::npos) << traversal;
  }
}

}  // namespace
}  // namespace agora
