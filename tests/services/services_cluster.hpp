// The fixture of agora-services' integration tests: a real master and agent (TestCluster),
// a real agora-services process, and helpers to call its REST API and read the master's
// view of the tasks. Shared by the services_*_test.cpp files of services_integration_tests.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/support/cluster.hpp"

namespace agora::testing {

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

inline const char* kWeb = R"({"id": "/shop/web", "cmd": "env > env.txt; sleep 1000", "instances": 2,
                       "cpus": 0.1, "mem": 32, "portDefinitions": [{"port": 0}]})";

// Checks run by the executor every 0.1 s: `ok` in the sandbox means healthy.
inline const char* kHealthy =
    R"({"id": "/hc", "cmd": "touch ok; sleep 1000", "cpus": 0.1, "mem": 16,
  "instances": 2, "portDefinitions": [{"port": 0}], "backoffSeconds": 0.1,
  "healthChecks": [{"protocol": "COMMAND", "command": {"value": "test -f ok"},
                    "delaySeconds": 0, "intervalSeconds": 0.1, "timeoutSeconds": 5,
                    "gracePeriodSeconds": 10, "maxConsecutiveFailures": 2}]})";

// When the first task of `prefix` on the master first reported `state` (any state when
// empty); 0 when none did.
inline double firstStatusAt(const json& tasks, const std::string& prefix,
                            const std::string& state) {
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

}  // namespace agora::testing
