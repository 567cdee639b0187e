// agora-services as a real process against a real master and agent: the REST API drives
// real tasks (create, scale down, delete), bad definitions change nothing, and a restarted
// agora-services keeps its apps and its tasks without launching duplicates.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

using nlohmann::json;

struct HttpReply {
  int status = 0;  // 0 when unreachable.
  json body;
};

class ServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.start(1);
    port_ = freePort();
    startServices();
  }

  void startServices() {
    services_ = Process::spawn(
        {binDir() + "/agora-services", "--master=" + cluster_.masterAddress(),
         "--http_port=" + std::to_string(port_), "--work_dir=" + cluster_.dir() + "/services"},
        cluster_.dir() + "/services.log");
    ASSERT_TRUE(cluster_.waitFor([&] { return call("GET", "/ping").status == 200; }, 30,
                                 "agora-services answers /ping"));
  }

  void stopServices() {
    services_->signal(SIGTERM);
    ASSERT_TRUE(services_->waitFor(30).has_value()) << "agora-services did not exit";
  }

  HttpReply call(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(2);
    client.set_read_timeout(10);
    httplib::Result result = method == "GET"     ? client.Get(path)
                             : method == "POST"  ? client.Post(path, body, "application/json")
                             : method == "PUT"   ? client.Put(path, body, "application/json")
                             : method == "PATCH" ? client.Patch(path, body, "application/json")
                                                 : client.Delete(path);
    if (!result) {
      return {};
    }
    json parsed = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
    return {result->status, parsed.is_discarded() ? json(result->body) : parsed};
  }

  // Ids of the master's tasks of `prefix` in `state` (active or completed).
  std::vector<std::string> masterTasks(const std::string& prefix, const std::string& state = "") {
    std::vector<std::string> ids;
    json tasks = cluster_.tasks();
    if (tasks.is_null()) {
      return ids;
    }
    for (const json& task : tasks["tasks"]) {
      std::string id = task.value("id", "");
      if (id.rfind(prefix, 0) == 0 && (state.empty() || task.value("state", "") == state)) {
        ids.push_back(id);
      }
    }
    return ids;
  }

  // Whether the master has agora-services' framework suppressed (null when not found).
  json suppressed() {
    std::string id = call("GET", "/v2/info").body.value("frameworkId", "");
    json state = cluster_.state();
    for (const json& framework : state.is_null() ? json::array() : state["frameworks"]) {
      if (framework.value("id", "") == id) {
        return framework.value("suppressed", json());
      }
    }
    return nullptr;
  }

  int appCount(const std::string& appPath, const char* field) {
    HttpReply reply = call("GET", "/v2/apps" + appPath);
    return reply.status == 200 ? reply.body["app"].value(field, -1) : -1;
  }

  TestCluster cluster_;
  int port_ = 0;
  std::unique_ptr<Process> services_;
};

const char* kWeb = R"({"id": "/shop/web", "cmd": "env > env.txt; sleep 1000", "instances": 2,
                       "cpus": 0.1, "mem": 32, "portDefinitions": [{"port": 0}]})";

