// The offer cycle end to end at scale: a real agora-master process, N simulated agents
// (each its own ZeroMQ connection, in this process) and a framework on the real SDK that
// launches tasks as fast as offers arrive. Prints `NAME VALUE UNIT` lines:
//   placement_tasks_per_s_<N>_agents, offers_per_s_<N>_agents,
//   offer_to_running_p50_ms_<N>_agents, offer_to_running_p99_ms_<N>_agents,
//   alloc_cycle_in_master_<N>_agents_ms. The simulated agents run in child processes.
// `--keep=true` keeps the master's work dir and log.
//
// With `--concurrency=C` it measures latency instead, under steady load (SteadyScheduler: C
// tasks of `--task_seconds` each, replaced as they end, for `--seconds`):
//   steady_offered_load, steady_placement, steady_offer_to_running_p50_ms/p99_ms.
//
// With `--task_seconds=0` tasks run until the end, and two more phases run once all are
// RUNNING: `--state=true` times GET /state (and the master loop's longest callback while
// serving it); `--failover=true` kills the master with SIGKILL, restarts it and times until
// every agent re-registered with its tasks, and until the framework gets offers again.
//
// Usage: cluster_bench --agents=N --tasks=T [--task_seconds=S] [--state=true]
//                      [--webui=true] [--failover=true] [--master_minloglevel=0] [--bin_dir=DIR]
//                      [--keep=true]
//        cluster_bench --agents=N --concurrency=C --task_seconds=S [--seconds=D]
//                      [--issue_figure=true]  (print offer_to_running_p99_ms from this run)
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>

#include "agora/sdk/scheduler_driver.hpp"
#include "bench/bench_support.hpp"
#include "bench/percentile.hpp"
#include "bench/simulated_agents.hpp"
#include "bench/steady_scheduler.hpp"
#include "common/http/http.hpp"
#include "common/resources/resources.hpp"
#include "tests/support/process.hpp"

namespace agora::bench {
namespace {

class LaunchingScheduler : public sdk::Scheduler {
 public:
  explicit LaunchingScheduler(long target) : target_(target) {}

  void resourceOffers(sdk::SchedulerDriver* d, const std::vector<v1::Offer>& offers) override {
    double received = nowSeconds();
    std::lock_guard<std::mutex> lock(mutex_);
    offersReceived_ += offers.size();
    Resources task = *Resources::parse("cpus:0.1;mem:32");
    for (const v1::Offer& offer : offers) {
      Resources left = *Resources::fromProto(offer.resources());
      std::vector<v1::TaskInfo> launch;
      while (launched_ < target_ && left.contains(task)) {
        v1::TaskInfo info;
        std::string id = "b" + std::to_string(launched_++);
        info.set_name(id);
        info.mutable_task_id()->set_value(id);
        info.mutable_command()->set_value("true");
        task.toProto(info.mutable_resources());
        launch.push_back(std::move(info));
        offeredAt_[id] = received;
        left -= task;
      }
      // While it has tasks to place it wants every offer back at once; once done it
      // declines for longer, as an idle framework would (it keeps receiving some offers,
      // which is how the failover phase sees offers flowing again).
      v1::Filters filters;
      filters.set_refuse_seconds(launched_ < target_ ? 0.01 : 5);
      if (launch.empty()) {
        d->declineOffer(offer.id(), filters);
      } else {
        d->launchTasks({offer.id()}, launch, filters);
      }
    }
  }

  void statusUpdate(sdk::SchedulerDriver*, const v1::TaskStatus& status) override {
    if (status.state() != v1::TASK_RUNNING) {
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = offeredAt_.find(status.task_id().value());
    if (it != offeredAt_.end()) {
      latencies_.push_back((nowSeconds() - it->second) * 1000);
      offeredAt_.erase(it);
    }
  }

  long running() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<long>(latencies_.size());
  }
  long offersReceived() {
    std::lock_guard<std::mutex> lock(mutex_);
    return offersReceived_;
  }
  double percentile(double p) {
    std::lock_guard<std::mutex> lock(mutex_);
    return percentileOf(latencies_, p);
  }

