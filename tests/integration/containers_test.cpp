// Tasks with an image, end to end: a real master and agent, the image built offline and
// pushed to a real registry on loopback, pulled by the executor and run under runc.
// Skipped (with the reason) where containers cannot run: not root, no runc, no registry.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "agora/sdk/operations.hpp"
#include "common/http/http.hpp"
#include "slave/executor/container_runner.hpp"
#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/test_image.hpp"

namespace agora::testing {
namespace {

namespace fs = std::filesystem;

class ContainersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = TestRegistry::whyUnavailable();
    if (why.empty() && geteuid() != 0) why = "containers need root";
    if (why.empty() && std::system("command -v runc >/dev/null 2>&1") != 0) {
      why = "runc is not installed (scripts/install-deps installs it)";
    }
    if (!why.empty()) GTEST_SKIP() << why;
    registry_ = std::make_unique<TestRegistry>(cluster_.dir() + "/registry");
    ASSERT_TRUE(registry_->error().empty()) << registry_->error();
    std::string pushed = registry_->pushBusybox("tests/busybox:1.0");
    ASSERT_TRUE(pushed.empty()) << pushed;
    cluster_.startMaster();
    cluster_.startAgent(
        0, "cpus:2;mem:1024;disk:1024;ports:[31000-31100]",
        {"--insecure_registries=" + registry_->address(), "--allowed_host_paths=" + sharedDir()});
    ASSERT_TRUE(cluster_.waitForAgents(1));
  }

  // The one host directory the agent lets containers mount.
  std::string sharedDir() const { return cluster_.dir() + "/shared"; }

  v1::TaskInfo imageTask(const std::string& id, const std::string& command,
                         const std::string& resources = "cpus:0.5;mem:64") {
    v1::TaskInfo task = shellTask(id, command, resources);
    task.mutable_container()->mutable_image()->set_reference(registry_->address() +
                                                             "/tests/busybox:1.0");
    return task;
  }

  std::string sandboxFile(const std::string& taskId, const std::string& file) {
    return cluster_.sandboxFile(0, taskId, file);
  }

  TestCluster cluster_;
  std::unique_ptr<TestRegistry> registry_;
};

TEST_F(ContainersTest, TaskRunsInItsImageWithItsOwnPidOneAndHostname) {
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(imageTask(
      "boxed", "echo pid=$$; hostname; cat /etc/agora-test; echo sandbox=$MESOS_SANDBOX; pwd"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("boxed", v1::TASK_FINISHED, 60))
      << (framework.scheduler.lastStatus("boxed")
              ? framework.scheduler.lastStatus("boxed")->message()
              : "no status");
  std::string out = sandboxFile("boxed", "stdout");
  EXPECT_NE(out.find("pid=1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\nboxed\n"), std::string::npos) << out;     // Hostname: the task id.
  EXPECT_NE(out.find("second layer"), std::string::npos) << out;  // The image's files.
  EXPECT_NE(out.find("sandbox=/mnt/mesos/sandbox\n/mnt/mesos/sandbox"), std::string::npos) << out;
  // Finished: nothing of the container is left (runc's state, its cgroups, its bundle).
  std::string sandbox = cluster_.sandboxDir(0, "boxed");
  ASSERT_FALSE(sandbox.empty());
  std::string id = slave::containerIdForSandbox(sandbox);
  EXPECT_TRUE(std::filesystem::is_empty(cluster_.dir() + "/agent0/runc"));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/memory" + slave::containerCgroupsPath(id)));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/pids" + slave::containerCgroupsPath(id)));
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup" + slave::containerCgroupsPath(id)));
  EXPECT_FALSE(std::filesystem::exists(sandbox + ".container"));
}