TEST_F(ServicesTest, AppsRunScaleDeleteAndSurviveARestart) {
  HttpReply created = call("POST", "/v2/apps", kWeb);
  ASSERT_EQ(created.status, 201) << created.body.dump();
  EXPECT_EQ(created.body["id"], "/shop/web");
  std::string version = created.body.value("version", "");
  EXPECT_FALSE(version.empty());

  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 2; },
                               60, "two tasks of /shop/web RUNNING on the master"));
  ASSERT_TRUE(cluster_.waitFor([&] { return appCount("/shop/web", "tasksRunning") == 2; }, 30,
                               "GET /v2/apps/shop/web shows tasksRunning 2"));
  // Marathon's environment reaches the task.
  std::string taskId = masterTasks("shop_web.", "TASK_RUNNING")[0];
  std::string env;
  ASSERT_TRUE(
      cluster_.waitFor([&] { return !(env = cluster_.sandboxFile(0, taskId, "env.txt")).empty(); },
                       30, "the task wrote env.txt"));
  EXPECT_NE(env.find("MARATHON_APP_ID=/shop/web"), std::string::npos) << env;
  EXPECT_NE(env.find("MARATHON_APP_VERSION=" + version), std::string::npos) << env;
  EXPECT_NE(env.find("MESOS_TASK_ID=" + taskId), std::string::npos) << env;
  EXPECT_NE(env.find("PORT0=310"), std::string::npos) << env;

  // A second create of the same id, and bad definitions, change nothing.
  EXPECT_EQ(call("POST", "/v2/apps", kWeb).status, 409);
  HttpReply invalid =
      call("POST", "/v2/apps", R"({"id": "/bad", "cmd": "x", "cpus": -1, "env": {"A": 1}})");
  ASSERT_EQ(invalid.status, 422) << invalid.body.dump();
  EXPECT_EQ(invalid.body["message"], "Object is not valid");
  EXPECT_EQ(invalid.body["details"],
            json::parse(R"([{"path": "/cpus", "errors": ["got -1.0, expected 0.0 or more"]},
                            {"path": "/env/A", "errors": ["error.expected.jsstring"]}])"));
  HttpReply badPut = call("PUT", "/v2/apps/shop/web", R"({"cmd": "x", "instances": -1})");
  EXPECT_EQ(badPut.status, 422) << badPut.body.dump();
  EXPECT_EQ(call("POST", "/v2/apps", "{not json").status, 400);
  HttpReply list = call("GET", "/v2/apps");
  ASSERT_EQ(list.body["apps"].size(), 1u) << list.body.dump();
  EXPECT_EQ(list.body["apps"][0]["instances"], 2);
  EXPECT_EQ(call("GET", "/v2/apps/bad").status, 404);

  // Restart: the app is still there, the tasks are reconciled, and nothing is relaunched.
  std::string frameworkId = call("GET", "/v2/info").body.value("frameworkId", "");
  ASSERT_FALSE(frameworkId.empty());
  stopServices();
  startServices();
  EXPECT_EQ(call("GET", "/v2/apps/shop/web").body["app"].value("version", ""), version);
  ASSERT_TRUE(cluster_.waitFor([&] { return appCount("/shop/web", "tasksRunning") == 2; }, 30,
                               "the restarted agora-services sees its two tasks RUNNING"));
  EXPECT_EQ(call("GET", "/v2/info").body.value("frameworkId", ""), frameworkId);
  // A new app launching proves offers flow again; a duplicate of /shop/web would have
  // been launched from the same offers.
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "probe", "cmd": "sleep 1000", "cpus": 0.1,
                                        "mem": 16})")
                .status,
            201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("probe.", "TASK_RUNNING").size() == 1; },
                               60, "the probe app runs after the restart"));
  EXPECT_EQ(masterTasks("shop_web.").size(), 2u) << cluster_.tasks().dump();

  // Scale down to one (a partial update, as `curl -X PUT -d '{"instances": 1}'` does
  // against Marathon), then delete.
  HttpReply scaled = call("PUT", "/v2/apps/shop/web", R"({"instances": 1})");
  ASSERT_EQ(scaled.status, 200) << scaled.body.dump();
  EXPECT_FALSE(scaled.body.value("deploymentId", "").empty());
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 1; },
                               60, "one task of /shop/web left RUNNING"));
  ASSERT_TRUE(cluster_.waitFor([&] { return appCount("/shop/web", "tasksRunning") == 1; }, 30,
                               "GET shows tasksRunning 1"));
  EXPECT_EQ(call("GET", "/v2/apps/shop/web").body["app"]["tasks"].size(), 1u);

  ASSERT_EQ(call("DELETE", "/v2/apps/shop/web").status, 200);
  EXPECT_EQ(call("GET", "/v2/apps/shop/web").status, 404);
  EXPECT_EQ(call("DELETE", "/v2/apps/shop/web").status, 404);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").empty(); }, 60,
                               "no task of /shop/web left RUNNING"));
  EXPECT_EQ(masterTasks("shop_web.").size(), 2u) << "no replacement was launched";
}

// Killed with SIGKILL right after the launch: the task records written before the launch
// let the next agora-services reconcile instead of launching again.
TEST_F(ServicesTest, CrashRightAfterLaunchingLaunchesNoDuplicate) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.").size() == 2; }, 60,
                               "the master knows two tasks of /shop/web"));
  services_->signal(SIGKILL);
  ASSERT_TRUE(services_->waitFor(30).has_value());
  startServices();
  ASSERT_TRUE(cluster_.waitFor([&] { return appCount("/shop/web", "tasksRunning") == 2; }, 30,
                               "the restarted agora-services sees two tasks RUNNING"));
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "probe", "cmd": "sleep 1000", "cpus": 0.1,
                                        "mem": 16})")
                .status,
            201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("probe.", "TASK_RUNNING").size() == 1; },
                               60, "the probe app runs after the restart"));
  EXPECT_EQ(masterTasks("shop_web.").size(), 2u) << cluster_.tasks().dump();
}

