// agora-services as a real process against a real master and agent: the REST API drives
// real tasks (create, scale down, delete), bad definitions change nothing, and a restarted
// agora-services keeps its apps and its tasks without launching duplicates.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "tests/support/cluster.hpp"
#include "tests/support/file_server.hpp"
#include "tests/support/test_image.hpp"

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

  void startServices(const std::vector<std::string>& extraFlags = {}) {
    std::vector<std::string> argv = {
        binDir() + "/agora-services", "--master=" + cluster_.masterAddress(),
        "--http_port=" + std::to_string(port_), "--work_dir=" + cluster_.dir() + "/services"};
    argv.insert(argv.end(), extraFlags.begin(), extraFlags.end());
    services_ = Process::spawn(argv, cluster_.dir() + "/services.log");
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

  // Waits until no deployment is in progress (an app is locked until then).
  bool waitDeploymentsDone() {
    return cluster_.waitFor(
        [&] {
          HttpReply list = call("GET", "/v2/deployments");
          return list.status == 200 && list.body.empty();
        },
        60, "no deployment in progress");
  }

  // Alive tasks on the master (not in a terminal state), and of those how many RUNNING.
  std::pair<int, int> aliveAndRunning(const std::string& prefix) {
    int alive = 0;
    int running = 0;
    json tasks = cluster_.tasks();
    for (const json& task : tasks.is_null() ? json::array() : tasks["tasks"]) {
      std::string state = task.value("state", "");
      if (task.value("id", "").rfind(prefix, 0) != 0) {
        continue;
      }
      bool ended = state == "TASK_FINISHED" || state == "TASK_FAILED" || state == "TASK_KILLED" ||
                   state == "TASK_LOST" || state == "TASK_ERROR" || state == "TASK_DROPPED" ||
                   state == "TASK_GONE";
      alive += ended ? 0 : 1;
      running += state == "TASK_RUNNING" ? 1 : 0;
    }
    return {alive, running};
  }

  // From the master's status history of the tasks of `prefix` (timestamps of the agent's
  // updates): the fewest RUNNING and the most alive at any moment after `since`. A task is
  // alive from its first status to its terminal one, RUNNING from TASK_RUNNING to the end.
  std::pair<int, int> historyExtremes(const std::string& prefix, double since) {
    std::vector<std::tuple<double, int, int>> changes;  // (time, Δrunning, Δalive)
    json tasks = cluster_.tasks();
    for (const json& task : tasks.is_null() ? json::array() : tasks["tasks"]) {
      if (task.value("id", "").rfind(prefix, 0) != 0 || task["statuses"].empty()) {
        continue;
      }
      bool running = false;
      changes.emplace_back(task["statuses"][0].value("timestamp", 0.0), 0, 1);
      for (const json& status : task["statuses"]) {
        std::string state = status.value("state", "");
        double at = status.value("timestamp", 0.0);
        if (state == "TASK_RUNNING" && !running) {
          running = true;
          changes.emplace_back(at, 1, 0);
        } else if (state != "TASK_RUNNING" && state != "TASK_STARTING" && state != "TASK_STAGING" &&
                   state != "TASK_KILLING") {
          changes.emplace_back(at, running ? -1 : 0, -1);
          break;
        }
      }
    }
    // Ends before starts at the same instant: the strict reading.
    std::sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) {
      return std::get<0>(a) != std::get<0>(b)
                 ? std::get<0>(a) < std::get<0>(b)
                 : std::get<1>(a) + std::get<2>(a) < std::get<1>(b) + std::get<2>(b);
    });
    int running = 0;
    int alive = 0;
    int fewestRunning = INT32_MAX;
    int mostAlive = 0;
    for (const auto& [at, dRunning, dAlive] : changes) {
      running += dRunning;
      alive += dAlive;
      if (at >= since) {
        fewestRunning = std::min(fewestRunning, running);
        mostAlive = std::max(mostAlive, alive);
      }
    }
    return {fewestRunning, mostAlive};
  }

  // Why each app in the launch queue got no task from recent offers (its reject reasons).
  std::map<std::string, std::set<std::string>> queueReasons() {
    std::map<std::string, std::set<std::string>> reasons;
    json queue = call("GET", "/v2/queue").body["queue"];
    for (const json& entry : queue) {
      for (const json& reject : entry["processedOffersSummary"]["rejectSummaryLastOffers"]) {
        reasons[entry["app"]["id"]].insert(reject["reason"].get<std::string>());
      }
    }
    return reasons;
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

  ASSERT_TRUE(waitDeploymentsDone());
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
  ASSERT_TRUE(waitDeploymentsDone());
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

  ASSERT_TRUE(waitDeploymentsDone());
  ASSERT_EQ(call("PUT", "/v2/apps/shop/web", R"({"instances": 3})").status, 200);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 3; },
                               60, "scaled to three"));
  EXPECT_EQ(masterTasks("shop_web.").size(), 5u) << "scaling replaced a task";
  app = call("GET", "/v2/apps/shop/web").body["app"];
  EXPECT_NE(app["versionInfo"]["lastConfigChangeAt"], app["version"]);
  EXPECT_EQ(app["versionInfo"]["lastScalingAt"], app["version"]);
  // POST /v2/apps/{id}/restart replaces all three the same way.
  ASSERT_TRUE(waitDeploymentsDone());
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
  json stats = call("GET", "/v2/apps?embed=apps.taskStats").body["apps"][0]["taskStats"];
  EXPECT_EQ(stats["totalSummary"]["stats"]["counts"]["running"], 2) << stats.dump();
  EXPECT_EQ(stats["withLatestConfig"]["stats"]["counts"]["running"], 2) << stats.dump();
  EXPECT_FALSE(stats.contains("withOutdatedConfig")) << stats.dump();
  EXPECT_GE(stats["totalSummary"]["stats"]["lifeTime"]["averageSeconds"], 0);
  // The plain-text form haproxy scripts read: app, service port, then host:port per task.
  httplib::Client client("127.0.0.1", port_);
  auto text = client.Get("/v2/tasks", {{"Accept", "text/plain"}});
  ASSERT_TRUE(text);
  EXPECT_EQ(text->get_header_value("Content-Type"), "text/plain");
  EXPECT_EQ(text->body.rfind("shop_web\t0\t127.0.0.1:3", 0), 0u) << text->body;
  EXPECT_EQ(std::count(text->body.begin(), text->body.end(), ':'), 2) << text->body;
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
  ASSERT_TRUE(waitDeploymentsDone());
  ASSERT_EQ(call("PUT", "/v2/apps/shop/web", R"({"instances": 2})").status, 200);
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("shop_web.", "TASK_RUNNING").size() == 2; },
                               60, "scaled up again (offers revived)"));
  ASSERT_TRUE(cluster_.waitFor([&] { return suppressed() == json(true); }, 30,
                               "suppressed again once at target"));
}

