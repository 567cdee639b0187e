// agora-services at scale (issue 5): a real agora-master, simulated agents over ZeroMQ (in
// child processes) and a real agora-services process, driven through its REST API.
// Prints `NAME VALUE UNIT` lines:
//   services_post_to_all_running_<N>_instances_s  POST /v2/apps of N instances until
//                                                 GET /v2/apps/{id} shows N tasksRunning
//   services_instances_per_s                     N over that time (Marathon: ≈35/s)
//   services_post_app_p99_ms                     creating many small apps, one by one
//   services_get_apps_<A>_apps_p50_ms / _p99_ms  GET /v2/apps with A apps of one task each
//
// Usage: services_bench [--agents=100] [--instances=500] [--apps=1000] [--bin_dir=DIR]
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench/bench_support.hpp"
#include "bench/percentile.hpp"
#include "bench/simulated_agents.hpp"
#include "tests/support/process.hpp"

namespace agora::bench {
namespace {

using nlohmann::json;

// A count of the app, from the list (which, unlike GET /v2/apps/{id}, does not carry every
// task: polling must not load agora-services more than the launch it measures).
int appCount(httplib::Client& client, const std::string& id, const char* field) {
  auto result = client.Get("/v2/apps?id=" + id);
  if (!result || result->status != 200) {
    return -1;
  }
  json body = json::parse(result->body, nullptr, false);
  return body.is_discarded() || body["apps"].empty() ? -1 : body["apps"][0].value(field, -1);
}

// Creates `count` apps of one small task each; returns each POST's latency in ms.
std::vector<double> createApps(httplib::Client& client, int count) {
  std::vector<double> latencies;
  for (int i = 0; i < count; ++i) {
    json app = {{"id", "/many/app-" + std::to_string(i)},
                {"cmd", "sleep 1000"},
                {"cpus", 0.01},
                {"mem", 1},
                {"instances", 1}};
    double start = nowSeconds();
    auto result = client.Post("/v2/apps", app.dump(), "application/json");
    latencies.push_back((nowSeconds() - start) * 1000);
    if (!result || result->status != 201) {
      std::cerr << "services_bench: creating app " << i
                << " failed: " << (result ? result->body : httplib::to_string(result.error()))
                << std::endl;
      break;
    }
    if (i % 200 == 199) {
      std::cerr << "services_bench: " << i + 1 << " of " << count << " apps created" << std::endl;
    }
  }
  return latencies;
}

int run(int argc, char** argv) {
  int agents = std::stoi(flag(argc, argv, "agents", "100"));
  int instances = std::stoi(flag(argc, argv, "instances", "500"));
  int apps = std::stoi(flag(argc, argv, "apps", "1000"));
  std::string binDir = flag(argc, argv, "bin_dir", ".");
  raiseFdLimit();
  char dir[] = "/tmp/agora-services-bench-XXXXXX";
  mkdtemp(dir);
  int masterPort = testing::freePort();
  pid_t master = startMaster(binDir, dir, masterPort, "1");
  HostPort http{"127.0.0.1", masterPort};
  auto endpoint = waitForMasterEndpoint(http);
  if (!endpoint.isOk()) {
    std::cerr << "services_bench: " << endpoint.status().message() << std::endl;
    kill(master, SIGKILL);
    return 1;
  }
  std::vector<pid_t> simulators =
      startSimulatedAgents(*endpoint, agents, "cpus:64;mem:262144;disk:100000", 0);
  int servicesPort = testing::freePort();
  auto services =
      testing::Process::spawn({binDir + "/agora-services", "--master=" + http.toString(),
                               "--http_port=" + std::to_string(servicesPort),
                               "--work_dir=" + std::string(dir) + "/services", "--minloglevel=1"},
                              std::string(dir) + "/services.log");
  httplib::Client client("127.0.0.1", servicesPort);
  client.set_read_timeout(60);
  auto cleanUp = [&] {
    services.reset();
    for (pid_t child : simulators) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
    }
    kill(master, SIGTERM);
    waitpid(master, nullptr, 0);
    int ignored = std::system(("rm -rf " + std::string(dir)).c_str());
    (void)ignored;
  };
  double start = nowSeconds();
  while (nowSeconds() - start < 30) {
    auto info = client.Get("/v2/info");
    if (info && info->status == 200 &&
        json::parse(info->body, nullptr, false).value("frameworkId", json()).is_string()) {
      break;
    }
    usleep(20000);
  }
  std::cerr << "services_bench: agora-services subscribed; " << agents << " agents" << std::endl;

  json big = {{"id", "/bench/big"},
              {"cmd", "sleep 1000"},
              {"cpus", 0.01},
              {"mem", 1},
              {"instances", instances}};
  start = nowSeconds();
  auto posted = client.Post("/v2/apps", big.dump(), "application/json");
  if (!posted || posted->status != 201) {
    std::cerr << "services_bench: POST failed" << std::endl;
    cleanUp();
    return 1;
  }
  int running = 0;
  while (running < instances && nowSeconds() - start < 100) {
    running = appCount(client, "/bench/big", "tasksRunning");
    usleep(2000);
  }
  double elapsed = nowSeconds() - start;
  std::printf("services_post_to_all_running_%d_instances_s %.3f s\n", instances, elapsed);
  std::printf("services_instances_per_s %.0f instances/s\n", running / elapsed);

  std::vector<double> posts = createApps(client, apps - 1);
  std::printf("services_post_app_p99_ms %.2f ms\n", percentileOf(posts, 0.99));
  std::vector<double> gets;
  for (int i = 0; i < 200; ++i) {
    double begin = nowSeconds();
    auto list = client.Get("/v2/apps");
    gets.push_back((nowSeconds() - begin) * 1000);
    if (!list || list->status != 200) {
      std::cerr << "services_bench: GET /v2/apps failed" << std::endl;
      break;
    }
  }
  std::printf("services_get_apps_%d_apps_p50_ms %.2f ms\n", apps, percentileOf(gets, 0.5));
  std::printf("services_get_apps_%d_apps_p99_ms %.2f ms\n", apps, percentileOf(gets, 0.99));
  cleanUp();
  return running == instances ? 0 : 1;
}

}  // namespace
}  // namespace agora::bench

int main(int argc, char** argv) { return agora::bench::run(argc, argv); }