TEST_F(ContainersTest, OverItsMemoryLimitATaskIsOomKilledAndItsNeighbourRunsOn) {
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(imageTask("neighbour", "sleep 1000"));
  framework.scheduler.queueTask(imageTask(
      "hog", "x=$(head -c 200000000 /dev/zero | tr '\\0' x); echo survived", "cpus:0.5;mem:32"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("hog", v1::TASK_FAILED, 60));
  auto hog = framework.scheduler.lastStatus("hog");
  EXPECT_EQ(hog->reason(), v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY)
      << v1::TaskStatus::Reason_Name(hog->reason()) << ": " << hog->message();
  EXPECT_NE(hog->message().find("Memory limit exceeded"), std::string::npos) << hog->message();
  ASSERT_TRUE(framework.scheduler.waitForState("neighbour", v1::TASK_RUNNING, 60))
      << "neighbour: " << framework.scheduler.statesOf("neighbour").size() << " updates; "
      << sandboxFile("neighbour", "executor.log");
  EXPECT_EQ(framework.scheduler.lastStatus("neighbour")->state(), v1::TASK_RUNNING);
  // A bare `sleep` as pid 1 ignores SIGTERM: the grace period's SIGKILL ends it.
  framework.driver->killTask(framework.scheduler.lastStatus("neighbour")->task_id(),
                             framework.scheduler.lastStatus("neighbour")->agent_id(), 0.5);
  ASSERT_TRUE(framework.scheduler.waitForState("neighbour", v1::TASK_KILLED, 30));
}

TEST_F(ContainersTest, AnImageThatDoesNotExistFailsTheTaskNamingIt) {
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo task = imageTask("ghost", "true");
  task.mutable_container()->mutable_image()->set_reference(registry_->address() +
                                                           "/tests/nothing:1.0");
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("ghost", v1::TASK_FAILED, 60));
  auto status = framework.scheduler.lastStatus("ghost");
  EXPECT_EQ(status->reason(), v1::TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_NE(status->message().find("tests/nothing:1.0 not found"), std::string::npos)
      << status->message();
}

// Fetched files are in the sandbox the container mounts: the task runs a fetched script
// (made executable) inside its image.
TEST_F(ContainersTest, FetchedFilesAreInTheContainersSandbox) {
  std::string script = cluster_.dir() + "/hello-box.sh";
  std::ofstream(script) << "#!/bin/sh\necho fetched script in $(pwd)\n";
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo task = imageTask("fetched", "./hello-box.sh");
  auto* uri = task.mutable_command()->add_uris();
  uri->set_value("file://" + script);
  uri->set_executable(true);
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("fetched", v1::TASK_FINISHED, 60))
      << framework.scheduler.lastStatus("fetched")->message();
  std::string out = sandboxFile("fetched", "stdout");
  EXPECT_NE(out.find("fetched script in /mnt/mesos/sandbox"), std::string::npos) << out;
}

TEST_F(ContainersTest, AgoraRunRunsACommandInAnImage) {
  std::string out;
  int status = cluster_.runTool({binDir() + "/agora", "--master=" + cluster_.masterAddress(), "run",
                                 "--image", registry_->address() + "/tests/busybox:1.0", "--", "sh",
                                 "-c", "echo in-container; cat /etc/agora-test; exit 7"},
                                &out, 120);
  EXPECT_EQ(status, 7) << out;
  EXPECT_NE(out.find("in-container"), std::string::npos) << out;
  EXPECT_NE(out.find("second layer"), std::string::npos) << out;
}

// The executor, not the agent, supervises the container: an agent killed with -9 and
// restarted finds the task still running and can still kill it.
TEST_F(ContainersTest, AContainerOutlivesAnAgentKill9AndIsRecovered) {
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(
      imageTask("durable", "trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("durable", v1::TASK_RUNNING, 60));
  size_t updates = framework.scheduler.statesOf("durable").size();
  cluster_.stopAgent(0, SIGKILL);
  cluster_.startAgent(0, "cpus:2;mem:1024;disk:1024;ports:[31000-31100]",
                      {"--insecure_registries=" + registry_->address()});
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto agent = cluster_.agentState(0);
        return !agent.is_null() && cluster_.state()["activated_slaves"] == 1;
      },
      30, "the restarted agent is registered"));
  EXPECT_EQ(cluster_.findTask("durable")["state"], "TASK_RUNNING");
  EXPECT_EQ(framework.scheduler.statesOf("durable").size(), updates);  // Nothing lost.
  framework.driver->killTask(framework.scheduler.lastStatus("durable")->task_id(),
                             framework.scheduler.lastStatus("durable")->agent_id(), 5.0);
  ASSERT_TRUE(framework.scheduler.waitForState("durable", v1::TASK_KILLED, 30));
  EXPECT_NE(sandboxFile("durable", "stdout").find("bye"), std::string::npos);
}

