// Where and how agora-services runs tasks, against a real cluster: constraints, roles,
// unreachable agents, container apps (bridge, port mappings, volumes) and fetched files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/services/services_cluster.hpp"
#include "tests/support/file_server.hpp"
#include "tests/support/test_image.hpp"

namespace agora::testing {
namespace {

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

}  // namespace
}  // namespace agora::testing
