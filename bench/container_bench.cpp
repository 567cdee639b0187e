// Launch latency of a trivial container (`true` in a busybox image): through Agora (a real
// master and agent, the SDK, the executor pulling from a real registry and running runc)
// against `runc run` by hand of the same bundle. Prints `NAME VALUE UNIT` lines:
//   container_launch_bare_runc_ms        `runc run` to exit of the bundle Agora's executor
//                                        makes for the task (same code, same overlay rootfs
//                                        and config.json), prepared beforehand (median of N,
//                                        each run just before an Agora launch)
//   container_launch_agora_running_ms    launchTasks -> TASK_RUNNING, image cached (median)
//   container_launch_target_ms           the target: 1.05 x bare + 5 ms
//   container_launch_agora_finished_ms   launchTasks -> TASK_FINISHED, image cached (median)
//   container_launch_bare_runc_plain_rootfs_ms  `runc run` of `/bin/true` on a plain
//                                        directory rootfs (no overlay, no shell), for scale
//   container_parallel_launches_per_s    100 launched in one ACCEPT on one agent: 100 / time
//                                        until the last is TASK_RUNNING
//   container_launch_agora_cold_ms       the first launch, pull included: -> TASK_RUNNING
//   container_parallel_bare_runc_per_s   the machine's ceiling: 100 `runc run`, 8 at a time
//   container_parallel_bare_runc_same_bundles_per_s  the same with the bundles Agora's
//                                        executor makes (overlay rootfs, `sh -c true`)
// Needs root, runc, docker-registry, skopeo, umoci and busybox-static; otherwise it says
// why and prints nothing else.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "agora/sdk/scheduler_driver.hpp"
#include "bench/percentile.hpp"
#include "common/base/ids.hpp"
#include "common/resources/resources.hpp"
#include "slave/containerizer/bundle.hpp"
#include "slave/executor/container_runner.hpp"
#include "slave/options.hpp"
#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/test_image.hpp"

extern char** environ;

namespace agora::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(const std::vector<double>& values) { return percentileOf(values, 0.5); }

constexpr int kParallel = 100;  // Containers launched at once on one agent.

// Holds the offers (one agent: they can be used together); launches tasks on them when
// asked, and records when each task reached each state.
class OneAtATime : public sdk::Scheduler {
 public:
  void resourceOffers(sdk::SchedulerDriver*, const std::vector<v1::Offer>& offers) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const v1::Offer& offer : offers) held_.push_back(offer);
    changed_.notify_all();
  }
  void statusUpdate(sdk::SchedulerDriver*, const v1::TaskStatus& status) override {
    std::lock_guard<std::mutex> lock(mutex_);
    reached_[status.task_id().value()][status.state()] = Clock::now();
    changed_.notify_all();
  }
  // Launches `tasks` on the held offer (waiting for one); returns when they were sent.
  std::optional<Clock::time_point> launch(sdk::SchedulerDriver* driver,
                                          const std::vector<v1::TaskInfo>& tasks) {
    Resources wanted;
    for (const v1::TaskInfo& task : tasks) wanted += *Resources::fromProto(task.resources());
    std::unique_lock<std::mutex> lock(mutex_);
    auto enough = [&] {
      Resources held;
      for (const v1::Offer& offer : held_) held += *Resources::fromProto(offer.resources());
      return held.contains(wanted);
    };
    if (!changed_.wait_for(lock, std::chrono::seconds(30), enough)) return std::nullopt;
    std::vector<v1::OfferID> ids;
    for (const v1::Offer& offer : held_) ids.push_back(offer.id());
    held_.clear();
    lock.unlock();
    auto sent = Clock::now();
    v1::Filters filters;
    filters.set_refuse_seconds(0);
    driver->launchTasks(ids, tasks, filters);
    return sent;
  }
  std::optional<Clock::time_point> waitFor(
      const std::string& taskId, v1::TaskState state,
      std::chrono::seconds timeout = std::chrono::seconds(60)) {
    std::unique_lock<std::mutex> lock(mutex_);
    bool reached = changed_.wait_for(lock, timeout, [&] {
      return reached_[taskId].count(state) > 0 || reached_[taskId].count(v1::TASK_FAILED) > 0;
    });
    if (!reached || !reached_[taskId].count(state)) return std::nullopt;
    return reached_[taskId][state];
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<v1::Offer> held_;
  std::map<std::string, std::map<v1::TaskState, Clock::time_point>> reached_;
};