// A deployment that cannot finish (its new tasks fit no agent) locks the app: changes get
// 409 naming it and change nothing, unless forced; DELETE /v2/deployments/{id} rolls back,
// and with force=true only forgets it.
TEST_F(ServicesTest, DeploymentsLockTheAppUntilDoneAndRollBack) {
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "web", "cmd": "sleep 1000", "cpus": 0.1,
                                        "mem": 16})")
                .status,
            201);
  ASSERT_TRUE(waitDeploymentsDone());
  std::vector<std::string> first = masterTasks("web.", "TASK_RUNNING");
  ASSERT_EQ(first.size(), 1u);
  const char* stuck = R"({"cmd": "sleep 1001", "constraints": [["hostname", "LIKE", "nowhere"]]})";
  HttpReply change = call("PUT", "/v2/apps/web", stuck);
  ASSERT_EQ(change.status, 200) << change.body.dump();
  std::string stuckId = change.body.value("deploymentId", "");

  HttpReply list = call("GET", "/v2/deployments");
  ASSERT_EQ(list.body.size(), 1u) << list.body.dump();
  EXPECT_EQ(list.body[0]["id"], stuckId);
  EXPECT_EQ(list.body[0]["affectedApps"], json::array({"/web"}));
  EXPECT_EQ(list.body[0]["currentActions"][0]["action"], "RestartApplication");
  EXPECT_EQ(call("GET", "/v2/apps/web").body["app"]["deployments"][0]["id"], stuckId);

  HttpReply locked = call("PUT", "/v2/apps/web", R"({"instances": 2})");
  ASSERT_EQ(locked.status, 409) << locked.body.dump();
  EXPECT_EQ(locked.body["deployments"][0]["id"], stuckId);
  EXPECT_NE(locked.body.value("message", "").find("force=true"), std::string::npos);
  EXPECT_EQ(call("DELETE", "/v2/apps/web").status, 409);
  EXPECT_EQ(call("POST", "/v2/apps/web/restart").status, 409);
  EXPECT_EQ(call("GET", "/v2/apps/web").body["app"]["instances"], 1) << "the 409 changed nothing";

  // The old task keeps serving (minimumHealthCapacity 1) while nothing new can start.
  EXPECT_EQ(masterTasks("web.", "TASK_RUNNING"), first);

  // Rollback: a new deployment back to the previous definition, which ends at once.
  HttpReply rollback = call("DELETE", "/v2/deployments/" + stuckId);
  ASSERT_EQ(rollback.status, 200) << rollback.body.dump();
  EXPECT_NE(rollback.body.value("deploymentId", ""), stuckId);
  ASSERT_TRUE(waitDeploymentsDone());
  json app = call("GET", "/v2/apps/web").body["app"];
  EXPECT_EQ(app["cmd"], "sleep 1000");
  EXPECT_FALSE(app.contains("constraints") && !app["constraints"].empty()) << app.dump();
  EXPECT_EQ(masterTasks("web.", "TASK_RUNNING"), first) << "the rollback replaced nothing";
  EXPECT_EQ(call("DELETE", "/v2/deployments/nope").status, 404);

  // force=true supersedes a deployment in progress.
  ASSERT_EQ(call("PUT", "/v2/apps/web", stuck).status, 200);
  HttpReply forced = call("PUT", "/v2/apps/web?force=true", R"({"cmd": "sleep 1002",
                                                                "constraints": []})");
  ASSERT_EQ(forced.status, 200) << forced.body.dump();
  ASSERT_TRUE(waitDeploymentsDone());
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        std::vector<std::string> running = masterTasks("web.", "TASK_RUNNING");
        return running.size() == 1 && running != first;
      },
      60, "the forced definition replaced the task"));

  // DELETE ?force=true drops a deployment without rolling back.
  ASSERT_EQ(call("PUT", "/v2/apps/web", stuck).status, 200);
  std::string dropped = call("GET", "/v2/deployments").body[0].value("id", "");
  EXPECT_EQ(call("DELETE", "/v2/deployments/" + dropped + "?force=true").status, 202);
  EXPECT_TRUE(call("GET", "/v2/deployments").body.empty());
  EXPECT_EQ(call("GET", "/v2/apps/web").body["app"]["cmd"], "sleep 1001");
}