// Persistent volumes are bind-mounted into the container (the sandbox's symlink would
// point nowhere inside it), and a read-only volume cannot be written.
TEST_F(ContainersTest, PersistentVolumesAreMountedAndReadOnlyOnesStayUnwritten) {
  cluster_.stopAgent(0, SIGTERM);
  cluster_.startAgent(1, "cpus:2;mem:1024;disk:1024;disk(eng):256",
                      {"--insecure_registries=" + registry_->address()});
  TestFramework framework(cluster_.masterAddress(), {.name = "volumes", .role = "eng"});
  framework.scheduler.setDeclineUnused(false);
  ASSERT_TRUE(framework.start());
  const v1::Resource rw = sdk::persistentVolume("eng", "rw-1", "data", 32);
  const v1::Resource ro = sdk::persistentVolume("eng", "ro-1", "config", 32, v1::Volume::RO);
  v1::TaskInfo task = imageTask(
      "mounted", "echo kept > data/file && ! touch config/nope 2>/dev/null && echo ro-enforced");
  *task.add_resources() = rw;
  *task.add_resources() = ro;
  size_t seen = 0;
  auto offer = nextOfferWith(framework, seen, [](const Resources& r) {
    return r.reservedTo("eng").scalar("disk") >= 64 && r.scalar("mem") >= 64;
  });
  ASSERT_TRUE(offer.has_value());
  v1::Filters now;
  now.set_refuse_seconds(0);
  framework.driver->acceptOffers({offer->id()}, {sdk::createVolumes({rw, ro}), sdk::launch({task})},
                                 now);
  ASSERT_TRUE(framework.scheduler.waitForState("mounted", v1::TASK_FINISHED, 60))
      << (framework.scheduler.lastStatus("mounted")
              ? framework.scheduler.lastStatus("mounted")->message()
              : "no status");
  std::ifstream kept(cluster_.dir() + "/agent1/volumes/roles/eng/rw-1/file");
  std::string text((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "kept\n");
  EXPECT_FALSE(fs::exists(cluster_.dir() + "/agent1/volumes/roles/eng/ro-1/nope"));
}

// Host directories mount only from under the agent's allow-list; sandbox-relative ones
// are directories of the sandbox.
TEST_F(ContainersTest, HostPathVolumesNeedTheAllowListAndSandboxPathsWork) {
  std::string shared = sharedDir();
  fs::create_directories(shared);
  std::ofstream(shared + "/greeting") << "from the host\n";
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo allowed = imageTask(
      "allowed", "cat /srv/greeting && ! touch /srv/nope 2>/dev/null && echo kept > cache/f");
  auto* ro = allowed.mutable_container()->add_volumes();
  ro->set_host_path(shared);
  ro->set_container_path("/srv");
  ro->set_mode(v1::Volume::RO);
  auto* scratch = allowed.mutable_container()->add_volumes();
  scratch->set_host_path("scratch");
  scratch->set_container_path("cache");
  v1::TaskInfo denied = imageTask("denied", "true");
  auto* etc = denied.mutable_container()->add_volumes();
  etc->set_host_path("/etc");
  etc->set_container_path("/host-etc");
  framework.scheduler.queueTask(allowed);
  framework.scheduler.queueTask(denied);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("allowed", v1::TASK_FINISHED, 60))
      << framework.scheduler.statesOf("allowed").size() << " updates; "
      << (framework.scheduler.lastStatus("allowed")
              ? v1::TaskState_Name(framework.scheduler.lastStatus("allowed")->state()) + ": " +
                    framework.scheduler.lastStatus("allowed")->message()
              : "no status")
      << sandboxFile("allowed", "executor.log");
  EXPECT_NE(sandboxFile("allowed", "stdout").find("from the host"), std::string::npos);
  EXPECT_EQ(sandboxFile("allowed", "scratch/f"), "kept\n");
  EXPECT_FALSE(fs::exists(shared + "/nope"));
  ASSERT_TRUE(framework.scheduler.waitForState("denied", v1::TASK_FAILED, 60));
  EXPECT_NE(framework.scheduler.lastStatus("denied")->message().find("--allowed_host_paths"),
            std::string::npos)
      << framework.scheduler.lastStatus("denied")->message();
}

