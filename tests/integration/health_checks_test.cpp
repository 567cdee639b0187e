// Health checks end to end: a real master, agent and executor, and a scheduler built on the
// SDK. The executor checks the task (HTTP against a real `busybox httpd`, or a COMMAND);
// `healthy` travels executor -> agent -> master -> scheduler and shows in the master's
// /state and /tasks; a task that stays unhealthy is killed. Small intervals keep each test
// within seconds; waits are on conditions.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

// A TCP port free right now (bound to 0, then released), for the agent to offer.
int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

v1::HealthCheck fastCheck(v1::HealthCheck::Type type) {
  v1::HealthCheck check;
  check.set_type(type);
  check.set_delay_seconds(0);
  check.set_interval_seconds(0.2);
  check.set_timeout_seconds(2);
  check.set_grace_period_seconds(10);  // Covers the server's start.
  check.set_consecutive_failures(3);
  return check;
}

// Whether some status of the task's JSON (from /state or /tasks) has `healthy` = `value`.
bool jsonHasHealthy(const nlohmann::json& task, bool value) {
  if (!task.is_object() || !task.contains("statuses")) return false;
  for (const auto& status : task["statuses"]) {
    if (status.contains("healthy") && status["healthy"] == value) return true;
  }
  return false;
}

nlohmann::json taskFromListing(const nlohmann::json& listing, const std::string& id) {
  for (const auto& task : listing.value("tasks", nlohmann::json::array())) {
    if (task["id"] == id) return task;
  }
  return nullptr;
}

class HealthChecksTest : public ::testing::Test {
 protected:
  // A master and one agent offering the single free port `port_`.
  void SetUp() override {
    port_ = freePort();
    cluster_.startMaster();
    std::string ports = std::to_string(port_);
    cluster_.startAgent(0, "cpus:2;mem:1024;disk:1024;ports:[" + ports + "-" + ports + "]");
    ASSERT_TRUE(cluster_.waitForAgents(1));
  }

  // The first update of the task with `healthy` = `value` (a scheduler-side wait).
  std::optional<v1::TaskStatus> waitForHealth(TestFramework& framework, const std::string& id,
                                              bool value, double seconds = 30) {
    std::optional<v1::TaskStatus> found;
    framework.scheduler.waitUntil(
        [&] {
          for (const auto& status : framework.scheduler.updatesOfLocked(id)) {
            if (status.has_healthy() && status.healthy() == value) {
              found = status;
              return true;
            }
          }
          return false;
        },
        seconds);
    return found;
  }

  TestCluster cluster_;
  int port_ = 0;
};

// An HTTP check against busybox httpd: healthy while /health is served, unhealthy once the
// file is gone (404), and after three failures in a row the task is killed with
// `healthy = false`.
TEST_F(HealthChecksTest, HttpCheckReportsHealthThenKillsTheUnhealthyTask) {
  std::string port = std::to_string(port_);
  v1::TaskInfo task = shellTask(
      "web",
      "mkdir -p www && echo ok > www/health && exec busybox httpd -f -p 127.0.0.1:" + port +
          " -h www",
      "cpus:0.1;mem:16;ports:[" + port + "-" + port + "]");
  *task.mutable_health_check() = fastCheck(v1::HealthCheck::HTTP);
  task.mutable_health_check()->mutable_http()->set_port(port_);
  task.mutable_health_check()->mutable_http()->set_path("/health");
  task.mutable_kill_policy()->set_grace_period_seconds(1);
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());

  auto healthy = waitForHealth(framework, "web", true);
  ASSERT_TRUE(healthy.has_value()) << framework.scheduler.lastStatus("web")->DebugString();
  EXPECT_EQ(healthy->state(), v1::TASK_RUNNING);
  EXPECT_EQ(healthy->reason(), v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
  EXPECT_EQ(healthy->message(), "HTTP GET http://127.0.0.1:" + port + "/health returned 200");
  EXPECT_TRUE(cluster_.waitFor([&] { return jsonHasHealthy(cluster_.findTask("web"), true); }, 10,
                               "the master's /state shows web healthy"));
  EXPECT_TRUE(cluster_.waitFor(
      [&] { return jsonHasHealthy(taskFromListing(cluster_.tasks(), "web"), true); }, 10,
      "the master's /tasks shows web healthy"));

  std::string sandbox = cluster_.sandboxDir(0, "web");
  ASSERT_FALSE(sandbox.empty());
  std::filesystem::remove(sandbox + "/www/health");

  auto unhealthy = waitForHealth(framework, "web", false);
  ASSERT_TRUE(unhealthy.has_value());
  EXPECT_EQ(unhealthy->state(), v1::TASK_RUNNING);
  EXPECT_EQ(unhealthy->reason(), v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
  EXPECT_EQ(unhealthy->message(), "HTTP GET http://127.0.0.1:" + port + "/health returned 404");

  ASSERT_TRUE(framework.scheduler.waitForState("web", v1::TASK_KILLED));
  auto killed = framework.scheduler.lastStatus("web");
  ASSERT_TRUE(killed->has_healthy());
  EXPECT_FALSE(killed->healthy());
  EXPECT_NE(killed->message().find("health check failed 3 consecutive times"), std::string::npos)
      << killed->message();
  auto states = framework.scheduler.statesOf("web");
  EXPECT_NE(std::find(states.begin(), states.end(), v1::TASK_KILLING), states.end());
  EXPECT_TRUE(cluster_.waitFor([&] { return jsonHasHealthy(cluster_.findTask("web"), false); }, 10,
                               "the master's /state shows web unhealthy"));
}

// A COMMAND check runs in the sandbox with the task's environment.
TEST_F(HealthChecksTest, CommandCheckReportsHealthy) {
  v1::TaskInfo task = shellTask("cmd", "touch ready; sleep 600");
  *task.mutable_health_check() = fastCheck(v1::HealthCheck::COMMAND);
  task.mutable_health_check()->mutable_command()->set_value(
      "test -f \"$MESOS_SANDBOX/ready\" && test \"$MESOS_TASK_ID\" = cmd");
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  auto healthy = waitForHealth(framework, "cmd", true);
  ASSERT_TRUE(healthy.has_value()) << framework.scheduler.lastStatus("cmd")->DebugString();
  EXPECT_EQ(healthy->message(), "COMMAND health check '" + task.health_check().command().value() +
                                    "' exited with status 0");
  // Reported once: the next checks succeed too and are not repeated.
  framework.driver->killTask(task.task_id(), healthy->agent_id(), 0.5);
  ASSERT_TRUE(framework.scheduler.waitForState("cmd", v1::TASK_KILLED));
  int healthUpdates = 0;
  for (const auto& status : framework.scheduler.updatesOf("cmd")) {
    healthUpdates += status.reason() == v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED;
  }
  EXPECT_EQ(healthUpdates, 1);
  EXPECT_FALSE(framework.scheduler.lastStatus("cmd")->has_healthy())
      << "a kill by the framework says nothing of health";
}

// The master refuses a task with a bad health check before it reaches the agent.
TEST_F(HealthChecksTest, InvalidHealthCheckIsATaskError) {
  v1::TaskInfo task = shellTask("bad", "sleep 600");
  *task.mutable_health_check() = fastCheck(v1::HealthCheck::HTTP);  // No port.
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("bad", v1::TASK_ERROR));
  EXPECT_NE(framework.scheduler.lastStatus("bad")->message().find("health_check.http.port"),
            std::string::npos)
      << framework.scheduler.lastStatus("bad")->message();
}

}  // namespace
}  // namespace agora::testing