// upgradeStrategy {minimumHealthCapacity 0.5, maximumOverCapacity 0} on 4 instances: the
// RUNNING count, sampled all along, never drops below 2 and the alive tasks never exceed 4.
TEST_F(ServicesTest, RollingUpgradeHonoursTheUpgradeStrategy) {
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "roll", "cmd": "sleep 1000", "cpus": 0.1,
                                        "mem": 16, "instances": 4,
                                        "upgradeStrategy": {"minimumHealthCapacity": 0.5,
                                                            "maximumOverCapacity": 0}})")
                .status,
            201);
  ASSERT_TRUE(waitDeploymentsDone());
  std::vector<std::string> old = masterTasks("roll.", "TASK_RUNNING");
  ASSERT_EQ(old.size(), 4u);
  double upgradeStart =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(call("PUT", "/v2/apps/roll", R"({"cmd": "sleep 1001"})").status, 200);
  int lowestRunning = 4;
  int mostAlive = 4;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto [alive, running] = aliveAndRunning("roll.");
        lowestRunning = std::min(lowestRunning, running);
        mostAlive = std::max(mostAlive, alive);
        std::vector<std::string> now = masterTasks("roll.", "TASK_RUNNING");
        for (const std::string& id : now) {
          if (std::find(old.begin(), old.end(), id) != old.end()) {
            return false;
          }
        }
        return now.size() == 4;
      },
      90, "all four tasks replaced"));
  EXPECT_GE(lowestRunning, 2) << "below minimumHealthCapacity during the upgrade";
  EXPECT_LE(mostAlive, 4) << "above maximumOverCapacity during the upgrade";
  EXPECT_EQ(masterTasks("roll.").size(), 8u);
  ASSERT_TRUE(waitDeploymentsDone());
  // Sampling can miss a moment; the status history cannot.
  auto [fewestRunning, mostAliveEver] = historyExtremes("roll.", upgradeStart);
  // Exactly: two old tasks go at once (what the strategy allows), and nothing goes beyond four.
  EXPECT_EQ(fewestRunning, 2) << cluster_.tasks().dump();
  EXPECT_EQ(mostAliveEver, 4) << cluster_.tasks().dump();
}

// GET /v2/events streams Marathon's events: the API call, the deployment, the task's
// status updates and the deployment's success; event_type= filters.
TEST_F(ServicesTest, EventStreamDeliversDeploymentAndStatusEvents) {
  std::mutex mutex;
  std::string all;
  std::string filtered;
  std::atomic<bool> stop{false};
  auto reader = [&](const std::string& path, std::string* out) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60);
    client.Get(path, [&](const char* data, size_t size) {
      std::lock_guard<std::mutex> lock(mutex);
      out->append(data, size);
      return !stop.load();
    });
  };
  std::thread allReader(reader, "/v2/events", &all);
  std::thread filteredReader(reader, "/v2/events?event_type=deployment_success", &filtered);
  auto has = [&](const std::string& text, const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    return text.find(what) != std::string::npos;
  };
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        return has(all, "event: event_stream_attached") &&
               has(filtered, "event: event_stream_attached");
      },
      30, "both streams attached"));
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "ev", "cmd": "sleep 1000", "cpus": 0.1,
                                        "mem": 16})")
                .status,
            201);
  ASSERT_TRUE(cluster_.waitFor([&] { return has(all, "event: deployment_success"); }, 60,
                               "deployment_success on the stream"));
  ASSERT_TRUE(cluster_.waitFor([&] { return has(filtered, "event: deployment_success"); }, 30,
                               "deployment_success on the filtered stream"));
  stop = true;
  // Each stream ends at its next frame; a delete sends some.
  ASSERT_EQ(call("DELETE", "/v2/apps/ev").status, 200);
  allReader.join();
  filteredReader.join();
  for (const char* event : {"event: api_post_event", "event: deployment_info",
                            "\"taskStatus\":\"TASK_RUNNING\"", "\"appId\":\"/ev\""}) {
    EXPECT_NE(all.find(event), std::string::npos) << event << " missing from " << all;
  }
  EXPECT_LT(all.find("event: deployment_info"), all.find("event: deployment_success"));
  EXPECT_EQ(filtered.find("status_update_event"), std::string::npos) << filtered;
}

// When the first task of `prefix` on the master first reported `state` (any state when
// empty); 0 when none did.
double firstStatusAt(const json& tasks, const std::string& prefix, const std::string& state) {
  double first = 0;
  for (const json& task : tasks["tasks"]) {
    if (task.value("id", "").rfind(prefix, 0) != 0) {
      continue;
    }
    for (const json& status : task["statuses"]) {
      if (state.empty() || status.value("state", "") == state) {
        double at = status.value("timestamp", 0.0);
        first = first == 0 ? at : std::min(first, at);
      }
    }
  }
  return first;
}