// Images imported on the agent's host (no registry involved) run under their
// names: an OCI layout under the name given, a `docker save` tarball (made by
// skopeo) under its tag.
TEST_F(ContainersTest, ImportedImagesRunWithoutARegistry) {
  std::string layout = cluster_.dir() + "/offline-layout";
  std::string built = buildBusyboxLayout(layout);
  ASSERT_TRUE(built.empty()) << built;
  std::string archive = cluster_.dir() + "/saved.tar";
  ASSERT_EQ(std::system(("skopeo --insecure-policy copy -q oci:" + layout +
                         ":busybox docker-archive:" + archive + ":saved/box:7 >/dev/null 2>&1")
                            .c_str()),
            0);
  std::string out;
  ASSERT_EQ(cluster_.runTool({binDir() + "/agora", "image", "import", layout, "--name", "busybox",
                              "--as", "offline/box:1", "--work_dir", cluster_.dir() + "/agent0"},
                             &out),
            0)
      << out;
  EXPECT_NE(out.find("as docker.io/offline/box:1"), std::string::npos) << out;
  ASSERT_EQ(cluster_.runTool({binDir() + "/agora", "image", "import", archive, "--work_dir",
                              cluster_.dir() + "/agent0"},
                             &out),
            0)
      << out;
  EXPECT_NE(out.find("as docker.io/saved/box:7"), std::string::npos) << out;
  TestFramework framework(cluster_.masterAddress());
  for (const auto& [id, reference] :
       {std::pair<std::string, std::string>{"offline", "offline/box:1"},
        {"saved", "saved/box:7"}}) {
    v1::TaskInfo task = imageTask(id, "cat /etc/agora-test");
    task.mutable_container()->mutable_image()->set_reference(reference);
    framework.scheduler.queueTask(task);
  }
  ASSERT_TRUE(framework.start());
  for (const char* id : {"offline", "saved"}) {
    ASSERT_TRUE(framework.scheduler.waitForState(id, v1::TASK_FINISHED, 60))
        << id << ": " << framework.scheduler.lastStatus(id)->message();
    EXPECT_NE(sandboxFile(id, "stdout").find("second layer"), std::string::npos) << id;
  }
}

// The agent's /monitor/statistics shows a running container's limits and usage from its
// cgroups (Mesos' field names).
TEST_F(ContainersTest, MonitorStatisticsShowsAContainersUsageAndLimits) {
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(imageTask(
      "busy", "x=$(head -c 5000000 /dev/zero | tr '\\0' y); i=0; while true; do i=$((i+1)); done",
      "cpus:0.5;mem:96"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("busy", v1::TASK_RUNNING, 60));
  auto agent = cluster_.state()["slaves"][0];
  std::string http = agent["http_address"].get<std::string>();
  nlohmann::json entry;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto stats = httpGetJson(*parseHostPort(http), "/monitor/statistics");
        if (!stats.isOk() || stats->empty()) return false;
        entry = (*stats)[0];
        return entry["statistics"].value("cpus_user_time_secs", 0.0) > 0.05 &&
               entry["statistics"].value("mem_rss_bytes", 0) > 1000000;
      },
      30, "the container's cpu time and memory show"))
      << entry.dump();
  EXPECT_EQ(entry["executor_id"], "busy");
  EXPECT_EQ(entry["framework_id"], framework.id());
  EXPECT_DOUBLE_EQ(entry["statistics"]["cpus_limit"].get<double>(), 0.5);
  EXPECT_EQ(entry["statistics"]["mem_limit_bytes"].get<uint64_t>(), 96ull << 20);
  // The master's /state shows the agent's containers summed, from its heartbeats.
  nlohmann::json usage;
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        usage = cluster_.state()["slaves"][0]["container_usage"];
        return usage.value("containers", 0) == 1 && usage.value("cpus_user_time_secs", 0.0) > 0.05;
      },
      30, "the master's /state sums the agent's container usage"))
      << usage.dump();
  EXPECT_EQ(usage["mem_limit_bytes"].get<uint64_t>(), 96ull << 20);
  EXPECT_DOUBLE_EQ(usage["cpus_limit"].get<double>(), 0.5);
  EXPECT_GT(usage["mem_rss_bytes"].get<uint64_t>(), 1000000u);
}