// Runs `args` (no shell: its fork and exec would count) with output to /dev/null; true if
// it exited 0.
bool runQuietly(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  return rc == 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

// The bundle Agora's executor makes for `task`, made the same way (ContainerRunner::prepare:
// an overlay of the cached image's layers, the same config.json), with its runc state in
// `dir`/runc-state; null (said why) if it cannot be prepared. cleanUp() removes it.
std::unique_ptr<slave::ContainerRunner> prepareAgorasBundle(const std::string& dir,
                                                            const std::string& imageStore,
                                                            const v1::TaskInfo& task) {
  std::string sandbox = dir + "/" + task.task_id().value();
  fs::create_directories(sandbox);
  auto runner = std::make_unique<slave::ContainerRunner>(
      slave::ContainerRunnerOptions{.imageStore = imageStore,
                                    .runcRoot = dir + "/runc-state",
                                    .sandbox = sandbox,
                                    .frameworkId = "bench",
                                    .hostname = "127.0.0.1"},
      task);
  Status prepared = runner->prepare([](const std::string&) {});
  if (!prepared.isOk()) {
    std::fprintf(stderr, "container_bench: cannot prepare a bundle: %s\n",
                 prepared.message().c_str());
    runner->cleanUp();
    return nullptr;
  }
  return runner;
}

// `runc run` (to exit) of a prepared bundle, as container `id`.
std::vector<std::string> runcRun(const std::string& dir, const std::string& bundle,
                                 const std::string& id) {
  return {"runc", "--root", dir + "/runc-state", "run", "--bundle", bundle, id};
}

// `runc run` of the bundle Agora's executor makes for `task`, prepared beforehand: only
// runc, to the container's exit, is timed.
std::optional<double> bareRuncOfAgorasBundle(const std::string& dir, const std::string& imageStore,
                                             const v1::TaskInfo& task) {
  auto runner = prepareAgorasBundle(dir, imageStore, task);
  if (!runner) return std::nullopt;
  auto start = Clock::now();
  bool ran = runQuietly(runcRun(dir, runner->bundleDir(), runner->containerId()));
  double elapsed = millisSince(start);
  runner->cleanUp();
  if (!ran) {
    std::fprintf(stderr, "container_bench: runc run of %s failed\n", runner->bundleDir().c_str());
    return std::nullopt;
  }
  return elapsed;
}

// A bundle at `bundle` running `/bin/true` on the plain rootfs directory `rootfs`.
bool writePlainBundle(const std::string& bundle, const std::string& rootfs,
                      const std::string& sandbox, const std::string& cgroupsPath) {
  slave::oci::ContainerConfig config;
  config.rootfs = rootfs;
  config.args = {"/bin/true"};
  config.cpus = 0.1;
  config.memBytes = 64 << 20;
  config.sandboxHostPath = sandbox;
  config.sandboxContainerPath = "/mnt/mesos/sandbox";
  config.cgroupsPath = cgroupsPath;
  return slave::oci::writeBundle(bundle, config).isOk();
}

// `runc run` of a ready bundle running `/bin/true` on a plain rootfs directory, N times.
std::vector<double> bareRuncPlainRootfs(const std::string& dir, int runs) {
  std::string bundle = dir + "/bare";
  if (!testing::makeBusyboxRootfs(bundle + "/rootfs").isOk() ||
      !writePlainBundle(bundle, bundle + "/rootfs", dir, "/agora-bench/bare")) {
    return {};
  }
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    if (!runQuietly(runcRun(dir, bundle, "bare-" + std::to_string(i)))) {
      return {};
    }
    out.push_back(millisSince(start));
  }
  return out;
}