// A group deploys as one deployment in dependency order (web only once db runs), scales by
// a factor, drops an app it no longer lists, goes back to an older version, and is deleted
// with everything in it.
TEST_F(ServicesTest, GroupsDeployInDependencyOrder) {
  const char* shop = R"({"id": "/shop", "apps": [
      {"id": "db", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16},
      {"id": "web", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "dependencies": ["db"]}]})";
  // dryRun: the plan (start both, then db, then web) and no change.
  HttpReply plan = call("POST", "/v2/groups?dryRun=true", shop);
  ASSERT_EQ(plan.status, 200) << plan.body.dump();
  ASSERT_EQ(plan.body["steps"].size(), 3u) << plan.body.dump();
  EXPECT_EQ(plan.body["steps"][1]["actions"][0]["app"], "/shop/db");
  EXPECT_EQ(plan.body["steps"][2]["actions"][0]["app"], "/shop/web");
  EXPECT_EQ(call("GET", "/v2/groups/shop").status, 404);
  HttpReply created = call("POST", "/v2/groups", shop);
  ASSERT_EQ(created.status, 201) << created.body.dump();
  EXPECT_FALSE(created.body.value("deploymentId", "").empty());
  EXPECT_EQ(call("POST", "/v2/groups", shop).status, 409) << "the group exists";
  ASSERT_TRUE(waitDeploymentsDone());
  json tasks = cluster_.tasks();
  double db = firstStatusAt(tasks, "shop_db.", "TASK_RUNNING");
  double web = firstStatusAt(tasks, "shop_web.", "");
  ASSERT_GT(db, 0) << tasks.dump();
  ASSERT_GT(web, 0) << tasks.dump();
  EXPECT_LE(db, web) << "web was launched before the db it depends on ran";

  HttpReply group = call("GET", "/v2/groups/shop");
  ASSERT_EQ(group.status, 200) << group.body.dump();
  EXPECT_EQ(group.body["apps"].size(), 2u);
  EXPECT_EQ(group.body["apps"][1]["dependencies"], json::array({"/shop/db"}));
  HttpReply root = call("GET", "/v2/groups");
  ASSERT_EQ(root.body["groups"].size(), 1u) << root.body.dump();
  EXPECT_EQ(root.body["groups"][0]["id"], "/shop");
  EXPECT_EQ(call("GET", "/v2/groups/nope").status, 404);
  HttpReply bad = call("PUT", "/v2/groups/shop", R"({"apps": [{"id": "x", "cmd": "x",
                                                              "mem": -5}]})");
  ASSERT_EQ(bad.status, 422) << bad.body.dump();
  EXPECT_EQ(bad.body["details"][0]["path"], "/apps(0)/mem");

  EXPECT_EQ(call("PATCH", "/v2/groups/nope", R"({"scaleBy": 2})").status, 404);
  EXPECT_EQ(call("PUT", "/v2/groups/shop", R"({"version": 5})").status, 422);
  ASSERT_EQ(call("PATCH", "/v2/groups/shop", R"({"scaleBy": 2})").status, 200);
  ASSERT_TRUE(waitDeploymentsDone());
  EXPECT_EQ(masterTasks("shop_db.", "TASK_RUNNING").size(), 2u);
  EXPECT_EQ(masterTasks("shop_web.", "TASK_RUNNING").size(), 2u);

  // The group without web: web is stopped, db untouched.
  ASSERT_EQ(call("PUT", "/v2/groups/shop", R"({"apps": [{"id": "db", "cmd": "sleep 1000",
                                                        "cpus": 0.1, "mem": 16,
                                                        "instances": 2}]})")
                .status,
            200);
  ASSERT_TRUE(waitDeploymentsDone());
  EXPECT_EQ(call("GET", "/v2/apps/shop/web").status, 404);
  EXPECT_TRUE(masterTasks("shop_web.", "TASK_RUNNING").empty());
  EXPECT_EQ(masterTasks("shop_db.").size(), 2u) << "db was redeployed";

  // Back to the version with web in it.
  HttpReply versions = call("GET", "/v2/groups/shop/versions");
  ASSERT_EQ(versions.status, 200);
  ASSERT_EQ(versions.body.size(), 3u) << versions.body.dump();
  std::string scaled = versions.body[1];
  ASSERT_EQ(call("PUT", "/v2/groups/shop", json({{"version", scaled}}).dump()).status, 200);
  ASSERT_TRUE(waitDeploymentsDone());
  EXPECT_EQ(masterTasks("shop_web.", "TASK_RUNNING").size(), 2u);

  ASSERT_EQ(call("DELETE", "/v2/groups/shop").status, 200);
  ASSERT_TRUE(waitDeploymentsDone());
  EXPECT_EQ(call("GET", "/v2/groups/shop").status, 404);
  EXPECT_TRUE(masterTasks("shop_", "TASK_RUNNING").empty());
  EXPECT_EQ(call("DELETE", "/v2/groups/shop").status, 404);
}

// Checks run by the executor every 0.1 s: `ok` in the sandbox means healthy.
const char* kHealthy = R"({"id": "/hc", "cmd": "touch ok; sleep 1000", "cpus": 0.1, "mem": 16,
  "instances": 2, "portDefinitions": [{"port": 0}], "backoffSeconds": 0.1,
  "healthChecks": [{"protocol": "COMMAND", "command": {"value": "test -f ok"},
                    "delaySeconds": 0, "intervalSeconds": 0.1, "timeoutSeconds": 5,
                    "gracePeriodSeconds": 10, "maxConsecutiveFailures": 2}]})";