 private:
  std::mutex mutex_;
  long target_;
  long launched_ = 0;
  long offersReceived_ = 0;
  std::map<std::string, double> offeredAt_;
  std::vector<double> latencies_;
};

double metric(const HostPort& http, const std::string& name) {
  auto metrics = httpGetJson(http, "/metrics/snapshot");
  return metrics.isOk() ? metrics->value(name, -1.0) : -1;
}

// Times GET /state (best of three) and the master loop's longest callback meanwhile. The
// first request also writes every task's text the master keeps for the next ones (and may
// still share the loop with the end of the placement burst): printed on its own.
void measureState(const HostPort& http, const std::string& suffix, bool issueNames) {
  double first = -1;
  double best = 1e9;
  double stall = 0;
  size_t bytes = 0;
  for (int i = 0; i < 3; ++i) {
    metric(http, "master/loop_max_stall_ms");  // Resets the maximum.
    double start = nowSeconds();
    // Timed as `curl -o /dev/null` times it: cpp-httplib's client reads in 4 KB steps
    // into a growing string, which alone added ~150 ms at 50 MB.
    auto state = curlGetDiscarding("http://" + http.toString() + "/state", 120);
    double millis = (nowSeconds() - start) * 1000;
    if (first < 0) first = millis;
    best = std::min(best, millis);
    bytes = state.isOk() ? *state : 0;
    stall = std::max(stall, metric(http, "master/loop_max_stall_ms"));
  }
  std::printf("state_endpoint_first_request%s_ms %.1f ms\n", suffix.c_str(), first);
  std::printf("state_endpoint%s_ms %.1f ms\n", suffix.c_str(), best);
  std::printf("state_endpoint%s_bytes %zu bytes\n", suffix.c_str(), bytes);
  std::printf("master_loop_max_stall_serving_state%s_ms %.1f ms\n", suffix.c_str(), stall);
  if (issueNames) {
    std::printf("state_endpoint_10k_agents_100k_tasks_ms %.1f ms\n", best);
  }
}

// Times the web UI's paged requests (worst of three each) and the master loop's longest
// callback while they are answered: the lists must stay fast at scale.
void measureWebui(const HostPort& http, const std::string& suffix) {
  const std::pair<const char*, const char*> kPages[] = {
      {"overview", "/overview"},
      {"tasks_page", "/tasks?limit=50&order=des"},
      {"tasks_filtered", "/tasks?limit=50&state=TASK_RUNNING&search=zz"},
      {"agents_page", "/slaves?limit=50&offset=5000"},
      {"agents_search", "/slaves?limit=50&search=zz"},
      {"frameworks_page", "/frameworks?limit=50"},
      {"offers_page", "/offers?limit=50"}};
  metric(http, "master/loop_max_stall_ms");  // Resets the maximum.
  for (const auto& [name, path] : kPages) {
    double worst = 0;
    for (int i = 0; i < 3; ++i) {
      double start = nowSeconds();
      auto reply = httpGet(http, path, std::chrono::seconds(60));
      worst = std::max(worst, reply.isOk() ? (nowSeconds() - start) * 1000 : 1e9);
    }
    std::printf("webui_%s%s_ms %.1f ms\n", name, suffix.c_str(), worst);
  }
  std::printf("master_loop_max_stall_serving_webui%s_ms %.1f ms\n", suffix.c_str(),
              metric(http, "master/loop_max_stall_ms"));
}

// Kills the master, restarts it on the same work dir and port, and times recovery.
pid_t measureFailover(pid_t master, const std::string& binDir, const std::string& dir, int port,
                      const std::string& masterLogLevel, int agents, long tasks,
                      const std::function<long()>& offersReceived, const std::string& suffix,
                      bool issueNames) {
  kill(master, SIGKILL);
  waitpid(master, nullptr, 0);
  long offersBefore = offersReceived();
  double start = nowSeconds();
  master = startMaster(binDir, dir, port, masterLogLevel);
  HostPort http{"127.0.0.1", port};
  double recovered = -1;
  double offersAgain = -1;
  while (nowSeconds() - start < 100 && (recovered < 0 || offersAgain < 0)) {
    // Every 50 ms: each poll is a gauge refresh on the master's loop, which is busy.
    usleep(50000);
    if (recovered < 0 && metric(http, "master/slaves_active") >= agents &&
        metric(http, "master/tasks_active") >= tasks) {
      recovered = nowSeconds() - start;
    }
    if (offersAgain < 0 && offersReceived() > offersBefore) {
      offersAgain = nowSeconds() - start;
    }
  }
  std::printf("master_failover_reregistered%s_s %.2f s\n", suffix.c_str(), recovered);
  // The restarted master holds the same agents and tasks without the placement burst's
  // freed-but-kept memory: its steady-state size.
  std::printf("master_rss_after_failover%s_%ld_tasks_mb %.1f MB\n", suffix.c_str(), tasks,
              residentMegabytes(master));
  std::printf("master_failover_offers_again%s_s %.2f s\n", suffix.c_str(), offersAgain);
  if (issueNames) {
    std::printf("master_failover_10k_agents_100k_tasks_s %.2f s\n",
                std::max(recovered, offersAgain));
  }
  return master;
}

// Steady load (see SteadyScheduler) for `seconds`: the latency figures.
void measureSteady(const HostPort& http, long concurrency, double seconds, double taskSeconds,
                   const std::string& suffix, bool issueNames) {
  SteadyScheduler scheduler(concurrency);
  sdk::DriverOptions options;
  options.master = http.toString();
  options.framework.set_name("bench-steady");
  sdk::SchedulerDriver driver(&scheduler, options);
  driver.start().ignoreError();
  // Warm-up: the first `concurrency` tasks come out of the initial flood of offers.
  double deadline = nowSeconds() + 60;
  while (scheduler.measured() == 0 && nowSeconds() < deadline) {
    usleep(5000);
  }
  // The first replacements still queue behind the flood's declines: let it settle.
  usleep(2000000);
  metric(http, "master/loop_max_stall_ms");  // Resets the maximum.
  scheduler.startWindow();
  double start = nowSeconds();
  usleep(static_cast<useconds_t>(seconds * 1e6));
  double rate = scheduler.measured() / (nowSeconds() - start);
  double stall = metric(http, "master/loop_max_stall_ms");
  double periodicPass = metric(http, "allocator/allocation_run_ms");
  driver.stop(sdk::FailoverMode::kTeardown);
  driver.join().ignoreError();
  std::printf("steady_placement%s %.0f tasks/s\n", suffix.c_str(), rate);
  std::printf("steady_offer_to_running_p50_ms%s %.2f ms\n", suffix.c_str(),
              scheduler.percentile(0.5));
  std::printf("steady_offer_to_running_p90_ms%s %.2f ms\n", suffix.c_str(),
              scheduler.percentile(0.9));
  std::printf("steady_offer_to_running_p99_ms%s %.2f ms\n", suffix.c_str(),
              scheduler.percentile(0.99));
  std::printf("steady_offer_to_running_max_ms%s %.2f ms\n", suffix.c_str(),
              scheduler.percentile(1.0));
  std::printf("steady_master_loop_max_stall%s_ms %.2f ms\n", suffix.c_str(), stall);
  std::printf("steady_periodic_allocation_pass%s_ms %.2f ms\n", suffix.c_str(), periodicPass);
  if (issueNames) {
    std::printf("offer_to_running_p99_ms %.2f ms\n", scheduler.percentile(0.99));
  }
}

}  // namespace
}  // namespace agora::bench