// The master restarts (state from its registry and the re-registering agent): the running
// tasks are neither lost nor duplicated, and scaling still works.
TEST_F(ServicesTest, MasterRestartKeepsTasksWithoutDuplicates) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 2; },
                               60, "two tasks of /shop/web RUNNING"));
  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster();
  ASSERT_TRUE(cluster_.waitForAgents(1));
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 2; },
                               60, "the two tasks back on the restarted master"));
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "probe", "cmd": "sleep 1000", "cpus": 0.1,
                                        "mem": 16})")
                .status,
            201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("probe.", "TASK_RUNNING").size() == 1; },
                               60, "the probe app runs after the master restart"));
  EXPECT_EQ(masterTasks("shop_web.").size(), 2u) << cluster_.tasks().dump();
  EXPECT_EQ(appCount("/shop/web", "tasksRunning"), 2);
}

// Changing the command replaces every task, new ones first: the RUNNING count, sampled
// all along, never drops below the instance count (Marathon's default upgrade strategy).
// Scaling alone replaces nothing.
TEST_F(ServicesTest, ConfigChangeReplacesTasksWithoutLosingCapacity) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 2; },
                               60, "two tasks of /shop/web RUNNING"));
  std::vector<std::string> old = masterTasks("shop_web.", "TASK_RUNNING");
  HttpReply changed = call("PUT", "/v2/apps/shop/web", R"({"cmd": "sleep 1001"})");
  ASSERT_EQ(changed.status, 200) << changed.body.dump();
  size_t lowest = 2;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        std::vector<std::string> running = masterTasks("shop_web.", "TASK_RUNNING");
        lowest = std::min(lowest, running.size());
        for (const std::string& id : running) {
          if (std::find(old.begin(), old.end(), id) != old.end()) {
            return false;
          }
        }
        return running.size() == 2;
      },
      60, "both tasks replaced by tasks of the new command"));
  EXPECT_EQ(lowest, 2u) << "capacity dropped during the upgrade";
  EXPECT_EQ(masterTasks("shop_web.").size(), 4u);
  json app = call("GET", "/v2/apps/shop/web").body["app"];
  EXPECT_EQ(app["versionInfo"]["lastConfigChangeAt"], app["version"]);

  ASSERT_EQ(call("PUT", "/v2/apps/shop/web", R"({"instances": 3})").status, 200);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 3; },
                               60, "scaled to three"));
  EXPECT_EQ(masterTasks("shop_web.").size(), 5u) << "scaling replaced a task";
  app = call("GET", "/v2/apps/shop/web").body["app"];
  EXPECT_NE(app["versionInfo"]["lastConfigChangeAt"], app["version"]);
  EXPECT_EQ(app["versionInfo"]["lastScalingAt"], app["version"]);
  // POST /v2/apps/{id}/restart replaces all three the same way.
  ASSERT_EQ(call("POST", "/v2/apps/shop/web/restart").status, 200);
  EXPECT_EQ(call("POST", "/v2/apps/nope/restart").status, 404);
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        return masterTasks("shop_web.").size() == 8 &&
               masterTasks("shop_web.", "TASK_RUNNING").size() == 3;
      },
      60, "three tasks restarted"));
}

// ["rack", "UNIQUE"] spreads instances over agents with distinct racks: of three wanted,
// two run (one per rack), none on the agent without a rack, and the third waits.
TEST_F(ServicesTest, UniqueConstraintSpreadsInstances) {
  const std::string resources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]";
  cluster_.startAgent(1, resources, {"--attributes=rack:r1"});
  cluster_.startAgent(2, resources, {"--attributes=rack:r2"});
  ASSERT_TRUE(cluster_.waitForAgents(3));
  HttpReply bad = call("POST", "/v2/apps", R"({"id": "spread", "cmd": "sleep 1000",
                                           "constraints": [["rack", "SOMETIMES"]]})");
  ASSERT_EQ(bad.status, 422) << bad.body.dump();
  EXPECT_EQ(bad.body["details"][0]["path"], "/constraints(0)");
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "spread", "cmd": "sleep 1000", "cpus": 0.1,
                                        "mem": 16, "instances": 3,
                                        "constraints": [["rack", "UNIQUE"]]})")
                .status,
            201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("spread.", "TASK_RUNNING").size() == 2; },
                               60, "two instances of /spread RUNNING"));
  // Offers keep flowing (a probe launches), yet the third instance finds no rack.
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "probe", "cmd": "sleep 1000", "cpus": 0.1,
                                        "mem": 16})")
                .status,
            201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("probe.", "TASK_RUNNING").size() == 1; },
                               60, "the probe app runs"));
  EXPECT_EQ(masterTasks("spread.").size(), 2u);
  std::set<std::string> agents;
  HttpReply spread = call("GET", "/v2/apps/spread");
  for (const json& task : spread.body["app"]["tasks"]) {
    agents.insert(task.value("slaveId", ""));
  }
  EXPECT_EQ(agents.size(), 2u);
}