// A health check reported by the executor shows in the API (tasksHealthy,
// healthCheckResults) and gates the deployment; a task failing it is killed and replaced.
TEST_F(ServicesTest, FailingHealthCheckIsKilledAndReplaced) {
  HttpReply bad = call("POST", "/v2/apps", R"({"id": "/x", "cmd": "sleep 1",
      "healthChecks": [{"protocol": "HTTP", "portIndex": 0}]})");
  ASSERT_EQ(bad.status, 422) << bad.body.dump();
  EXPECT_EQ(bad.body["details"][0]["path"], "/healthChecks(0)/portIndex");
  ASSERT_EQ(call("POST", "/v2/apps", kHealthy).status, 201);
  ASSERT_TRUE(waitDeploymentsDone());
  json app = call("GET", "/v2/apps/hc").body["app"];
  EXPECT_EQ(app["tasksHealthy"], 2) << "the deployment ended before its tasks were healthy";
  ASSERT_EQ(app["tasks"].size(), 2u);
  EXPECT_EQ(app["tasks"][0]["healthCheckResults"][0]["alive"], true);

  // The first task turns unhealthy: the executor kills it after two failures and
  // agora-services launches a replacement, which is healthy again.
  std::string victim = app["tasks"][0]["id"];
  std::string sandbox = cluster_.sandboxDir(0, victim);
  ASSERT_FALSE(sandbox.empty());
  ASSERT_EQ(std::remove((sandbox + "/ok").c_str()), 0) << sandbox;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        json now = call("GET", "/v2/apps/hc").body["app"];
        bool victimGone = true;
        for (const json& task : now["tasks"]) {
          victimGone = victimGone && task["id"] != victim;
        }
        return victimGone && now.value("tasksHealthy", 0) == 2;
      },
      60, "the unhealthy task replaced by a healthy one"));
  json tasks = cluster_.tasks();
  bool killedUnhealthy = false;
  for (const json& task : tasks["tasks"]) {
    if (task["id"] == victim) {
      killedUnhealthy =
          task["state"] == "TASK_KILLED" && task["statuses"].back()["healthy"] == false;
    }
  }
  EXPECT_TRUE(killedUnhealthy) << tasks.dump();
  EXPECT_EQ(masterTasks("hc.").size(), 3u);
}

// A rolling upgrade of health-checked tasks: old tasks go only as new ones turn healthy,
// so the healthy count, sampled all along, never drops below the instances.
TEST_F(ServicesTest, RollingUpgradeKeepsHealthyCapacity) {
  ASSERT_EQ(call("POST", "/v2/apps", kHealthy).status, 201);
  ASSERT_TRUE(waitDeploymentsDone());
  ASSERT_EQ(appCount("/hc", "tasksHealthy"), 2);
  std::vector<std::string> old = masterTasks("hc.", "TASK_RUNNING");
  // New tasks are healthy only after half a second.
  ASSERT_EQ(call("PUT", "/v2/apps/hc", R"({"cmd": "sleep 0.5; touch ok; sleep 1000"})").status,
            200);
  int lowest = 2;
  int samples = 0;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        HttpReply reply = call("GET", "/v2/apps/hc");
        json app = reply.body["app"];
        lowest = std::min(lowest, app.value("tasksHealthy", 0));
        ++samples;
        std::vector<std::string> running = masterTasks("hc.", "TASK_RUNNING");
        for (const std::string& id : running) {
          if (std::find(old.begin(), old.end(), id) != old.end()) {
            return false;
          }
        }
        return running.size() == 2 && app.value("tasksHealthy", 0) == 2;
      },
      60, "both tasks replaced by healthy new ones"));
  EXPECT_GE(samples, 3) << "too few samples to say anything";
  EXPECT_EQ(lowest, 2) << "healthy capacity dropped during the upgrade";
  ASSERT_TRUE(waitDeploymentsDone());
}

// agora-services and then the master restart in the middle of a rolling upgrade whose new
// tasks take a while to turn healthy: the deployment is still there after each restart,
// it finishes, and no task is launched twice or lost.
TEST_F(ServicesTest, RestartsInTheMiddleOfADeploymentLoseAndDuplicateNothing) {
  ASSERT_EQ(call("POST", "/v2/apps", kHealthy).status, 201);
  ASSERT_TRUE(waitDeploymentsDone());
  // The new tasks turn healthy only once the test creates `go`: the restarts fall inside
  // the upgrade whatever the machine's speed.
  std::string go = cluster_.dir() + "/go";
  json upgrade = {{"cmd", "while [ ! -f " + go + " ]; do sleep 0.1; done; touch ok; sleep 1000"}};
  HttpReply change = call("PUT", "/v2/apps/hc", upgrade.dump());
  ASSERT_EQ(change.status, 200) << change.body.dump();
  std::string deploymentId = change.body.value("deploymentId", "");
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("hc.").size() == 4; }, 30,
                               "two new tasks launched next to the two old ones"));

  stopServices();
  startServices();
  HttpReply list = call("GET", "/v2/deployments");
  ASSERT_EQ(list.body.size(), 1u) << list.body.dump();
  EXPECT_EQ(list.body[0]["id"], deploymentId);

  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster();
  ASSERT_TRUE(cluster_.waitForAgents(1));
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("hc.", "TASK_RUNNING").size() == 4; }, 30,
                               "the four tasks back on the restarted master"));
  EXPECT_EQ(call("GET", "/v2/deployments").body.size(), 1u) << "the upgrade ended too early";
  std::FILE* flag = std::fopen(go.c_str(), "w");
  ASSERT_NE(flag, nullptr);
  std::fclose(flag);
  ASSERT_TRUE(waitDeploymentsDone());
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("hc.", "TASK_RUNNING").size() == 2; }, 30,
                               "two tasks RUNNING after the upgrade"));
  EXPECT_EQ(masterTasks("hc.").size(), 4u) << "a task was launched twice or replaced";
  EXPECT_EQ(appCount("/hc", "tasksHealthy"), 2);
  EXPECT_EQ(appCount("/hc", "tasksRunning"), 2);
}