// Reads what a TCP server at 127.0.0.1:`port` sends before closing ("" if none answers).
std::string readFromPort(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A lost SYN would otherwise hold connect() for two minutes of retransmissions; the
  // callers' waitFor retries instead.
  timeval timeout{.tv_sec = 2, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string text;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    char buffer[256];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  }
  close(fd);
  return text;
}

TEST_F(ContainersTest, BridgeNetworkingPublishesAContainerPortOnAHostPort) {
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo task =
      imageTask("bridged",
                "echo ip=$AGORA_CONTAINER_IP; /bin/busybox nc -l -p 8080 -e /bin/echo hello-bridge",
                "cpus:0.5;mem:64;ports:[31050-31050]");
  task.mutable_container()->set_network(v1::ContainerInfo::BRIDGE);
  auto* mapping = task.mutable_container()->add_port_mappings();
  mapping->set_host_port(31050);
  mapping->set_container_port(8080);
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("bridged", v1::TASK_RUNNING, 60));
  std::string answer;
  EXPECT_TRUE(cluster_.waitFor(
      [&] {
        answer = readFromPort(31050);
        return answer.find("hello-bridge") != std::string::npos;
      },
      20, "the container answers on host port 31050"))
      << answer;
  ASSERT_TRUE(framework.scheduler.waitForState("bridged", v1::TASK_FINISHED, 30));
  EXPECT_NE(sandboxFile("bridged", "stdout").find("ip=10.88."), std::string::npos)
      << sandboxFile("bridged", "stdout");
  EXPECT_NE(readFromPort(31050), "hello-bridge\n");  // Unpublished once the task ended.
}

// Health checks of a container: a COMMAND runs inside it (`runc exec`; the file it tests
// exists only at the sandbox's path in the container), and on a BRIDGE network an HTTP
// check reaches the container's own address on its container port.
TEST_F(ContainersTest, HealthChecksRunInsideTheContainerAndOnItsBridgeAddress) {
  auto fastCheck = [](v1::TaskInfo& task, v1::HealthCheck::Type type) {
    auto* check = task.mutable_health_check();
    check->set_type(type);
    check->set_delay_seconds(0);
    check->set_interval_seconds(0.2);
    check->set_grace_period_seconds(30);
    return check;
  };
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo inside = imageTask("inside", "touch ready; sleep 600");
  fastCheck(inside, v1::HealthCheck::COMMAND)
      ->mutable_command()
      ->set_value("test -f /mnt/mesos/sandbox/ready");
  v1::TaskInfo web = imageTask(
      "web", "mkdir -p www && echo ok > www/health && exec /bin/busybox httpd -f -p 8080 -h www",
      "cpus:0.5;mem:64;ports:[31060-31060]");
  web.mutable_container()->set_network(v1::ContainerInfo::BRIDGE);
  auto* mapping = web.mutable_container()->add_port_mappings();
  mapping->set_host_port(31060);
  mapping->set_container_port(8080);
  auto* http = fastCheck(web, v1::HealthCheck::HTTP)->mutable_http();
  http->set_port(8080);
  http->set_path("/health");
  framework.scheduler.queueTask(inside);
  framework.scheduler.queueTask(web);
  ASSERT_TRUE(framework.start());
  std::map<std::string, std::string> healthyMessage;
  for (const std::string id : {"inside", "web"}) {
    EXPECT_TRUE(framework.scheduler.waitUntil(
        [&] {
          for (const auto& status : framework.scheduler.updatesOfLocked(id)) {
            if (status.has_healthy() && status.healthy()) healthyMessage[id] = status.message();
          }
          return healthyMessage.count(id) > 0;
        },
        60))
        << id << ": " << framework.scheduler.lastStatus(id)->DebugString();
  }
  EXPECT_NE(healthyMessage["web"].find("HTTP GET http://10.88."), std::string::npos)
      << healthyMessage["web"];
  for (const std::string id : {"inside", "web"}) {
    framework.driver->killTask(framework.scheduler.lastStatus(id)->task_id(),
                               framework.scheduler.lastStatus(id)->agent_id(), 0.5);
    EXPECT_TRUE(framework.scheduler.waitForState(id, v1::TASK_KILLED, 30)) << id;
  }
}