// A task that keeps failing is relaunched after backoffSeconds × backoffFactor^n.
TEST_F(ServicesTest, FailingTasksAreRelaunchedWithBackoff) {
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "crash", "cmd": "exit 1", "cpus": 0.1, "mem": 16,
                                        "backoffSeconds": 0.5, "backoffFactor": 2})")
                .status,
            201);
  // When each launch first shows on the master (polled every 50 ms).
  std::map<std::string, double> seen;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        double now =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (const std::string& id : masterTasks("crash.")) {
          seen.emplace(id, now);
        }
        return seen.size() >= 4;
      },
      60, "four launches of /crash"));
  std::vector<double> launches;
  for (const auto& [id, at] : seen) {
    launches.push_back(at);
  }
  std::sort(launches.begin(), launches.end());
  // Delays of 0.5, 1 and 2 s after each failure. The bounds are halved for the polling
  // error on a loaded machine; without backoff the gaps would be a few milliseconds.
  EXPECT_GE(launches[1] - launches[0], 0.25);
  EXPECT_GE(launches[2] - launches[1], 0.5);
  EXPECT_GE(launches[3] - launches[2], 1.0);
  EXPECT_GT(launches[3] - launches[2], launches[1] - launches[0]);
  // The launch queue shows the app and its delay, which DELETE .../delay forgets.
  // (It is queued between a failure and the next launch.)
  HttpReply queue;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        queue = call("GET", "/v2/queue");
        return queue.status == 200 && queue.body["queue"].size() == 1;
      },
      30, "/crash in the launch queue"));
  EXPECT_EQ(queue.body["queue"][0]["app"]["id"], "/crash");
  EXPECT_EQ(queue.body["queue"][0]["count"], 1);
  EXPECT_TRUE(queue.body["queue"][0]["delay"].contains("timeLeftSeconds"));
  EXPECT_EQ(call("DELETE", "/v2/queue/crash/delay").status, 204);
  EXPECT_EQ(call("DELETE", "/v2/queue/nope/delay").status, 404);
  json failure = call("GET", "/v2/apps/crash").body["app"]["lastTaskFailure"];
  EXPECT_EQ(failure.value("state", ""), "TASK_FAILED") << failure.dump();
  EXPECT_EQ(failure.value("appId", ""), "/crash");
}

// /v2/apps/{id}/tasks and /v2/tasks: list, kill one (replaced), kill one with scale=true
// (not replaced).
TEST_F(ServicesTest, KillsTasksWithAndWithoutScaling) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 2; },
                               60, "two tasks of /shop/web RUNNING"));
  ASSERT_TRUE(cluster_.waitFor([&] { return appCount("/shop/web", "tasksRunning") == 2; }, 30,
                               "agora-services sees them RUNNING"));
  HttpReply tasks = call("GET", "/v2/apps/shop/web/tasks");
  ASSERT_EQ(tasks.status, 200);
  ASSERT_EQ(tasks.body["tasks"].size(), 2u) << tasks.body.dump();
  EXPECT_EQ(call("GET", "/v2/tasks").body["tasks"].size(), 2u);
  EXPECT_EQ(call("GET", "/v2/apps/nope/tasks").status, 404);
  EXPECT_EQ(call("DELETE", "/v2/apps/shop/web/tasks/shop_web.nope").status, 404);

  std::string first = tasks.body["tasks"][0]["id"];
  HttpReply killed = call("DELETE", "/v2/apps/shop/web/tasks/" + first);
  ASSERT_EQ(killed.status, 200) << killed.body.dump();
  EXPECT_EQ(killed.body["task"]["id"], first);
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        return masterTasks("shop_web.").size() == 3 &&
               masterTasks("shop_web.", "TASK_RUNNING").size() == 2;
      },
      60, "the killed task replaced"));

  std::string second = tasks.body["tasks"][1]["id"];
  ASSERT_EQ(call("DELETE", "/v2/apps/shop/web/tasks/" + second + "?scale=true").status, 200);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 1; },
                               60, "one task left after the kill with scale"));
  EXPECT_EQ(call("GET", "/v2/apps/shop/web").body["app"]["instances"], 1);
  EXPECT_EQ(masterTasks("shop_web.").size(), 3u) << "the scaled kill was not replaced";
  // At target: the framework takes no offers.
  ASSERT_TRUE(cluster_.waitFor([&] { return suppressed() == json(true); }, 30,
                               "agora-services suppressed at target"));
  ASSERT_EQ(call("PUT", "/v2/apps/shop/web", R"({"instances": 2})").status, 200);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 2; },
                               60, "scaled up again (offers revived)"));
  ASSERT_TRUE(cluster_.waitFor([&] { return suppressed() == json(true); }, 30,
                               "suppressed again once at target"));
}