// The launch queue says why offers were not used; killSelection OLDEST_FIRST scales down
// the oldest task; /v2/tasks/delete kills (and scales) by task id; /metrics counts.
TEST_F(ServicesTest, QueueReasonsKillSelectionTasksDeleteAndMetrics) {
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "huge", "cmd": "sleep 1000", "cpus": 1000})").status,
            201);
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "picky", "cmd": "sleep 1000", "cpus": 0.1,
      "mem": 16, "constraints": [["hostname", "LIKE", "nowhere"]]})")
                .status,
            201);
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto reasons = queueReasons();
        return reasons["/huge"] == std::set<std::string>{"InsufficientCpus"} &&
               reasons["/picky"] == std::set<std::string>{"UnfulfilledConstraint"};
      },
      30, "/huge short of cpus, /picky of a matching agent"));
  HttpReply metrics = call("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body["gauges"]["marathon.apps.active.gauge"]["value"], 2);
  EXPECT_EQ(metrics.body["gauges"]["marathon.deployments.active.gauge"]["value"], 2);
  ASSERT_EQ(call("DELETE", "/v2/apps/huge?force=true").status, 200);
  ASSERT_EQ(call("DELETE", "/v2/apps/picky?force=true").status, 200);

  EXPECT_EQ(call("POST", "/v2/apps", R"({"id": "o", "cmd": "x", "killSelection": "RANDOM"})")
                .body["details"][0]["path"],
            "/killSelection");
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "old", "cmd": "sleep 1000", "cpus": 0.1,
      "mem": 16, "killSelection": "OLDEST_FIRST"})")
                .status,
            201);
  ASSERT_TRUE(waitDeploymentsDone());
  std::string oldest = masterTasks("old.", "TASK_RUNNING").at(0);
  ASSERT_EQ(call("PUT", "/v2/apps/old", R"({"instances": 3})").status, 200);
  ASSERT_TRUE(waitDeploymentsDone());
  ASSERT_EQ(call("PUT", "/v2/apps/old", R"({"instances": 2})").status, 200);
  ASSERT_TRUE(waitDeploymentsDone());
  std::vector<std::string> running = masterTasks("old.", "TASK_RUNNING");
  EXPECT_EQ(running.size(), 2u);
  EXPECT_EQ(std::count(running.begin(), running.end(), oldest), 0) << "the oldest was kept";

  HttpReply unknown = call("POST", "/v2/tasks/delete", R"({"ids": ["old.nope"]})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(call("POST", "/v2/tasks/delete", R"({"ids": "x"})").status, 422);
  json ids = {{"ids", {running[0]}}};
  HttpReply deleted = call("POST", "/v2/tasks/delete?scale=true", ids.dump());
  ASSERT_EQ(deleted.status, 200) << deleted.body.dump();
  EXPECT_FALSE(deleted.body.value("deploymentId", "").empty());
  ASSERT_TRUE(waitDeploymentsDone());
  EXPECT_EQ(call("GET", "/v2/apps/old").body["app"]["instances"], 1);
  EXPECT_EQ(masterTasks("old.", "TASK_RUNNING"), std::vector<std::string>{running[1]});
}

// The agent of a task dies: the task turns TASK_UNREACHABLE and, per unreachableStrategy
// (replace at once, expunge after 1 s), a replacement runs on the other rack. When the agent comes
// back its task is killed: one instance, not two.
TEST_F(ServicesTest, UnreachableTasksAreReplacedAndExpunged) {
  const std::string resources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]";
  cluster_.startAgent(1, resources, {"--attributes=rack:r1"});
  cluster_.startAgent(2, resources, {"--attributes=rack:r2"});
  ASSERT_TRUE(cluster_.waitForAgents(3));
  HttpReply bad = call("POST", "/v2/apps", R"({"id": "u", "cmd": "x",
      "unreachableStrategy": {"inactiveAfterSeconds": 5, "expungeAfterSeconds": 1}})");
  ASSERT_EQ(bad.status, 422) << bad.body.dump();
  EXPECT_EQ(bad.body["details"][0]["path"], "/unreachableStrategy/expungeAfterSeconds");
  // On an agent with a rack (not agent 0), which then goes away.
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id": "u", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16,
      "constraints": [["rack", "LIKE", "r.*"]],
      "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}})")
                .status,
            201);
  ASSERT_TRUE(waitDeploymentsDone());
  // The agent (1 or 2, by rack) the only RUNNING task of /u is on.
  auto agentOfRunningTask = [&](std::string* taskId) {
    std::vector<std::string> running = masterTasks("u.", "TASK_RUNNING");
    if (running.size() != 1) {
      return -1;
    }
    *taskId = running[0];
    json state = cluster_.state();
    json tasks = cluster_.tasks();
    for (const json& task : tasks["tasks"]) {
      for (const json& agent : state["slaves"]) {
        if (task.value("id", "") == *taskId && agent["id"] == task["slave_id"]) {
          return agent["attributes"].value("rack", "") == "r1" ? 1 : 2;
        }
      }
    }
    return -1;
  };
  std::string lost;
  int agentIndex = agentOfRunningTask(&lost);
  ASSERT_NE(agentIndex, -1);
  cluster_.stopAgent(agentIndex, SIGKILL);
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        std::vector<std::string> running = masterTasks("u.", "TASK_RUNNING");
        return running.size() == 1 && running[0] != lost;
      },
      60, "a replacement RUNNING on the other rack"));
  cluster_.startAgent(agentIndex, resources, {"--attributes=rack:r" + std::to_string(agentIndex)});
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        json tasks = cluster_.tasks();
        for (const json& task : tasks["tasks"]) {
          if (task.value("id", "") == lost) {
            return task.value("state", "") == "TASK_KILLED";
          }
        }
        return false;
      },
      60, "the expunged task killed once its agent is back"));
  EXPECT_EQ(masterTasks("u.", "TASK_RUNNING").size(), 1u);
  ASSERT_TRUE(cluster_.waitFor([&] { return appCount("/u", "tasksRunning") == 1; }, 30,
                               "agora-services counts one task"));

  // Not expunged (an hour): the task that comes back is an instance again and its
  // replacement, the younger, goes.
  ASSERT_EQ(call("PUT", "/v2/apps/u", R"({"unreachableStrategy": {"inactiveAfterSeconds": 0,
                                                                   "expungeAfterSeconds": 3600}})")
                .status,
            200);
  ASSERT_TRUE(waitDeploymentsDone());
  std::string back;
  agentIndex = agentOfRunningTask(&back);
  ASSERT_NE(agentIndex, -1);
  cluster_.stopAgent(agentIndex, SIGKILL);
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        std::vector<std::string> running = masterTasks("u.", "TASK_RUNNING");
        return running.size() == 1 && running[0] != back;
      },
      60, "a replacement RUNNING on the other rack"));
  cluster_.startAgent(agentIndex, resources, {"--attributes=rack:r" + std::to_string(agentIndex)});
  ASSERT_TRUE(cluster_.waitFor(
      [&] { return masterTasks("u.", "TASK_RUNNING") == std::vector<std::string>{back}; }, 60,
      "the returning task kept and its replacement killed"));
}