// Runs kParallel commands, kWorkers at a time (`command(worker, i)` is the i-th, run by
// `worker`). Launches per second, or 0 if one failed.
double runInParallel(const std::function<std::vector<std::string>(int, int)>& command) {
  constexpr int kWorkers = 8;
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = next++; i < kParallel; i = next++) {
        if (!runQuietly(command(w, i))) failed = true;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  return failed ? 0 : kParallel / std::chrono::duration<double>(Clock::now() - start).count();
}

// The machine's ceiling for parallel launches: kParallel `runc run`s of `/bin/true`, 8 at a
// time (each worker its own bundle and cgroup, one shared plain rootfs).
double parallelBareRuncPlainRootfs(const std::string& dir) {
  std::string rootfs = dir + "/rootfs";
  if (!testing::makeBusyboxRootfs(rootfs).isOk()) return 0;
  for (int w = 0; w < 8; ++w) {
    if (!writePlainBundle(dir + "/bundle-" + std::to_string(w), rootfs, dir,
                          "/agora-bench/parallel-" + std::to_string(w))) {
      return 0;
    }
  }
  return runInParallel([&](int w, int i) {
    return runcRun(dir, dir + "/bundle-" + std::to_string(w), "par-" + std::to_string(i));
  });
}

// The same for the bundles Agora's executor makes for `task(i)` (each prepared beforehand by
// ContainerRunner: its own overlay rootfs and config.json): the ceiling for what Agora runs.
double parallelBareRuncOfAgorasBundles(const std::string& dir, const std::string& imageStore,
                                       const std::function<v1::TaskInfo(int)>& task) {
  std::vector<std::unique_ptr<slave::ContainerRunner>> runners;
  for (int i = 0; i < kParallel; ++i) {
    runners.push_back(prepareAgorasBundle(dir, imageStore, task(i)));
    if (!runners.back()) {
      runners.pop_back();
      for (auto& runner : runners) runner->cleanUp();  // Their overlay mounts too.
      return 0;
    }
  }
  double perSecond = runInParallel(
      [&](int, int i) { return runcRun(dir, runners[i]->bundleDir(), runners[i]->containerId()); });
  for (auto& runner : runners) runner->cleanUp();
  return perSecond;
}