TEST_F(ServicesTest, PutCreatesAndServesInfoAndPing) {
  HttpReply put = call("PUT", "/v2/apps/team/api", R"({"cmd": "sleep 1000", "instances": 0})");
  ASSERT_EQ(put.status, 201) << put.body.dump();
  HttpReply app = call("GET", "/v2/apps/team/api");
  ASSERT_EQ(app.status, 200);
  EXPECT_EQ(app.body["app"]["id"], "/team/api");
  EXPECT_EQ(app.body["app"]["tasksRunning"], 0);
  EXPECT_EQ(app.body["app"]["tasksStaged"], 0);
  // A partial update keeps the other fields; a full replacement must be complete.
  ASSERT_EQ(call("PUT", "/v2/apps/team/api", R"({"mem": 16})").status, 200);
  app = call("GET", "/v2/apps/team/api");
  EXPECT_EQ(app.body["app"]["cmd"], "sleep 1000");
  EXPECT_EQ(app.body["app"]["mem"], 16);
  HttpReply full = call("PUT", "/v2/apps/team/api?partialUpdate=false", R"({"instances": 0})");
  ASSERT_EQ(full.status, 422) << full.body.dump();
  EXPECT_EQ(full.body["details"][0]["path"], "/");
  EXPECT_EQ(call("GET", "/v2/apps/team/api").body["app"]["mem"], 16);
  // PATCH merges like a partial PUT, but never creates.
  ASSERT_EQ(call("PATCH", "/v2/apps/team/api", R"({"disk": 5})").status, 200);
  EXPECT_EQ(call("GET", "/v2/apps/team/api").body["app"]["disk"], 5);
  EXPECT_EQ(call("GET", "/v2/apps/team/api").body["app"]["mem"], 16);
  EXPECT_EQ(call("PATCH", "/v2/apps/team/nope", R"({"disk": 5})").status, 404);
  // Every version is kept, newest first; the first still has Marathon's default mem.
  HttpReply versions = call("GET", "/v2/apps/team/api/versions");
  ASSERT_EQ(versions.status, 200) << versions.body.dump();
  ASSERT_EQ(versions.body["versions"].size(), 3u);
  std::string first = versions.body["versions"][2];
  EXPECT_EQ(call("GET", "/v2/apps/team/api/versions/" + first).body["mem"], 128);
  EXPECT_EQ(call("GET", "/v2/apps/team/api/versions/1999-01-01T00:00:00.000Z").status, 404);
  EXPECT_EQ(call("GET", "/v2/apps/nope/versions").status, 404);
  EXPECT_EQ(call("GET", "/v2/apps?id=team").body["apps"].size(), 1u);
  EXPECT_EQ(call("GET", "/v2/apps?cmd=python").body["apps"].size(), 0u);
  EXPECT_EQ(call("GET", "/v2/apps?label=team").body["apps"].size(), 0u);
  EXPECT_EQ(call("GET", "/v2/apps?label=team%20in%20x").status, 400);
  EXPECT_EQ(call("GET", "/ping").body, "pong");
  EXPECT_EQ(call("GET", "/v2/leader").body["leader"], "127.0.0.1:" + std::to_string(port_));
  HttpReply info = call("GET", "/v2/info");
  EXPECT_EQ(info.body["http_config"]["http_port"], port_);
  EXPECT_EQ(info.body["marathon_config"]["master"], cluster_.masterAddress());
}

}  // namespace
}  // namespace agora::testing