// A readiness check (agora-services GETs the task's /ready) gates the deployment: it is
// not done, and the deployment shows the check's answers, until the task serves /ready.
TEST_F(ServicesTest, ReadinessCheckGatesTheDeployment) {
  HttpReply bad = call("POST", "/v2/apps", R"({"id": "r", "cmd": "x",
      "readinessChecks": [{"portName": "nope"}]})");
  ASSERT_EQ(bad.status, 422) << bad.body.dump();
  EXPECT_EQ(bad.body["details"][0]["path"], "/readinessChecks(0)/portName");
  std::string go = cluster_.dir() + "/ready-go";
  json app = {{"id", "/r"},
              {"cmd", "mkdir -p www; (while [ ! -f " + go +
                          " ]; do sleep 0.1; done; echo ok > www/ready) & "
                          "exec busybox httpd -f -p 127.0.0.1:$PORT0 -h www"},
              {"cpus", 0.1},
              {"mem", 16},
              {"portDefinitions", {{{"port", 0}, {"name", "http"}}}},
              {"readinessChecks",
               {{{"name", "ready"},
                 {"path", "/ready"},
                 {"portName", "http"},
                 {"intervalSeconds", 0.1},
                 {"timeoutSeconds", 2}}}}};
  ASSERT_EQ(call("POST", "/v2/apps", app.dump()).status, 201);
  json results;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        HttpReply list = call("GET", "/v2/deployments");
        if (list.body.size() != 1) {
          return false;
        }
        results = list.body[0]["currentActions"][0]["readinessCheckResults"];
        // Until httpd listens the answer is a connection error; then 404 (no /ready yet).
        return !results.empty() && results[0]["lastResponse"] == "404";
      },
      30, "the deployment shows the readiness check's 404"));
  EXPECT_EQ(results[0]["name"], "ready");
  json embedded = call("GET", "/v2/apps/r?embed=app.readiness").body["app"];
  EXPECT_EQ(embedded["readinessCheckResults"][0]["lastResponse"], "404") << embedded.dump();
  EXPECT_EQ(results[0]["ready"], false);
  EXPECT_EQ(appCount("/r", "tasksRunning"), 1);
  std::FILE* flag = std::fopen(go.c_str(), "w");
  ASSERT_NE(flag, nullptr);
  std::fclose(flag);
  ASSERT_TRUE(waitDeploymentsDone());
}

// A Marathon container app on a bridge network: the image is pulled from a registry, the
// container port is published on a host port from the offer, a host directory is mounted,
// and the MESOS_HTTP health check reaches the container itself. Skipped (with the reason)
// where containers cannot run.
TEST_F(ServicesTest, ContainerAppWithPortMappingAndVolume) {
  std::string why = TestRegistry::whyUnavailable();
  if (why.empty() && geteuid() != 0) why = "containers need root";
  if (why.empty() && std::system("command -v runc >/dev/null 2>&1") != 0) why = "no runc";
  if (!why.empty()) GTEST_SKIP() << why;
  TestRegistry registry(cluster_.dir() + "/registry");
  ASSERT_TRUE(registry.error().empty()) << registry.error();
  ASSERT_EQ(registry.pushBusybox("tests/busybox:1.0"), "");
  std::string shared = cluster_.dir() + "/shared";
  std::filesystem::create_directories(shared);
  {
    std::ofstream page(shared + "/index.html");
    page << "served from the host\n";
  }
  cluster_.startAgent(1, "cpus:2;mem:1024;disk:1024;ports:[31200-31300]",
                      {"--insecure_registries=" + registry.address(),
                       "--allowed_host_paths=" + shared, "--attributes=kind:containers"});
  ASSERT_TRUE(cluster_.waitForAgents(2));
  json app = {{"id", "/boxed"},
              {"cmd", "exec /bin/busybox httpd -f -p 8080 -h /www"},
              {"cpus", 0.2},
              {"mem", 64},
              {"constraints", {{"kind", "IS", "containers"}}},
              {"networks", {{{"mode", "container/bridge"}}}},
              {"container",
               {{"type", "MESOS"},
                {"docker", {{"image", registry.address() + "/tests/busybox:1.0"}}},
                {"portMappings", {{{"containerPort", 8080}, {"hostPort", 0}, {"name", "http"}}}},
                {"volumes", {{{"containerPath", "/www"}, {"hostPath", shared}, {"mode", "RO"}}}}}},
              {"healthChecks",
               {{{"protocol", "MESOS_HTTP"},
                 {"path", "/index.html"},
                 {"portIndex", 0},
                 {"delaySeconds", 0},
                 {"intervalSeconds", 0.2},
                 {"gracePeriodSeconds", 30}}}}};
  HttpReply created = call("POST", "/v2/apps", app.dump());
  ASSERT_EQ(created.status, 201) << created.body.dump();
  ASSERT_TRUE(cluster_.waitFor([&] { return appCount("/boxed", "tasksHealthy") == 1; }, 90,
                               "the container app healthy"));
  json task = call("GET", "/v2/apps/boxed").body["app"]["tasks"][0];
  int hostPort = task["ports"][0];
  EXPECT_GE(hostPort, 31200);
  httplib::Client client("127.0.0.1", hostPort);
  auto page = client.Get("/index.html");
  ASSERT_TRUE(page) << "nothing on host port " << hostPort;
  EXPECT_EQ(page->body, "served from the host\n");
  ASSERT_TRUE(waitDeploymentsDone());
  ASSERT_EQ(call("DELETE", "/v2/apps/boxed").status, 200);
  ASSERT_TRUE(waitDeploymentsDone());
}