int run(int runs) {
  std::string why = testing::TestRegistry::whyUnavailable();
  if (why.empty() && geteuid() != 0) why = "containers need root";
  if (why.empty() && std::system("command -v runc >/dev/null 2>&1") != 0) why = "no runc";
  if (!why.empty()) {
    std::fprintf(stderr, "container_bench: skipped: %s\n", why.c_str());
    return 0;
  }
  testing::TestCluster cluster;
  testing::TestRegistry registry(cluster.dir() + "/registry");
  if (!registry.error().empty() || !registry.pushBusybox("bench/busybox:1").empty()) {
    std::fprintf(stderr, "container_bench: no registry: %s\n", registry.error().c_str());
    return 1;
  }
  std::vector<double> plain = bareRuncPlainRootfs(cluster.dir() + "/bare-runc", runs);
  double bareParallel = parallelBareRuncPlainRootfs(cluster.dir() + "/parallel-runc");
  cluster.startMaster();
  cluster.startAgent(0, "cpus:12;mem:4096;disk:1024",
                     {"--insecure_registries=" + registry.address()});
  if (!cluster.waitForAgents(1)) return 1;
  OneAtATime scheduler;
  sdk::DriverOptions options;
  options.master = cluster.masterAddress();
  options.framework.set_name("container-bench");
  sdk::SchedulerDriver driver(&scheduler, options);
  driver.start().ignoreError();
  auto containerTask = [&](const std::string& id) {
    v1::TaskInfo task;
    task.set_name(id);
    task.mutable_task_id()->set_value(id);
    task.mutable_command()->set_value("true");
    Resources::parse("cpus:0.1;mem:32")->toProto(task.mutable_resources());
    task.mutable_container()->mutable_image()->set_reference(registry.address() +
                                                             "/bench/busybox:1");
    return task;
  };
  std::vector<double> bare;
  std::vector<double> running;
  std::vector<double> finished;
  double cold = -1;
  for (int i = 0; i <= runs; ++i) {
    std::string id = "c" + std::to_string(i);
    if (i > 0) {  // The image is in the agent's store since the first (cold) launch.
      auto ms = bareRuncOfAgorasBundle(cluster.dir() + "/bare-same-bundle",
                                       slave::imageStorePath(cluster.dir() + "/agent0"),
                                       containerTask("bare-" + id));
      if (!ms) return 1;
      bare.push_back(*ms);
    }
    auto sent = scheduler.launch(&driver, {containerTask(id)});
    auto up = sent ? scheduler.waitFor(id, v1::TASK_RUNNING) : std::nullopt;
    auto done = up ? scheduler.waitFor(id, v1::TASK_FINISHED) : std::nullopt;
    if (!done) {
      std::fprintf(stderr, "container_bench: task %s did not finish\n", id.c_str());
      return 1;
    }
    double toRunning = std::chrono::duration<double, std::milli>(*up - *sent).count();
    double toFinished = std::chrono::duration<double, std::milli>(*done - *sent).count();
    if (i == 0) {
      cold = toRunning;  // The pull happens here.
    } else {
      running.push_back(toRunning);
      finished.push_back(toFinished);
    }
  }
  double bareParallelSameBundles = parallelBareRuncOfAgorasBundles(
      cluster.dir() + "/parallel-same-bundles", slave::imageStorePath(cluster.dir() + "/agent0"),
      [&](int i) { return containerTask("bare-p" + std::to_string(i)); });
  // 100 launched at once on the agent: how many reach TASK_RUNNING per second.
  std::vector<v1::TaskInfo> batch;
  for (int i = 0; i < kParallel; ++i) batch.push_back(containerTask("p" + std::to_string(i)));
  auto sent = scheduler.launch(&driver, batch);
  Clock::time_point last = sent.value_or(Clock::now());
  for (int i = 0; sent && i < kParallel; ++i) {
    auto up =
        scheduler.waitFor("p" + std::to_string(i), v1::TASK_RUNNING, std::chrono::seconds(120));
    if (!up) {
      std::fprintf(stderr, "container_bench: parallel task p%d did not run\n", i);
      return 1;
    }
    last = std::max(last, *up);
  }
  double parallelSeconds = std::chrono::duration<double>(last - *sent).count();
  driver.stop(sdk::FailoverMode::kTeardown);
  driver.join().ignoreError();
  // runc removes each container's cgroup, not the parent this benchmark named.
  for (const char* controller :
       {"cpu", "cpuacct", "memory", "pids", "blkio", "cpuset", "devices", "freezer"}) {
    rmdir((std::string("/sys/fs/cgroup/") + controller + "/agora-bench").c_str());
  }
  std::printf("container_launch_bare_runc_ms %.1f ms\n", median(bare));
  std::printf("container_launch_agora_running_ms %.1f ms\n", median(running));
  std::printf("container_launch_target_ms %.1f ms\n", 1.05 * median(bare) + 5);
  std::printf("container_launch_agora_finished_ms %.1f ms\n", median(finished));
  std::printf("container_launch_agora_cold_ms %.1f ms\n", cold);
  std::printf("container_launch_bare_runc_plain_rootfs_ms %.1f ms\n", median(plain));
  std::printf("container_parallel_launches_per_s %.1f launches/s\n", kParallel / parallelSeconds);
  std::printf("container_parallel_bare_runc_per_s %.1f launches/s\n", bareParallel);
  std::printf("container_parallel_bare_runc_same_bundles_per_s %.1f launches/s\n",
              bareParallelSameBundles);
  return 0;
}

}  // namespace
}  // namespace agora::bench

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  return agora::bench::run(runs);
}
