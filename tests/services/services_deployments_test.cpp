// agora-services' deployments against a real cluster: config changes and upgrade strategies,
// locks (409, force) and rollback, groups in dependency order, the event stream, and
// restarts of agora-services and the master in the middle of a deployment.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "tests/services/services_cluster.hpp"

namespace agora::testing {
namespace {

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

}  // namespace
}  // namespace agora::testing