// With --mesos_role=eng, resources reserved to eng are offered and used: on an agent with
// eng's 1 cpu reserved and almost no unreserved cpu, an app runs on the reservation, an app
// with acceptedResourceRoles ["*"] does not fit (InsufficientCpus), and one accepting only
// a role the offers lack waits with UnfulfilledRole.
TEST_F(ServicesTest, RolesAndAcceptedResourceRoles) {
  stopServices();
  startServices({"--mesos_role=eng"});
  EXPECT_EQ(call("GET", "/v2/info").body["marathon_config"]["mesos_role"], "eng");
  cluster_.startAgent(1, "cpus(eng):1;mem(eng):256;cpus:0.05;mem:256;disk:1024;ports:[31400-31500]",
                      {"--attributes=kind:reserved"});
  ASSERT_TRUE(cluster_.waitForAgents(2));
  const char* common = R"("cmd": "sleep 1000", "cpus": 0.1, "mem": 16,
                          "constraints": [["kind", "IS", "reserved"]])";
  ASSERT_EQ(call("POST", "/v2/apps", std::string(R"({"id": "mine", )") + common + "}").status, 201);
  ASSERT_EQ(
      call("POST", "/v2/apps",
           std::string(R"({"id": "shared", )") + common + R"(, "acceptedResourceRoles": ["*"]})")
          .status,
      201);
  ASSERT_EQ(
      call("POST", "/v2/apps",
           std::string(R"({"id": "other", )") + common + R"(, "acceptedResourceRoles": ["ops"]})")
          .status,
      201);
  EXPECT_EQ(call("POST", "/v2/apps", R"({"id": "bad", "cmd": "x", "acceptedResourceRoles": []})")
                .body["details"][0]["path"],
            "/acceptedResourceRoles");
  ASSERT_TRUE(cluster_.waitFor([&] { return masterTasks("mine.", "TASK_RUNNING").size() == 1; }, 60,
                               "mine RUNNING on eng's reservation"));
  // (Agent 0's offers are rejected for the constraint.)
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto reasons = queueReasons();
        return reasons["/shared"].count("InsufficientCpus") > 0 &&
               reasons["/other"].count("UnfulfilledRole") > 0;
      },
      30, "/shared short of unreserved cpus, /other of its role"));
  EXPECT_TRUE(masterTasks("shared.").empty());
}

// Marathon's `fetch`: the executor downloads each URI into the sandbox before the command
// runs (here an executable script); a URI that cannot be fetched fails the task, and the
// app's lastTaskFailure says which URI and why.
TEST_F(ServicesTest, FetchDownloadsIntoTheSandboxBeforeTheCommand) {
  FileServer files;
  files.add("hello.sh", "#!/bin/sh\necho fetched-and-run\n");
  EXPECT_EQ(call("POST", "/v2/apps", R"({"id": "f", "cmd": "x", "fetch": [{"uri": ""}]})")
                .body["details"][0]["path"],
            "/fetch(0)/uri");
  json app = {{"id", "/fetcher"},
              {"cmd", "./hello.sh > out.txt; sleep 1000"},
              {"cpus", 0.1},
              {"mem", 16},
              {"fetch", {{{"uri", files.fileUrl("hello.sh")}, {"executable", true}}}}};
  ASSERT_EQ(call("POST", "/v2/apps", app.dump()).status, 201);
  ASSERT_TRUE(waitDeploymentsDone());
  std::string taskId = masterTasks("fetcher.", "TASK_RUNNING").at(0);
  std::string out;
  ASSERT_TRUE(
      cluster_.waitFor([&] { return !(out = cluster_.sandboxFile(0, taskId, "out.txt")).empty(); },
                       30, "the fetched script ran"));
  EXPECT_EQ(out, "fetched-and-run\n");

  json broken = {{"id", "/broken"},      {"cmd", "sleep 1000"},
                 {"cpus", 0.1},          {"mem", 16},
                 {"backoffSeconds", 60}, {"fetch", {{{"uri", files.fileUrl("missing.tgz")}}}}};
  ASSERT_EQ(call("POST", "/v2/apps", broken.dump()).status, 201);
  json failure;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        failure = call("GET", "/v2/apps/broken").body["app"].value("lastTaskFailure", json());
        return failure.is_object();
      },
      30, "the failed fetch in lastTaskFailure"));
  EXPECT_EQ(failure["state"], "TASK_FAILED");
  EXPECT_NE(failure.value("message", "").find("missing.tgz"), std::string::npos) << failure.dump();
  EXPECT_NE(failure.value("message", "").find("404"), std::string::npos) << failure.dump();
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