TEST_F(ContainersTest, APortMappingOutsideTheTasksPortsIsRefused) {
  TestFramework framework(cluster_.masterAddress());
  v1::TaskInfo task = imageTask("greedy", "true", "cpus:0.5;mem:64;ports:[31060-31060]");
  task.mutable_container()->set_network(v1::ContainerInfo::BRIDGE);
  auto* mapping = task.mutable_container()->add_port_mappings();
  mapping->set_host_port(80);
  mapping->set_container_port(80);
  framework.scheduler.queueTask(task);
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("greedy", v1::TASK_FAILED, 60));
  EXPECT_NE(framework.scheduler.lastStatus("greedy")->message().find("host port 80"),
            std::string::npos)
      << framework.scheduler.lastStatus("greedy")->message();
}

TEST_F(ContainersTest, APodsContainersShareANetworkNamespaceAndADirectory) {
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.setDeclineUnused(false);
  ASSERT_TRUE(framework.start());
  auto inPod = [&](const std::string& id, const std::string& command,
                   const std::string& resources) {
    v1::TaskInfo task = imageTask(id, command, resources);
    task.mutable_container()->set_network(v1::ContainerInfo::BRIDGE);
    auto* volume = task.mutable_container()->add_volumes();
    volume->set_host_path("exchange");
    volume->set_container_path("/mnt/pod");
    volume->set_parent_sandbox(true);
    return task;
  };
  v1::TaskInfo server = inPod("server",
                              "echo ip=$AGORA_CONTAINER_IP; echo shared-file > /mnt/pod/note; "
                              "while true; do /bin/busybox nc -l -p 8080 -e /bin/echo hello-pod; "
                              "done",
                              "cpus:0.5;mem:64;ports:[31070-31070]");
  auto* mapping = server.mutable_container()->add_port_mappings();
  mapping->set_host_port(31070);
  mapping->set_container_port(8080);
  // Reaches the server on the pod's loopback: only a shared network namespace
  // allows that.
  v1::TaskInfo client = inPod("client",
                              "echo ip=$AGORA_CONTAINER_IP; "
                              "until /bin/busybox nc 127.0.0.1 8080 > got && [ -s got ]; do "
                              "sleep 0.1; done; cat got; cat /mnt/pod/note",
                              "cpus:0.5;mem:64");
  size_t seen = 0;
  auto offer = nextOfferWith(framework, seen, [](const Resources& r) {
    return r.scalar("cpus") >= 1 && !r.ranges("ports").empty();
  });
  ASSERT_TRUE(offer.has_value());
  framework.driver->acceptOffers({offer->id()}, {sdk::launchGroup("web", {server, client})});
  ASSERT_TRUE(framework.scheduler.waitForState("client", v1::TASK_FINISHED, 90))
      << framework.scheduler.lastStatus("client")->message() << sandboxFile("client", "stderr");
  std::string out = sandboxFile("client", "stdout");
  EXPECT_NE(out.find("hello-pod\nshared-file\n"), std::string::npos) << out;
  std::string serverOut = sandboxFile("server", "stdout");
  std::string ip = serverOut.substr(0, serverOut.find('\n'));
  EXPECT_EQ(ip.rfind("ip=10.88.", 0), 0u) << serverOut;
  EXPECT_EQ(out.rfind(ip + "\n", 0), 0u) << "one address for the pod: " << out << serverOut;
  // The client finished; the server runs on and answers on its published host
  // port.
  EXPECT_EQ(framework.scheduler.lastStatus("server")->state(), v1::TASK_RUNNING);
  std::string answer;
  EXPECT_TRUE(cluster_.waitFor(
      [&] {
        answer = readFromPort(31070);
        return answer == "hello-pod\n";
      },
      20, "the pod answers on host port 31070"))
      << answer;
  framework.driver->killTask(framework.scheduler.lastStatus("server")->task_id(),
                             framework.scheduler.lastStatus("server")->agent_id(), 0.5);
  ASSERT_TRUE(framework.scheduler.waitForState("server", v1::TASK_KILLED, 30));
  // The last task out removed the pod's namespace.
  EXPECT_TRUE(cluster_.waitFor(
      [&] {
        std::error_code ignored;
        for (const auto& entry : fs::directory_iterator("/var/run/netns", ignored)) {
          if (entry.path().filename().string().rfind("agora-pod-", 0) == 0) return false;
        }
        return true;
      },
      20, "the pod's network namespace is deleted"));
}

