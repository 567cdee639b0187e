// agora-services' health and readiness checks against a real cluster: health reported by
// the executor gates deployments and replaces failing tasks; readiness gates deployments.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/services/services_cluster.hpp"

namespace agora::testing {
namespace {

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

}  // namespace
}  // namespace agora::testing