int main(int argc, char** argv) {
  using namespace agora;
  using namespace agora::bench;
  int agents = std::stoi(flag(argc, argv, "agents", "1000"));
  long tasks = std::stol(flag(argc, argv, "tasks", "20000"));
  std::string binDir = flag(argc, argv, "bin_dir", ".");
  raiseFdLimit();
  char dir[] = "/tmp/agora-bench-XXXXXX";
  mkdtemp(dir);
  double taskSeconds = std::stod(flag(argc, argv, "task_seconds", "0.05"));
  std::string masterLogLevel = flag(argc, argv, "master_minloglevel", "1");
  int port = testing::freePort();
  pid_t master = startMaster(binDir, dir, port, masterLogLevel);
  HostPort http{"127.0.0.1", port};
  StatusOr<std::string> endpoint = waitForMasterEndpoint(http);
  if (!endpoint.isOk()) {
    std::cerr << "cluster_bench: " << endpoint.status().message() << std::endl;
    kill(master, SIGKILL);
    return 1;
  }
  std::vector<pid_t> simulators =
      startSimulatedAgents(*endpoint, agents, "cpus:8;mem:16384;disk:100000", taskSeconds);
  double start = nowSeconds();
  int registered = 0;
  while (registered < agents && nowSeconds() - start < 120) {
    usleep(20000);
    auto metrics = httpGetJson(http, "/metrics/snapshot");
    registered = metrics.isOk() ? static_cast<int>(metrics->value("master/slaves_active", 0.0)) : 0;
  }
  double registration = nowSeconds() - start;
  std::cerr << "cluster_bench: " << registered << " agents registered in " << registration
            << "s" << std::endl;

  std::string suffix = "_" + std::to_string(agents) + "_agents";
  auto shutdown = [&] {
    for (pid_t child : simulators) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
    }
    kill(master, SIGTERM);
    waitpid(master, nullptr, 0);
    if (flag(argc, argv, "keep", "false") == "true") {
      std::cerr << "cluster_bench: kept " << dir << std::endl;
    } else {
      std::string cleanup = std::string("rm -rf ") + dir;
      int ignored = std::system(cleanup.c_str());
      (void)ignored;
    }
  };
  long concurrency = std::stol(flag(argc, argv, "concurrency", "0"));
  if (concurrency > 0) {
    long load = std::lround(concurrency / taskSeconds);
    measureSteady(http, concurrency, std::stod(flag(argc, argv, "seconds", "10")), taskSeconds,
                  suffix + "_" + std::to_string(load) + "_tasks_per_s",
                  flag(argc, argv, "issue_figure", "false") == "true");
    shutdown();
    return 0;
  }

  LaunchingScheduler scheduler(tasks);
  sdk::DriverOptions options;
  options.master = http.toString();
  options.framework.set_name("bench");
  options.framework.set_failover_timeout(600);  // Survives the failover phase.
  sdk::SchedulerDriver driver(&scheduler, options);
  double launchStart = nowSeconds();
  driver.start().ignoreError();
  while (scheduler.running() < tasks && nowSeconds() - launchStart < 100) {
    usleep(5000);
  }
  double elapsed = nowSeconds() - launchStart;
  auto metrics = httpGetJson(http, "/metrics/snapshot");
  double allocMillis = metrics.isOk() ? metrics->value("allocator/allocation_run_ms", 0.0) : -1;
  double stallMillis = metrics.isOk() ? metrics->value("master/loop_max_stall_ms", 0.0) : -1;
  double rssMb = residentMegabytes(master);
  std::printf("agent_registration%s_s %.3f s\n", suffix.c_str(), registration);
  std::printf("placement_tasks_per_s%s %.0f tasks/s\n", suffix.c_str(),
              scheduler.running() / elapsed);
  std::printf("offers_per_s%s %.0f offers/s\n", suffix.c_str(),
              scheduler.offersReceived() / elapsed);
  std::printf("offer_to_running_p50_ms%s %.2f ms\n", suffix.c_str(), scheduler.percentile(0.5));
  std::printf("offer_to_running_p99_ms%s %.2f ms\n", suffix.c_str(), scheduler.percentile(0.99));
  std::printf("alloc_cycle_in_master%s_ms %.2f ms\n", suffix.c_str(), allocMillis);
  std::printf("tasks_running%s %ld tasks\n", suffix.c_str(), scheduler.running());
  std::printf("master_loop_max_stall%s_ms %.2f ms\n", suffix.c_str(), stallMillis);
  std::printf("master_rss%s_%ld_tasks_mb %.1f MB\n", suffix.c_str(), scheduler.running(), rssMb);
  bool issueScale = agents == 10000 && tasks >= 100000 && taskSeconds <= 0;
  if (agents == 10000 && !issueScale) {
    // The names issue #3 tracks (its targets are at 10k agents). Placement is counted on
    // long-running tasks (below, as Nomad's C1M places containers that keep running); with
    // 50 ms tasks every placement also costs a FINISHED update, its acknowledgement and a
    // re-offer.
    std::printf("placement_short_tasks_per_s %.0f tasks/s\n", scheduler.running() / elapsed);
    // Every task of the burst waits for the whole burst: see SteadyScheduler for latency.
    std::printf("offer_to_running_p99_burst_ms %.2f ms\n", scheduler.percentile(0.99));
    std::printf("master_loop_max_stall_ms %.2f ms\n", stallMillis);
  }
  if (issueScale) {
    std::printf("placement_tasks_per_s %.0f tasks/s\n", scheduler.running() / elapsed);
    std::printf("master_rss_10k_agents_100k_tasks_mb %.1f MB\n", rssMb);
  }
  if (flag(argc, argv, "state", "false") == "true") {
    measureState(http, suffix, issueScale);
  }
  if (flag(argc, argv, "webui", "false") == "true") {
    measureWebui(http, suffix);
  }
  if (flag(argc, argv, "failover", "false") == "true") {
    master = measureFailover(
        master, binDir, dir, port, masterLogLevel, agents, scheduler.running(),
        [&] { return scheduler.offersReceived(); }, suffix, issueScale);
  }
  driver.stop(sdk::FailoverMode::kTeardown);
  driver.join().ignoreError();
  shutdown();
  return 0;
}