// An executor killed under its running container: the agent reports the task failed and
// destroys the container (its processes, its rootfs mount), which would run on otherwise.
TEST_F(ContainersTest, TheAgentDestroysTheContainerOfAnExecutorThatDied) {
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(imageTask("orphan", "exec sleep 1000"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("orphan", v1::TASK_RUNNING, 60));
  auto mounted = [&] {
    std::ifstream in("/proc/self/mounts");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find(cluster_.dir() + "/agent0/sandboxes/") != std::string::npos;
  };
  EXPECT_TRUE(mounted()) << "the rootfs is an overlay mount";
  std::string runcRoot = cluster_.dir() + "/agent0/runc";
  auto containers = [&] {
    std::string out;
    cluster_.runTool({"/usr/bin/env", "runc", "--root", runcRoot, "list", "-q"}, &out, 30);
    return out;
  };
  ASSERT_FALSE(containers().empty());
  ASSERT_EQ(std::system(("pkill -9 -f '[a]gora-executor.*" + cluster_.dir() +
                         ".*--task_id=orphan' >/dev/null 2>&1")
                            .c_str()),
            0);
  ASSERT_TRUE(framework.scheduler.waitForState("orphan", v1::TASK_FAILED, 60));
  EXPECT_EQ(framework.scheduler.lastStatus("orphan")->reason(),
            v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
  EXPECT_TRUE(cluster_.waitFor([&] { return containers().empty() && !mounted(); }, 30,
                               "the container and its rootfs mount are gone"))
      << containers();
}

// `command.user` as a name resolves in the image's /etc/passwd and /etc/group.
TEST_F(ContainersTest, ANamedUserRunsWithTheImagesIds) {
  TestFramework framework(cluster_.masterAddress());
  for (const auto& [id, user] : {std::pair<std::string, std::string>{"as-app", "app"},
                                 {"as-app-staff", "app:staff"},
                                 {"as-ghost", "ghost"}}) {
    v1::TaskInfo task = imageTask(id, "echo $(id -u):$(id -g)");
    task.mutable_command()->set_user(user);
    framework.scheduler.queueTask(task);
  }
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("as-app", v1::TASK_FINISHED, 60))
      << framework.scheduler.lastStatus("as-app")->message();
  EXPECT_EQ(sandboxFile("as-app", "stdout"), "1234:1300\n");
  ASSERT_TRUE(framework.scheduler.waitForState("as-app-staff", v1::TASK_FINISHED, 60));
  EXPECT_EQ(sandboxFile("as-app-staff", "stdout"), "1234:50\n");
  ASSERT_TRUE(framework.scheduler.waitForState("as-ghost", v1::TASK_FAILED, 60));
  EXPECT_NE(framework.scheduler.lastStatus("as-ghost")
                ->message()
                .find("user 'ghost' is not a number and not in the image's /etc/passwd"),
            std::string::npos)
      << framework.scheduler.lastStatus("as-ghost")->message();
}

// Two tasks of one image launched together on an agent that does not have it: one pull.
TEST_F(ContainersTest, ConcurrentLaunchesOfOneImagePullItOnce) {
  TestFramework framework(cluster_.masterAddress());
  framework.scheduler.queueTask(imageTask("first", "true"));
  framework.scheduler.queueTask(imageTask("second", "true"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("first", v1::TASK_FINISHED, 60));
  ASSERT_TRUE(framework.scheduler.waitForState("second", v1::TASK_FINISHED, 60));
  int pulls = 0;
  int cached = 0;
  for (const char* id : {"first", "second"}) {
    std::string log = sandboxFile(id, "executor.log");
    pulls += log.find("pulling " + registry_->address()) != std::string::npos ? 1 : 0;
    cached += log.find("is in the store") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(pulls, 1);
  EXPECT_EQ(cached, 1);
}

}  // namespace
}  // namespace agora::testing
