// agora-services' apps through its REST API against a real cluster: create, scale, kill,
// delete, versions and info; a restarted agora-services or master keeps every task without
// launching duplicates; backoff; the launch queue's reasons, killSelection and /metrics.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/services/services_cluster.hpp"

namespace agora::testing {
namespace {

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
  // The killed task is listed (as TASK_KILLING) until its TASK_KILLED arrives, as in Marathon.
  EXPECT_TRUE(cluster_.waitFor(
      [&] { return call("GET", "/v2/apps/shop/web").body["app"]["tasks"].size() == 1; }, 30,
      "GET lists one task"));

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
