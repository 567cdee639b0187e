// agora-services: long-running services through a Marathon-compatible REST API. A
// framework like any other (it uses only the scheduler SDK); its apps, tasks and framework
// id live in RocksDB under --work_dir.
//
// Threads: the services loop (all scheduler state), the SDK driver's loop, the HTTP
// server's pool, and one thread waiting for SIGTERM/SIGINT to shut down cleanly.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "agora/sdk/scheduler_driver.hpp"
#include "common/event/event_loop.hpp"
#include "common/state/state_store.hpp"
#include "frameworks/services/app_store.hpp"
#include "frameworks/services/flags.hpp"
#include "frameworks/services/http_api.hpp"
#include "frameworks/services/services_scheduler.hpp"

namespace {

using agora::services::ServicesOptions;

agora::sdk::DriverOptions driverOptions(const ServicesOptions& options,
                                        const std::string& frameworkId) {
  agora::sdk::DriverOptions out;
  out.master = options.master;
  out.framework.set_name(options.frameworkName);
  out.framework.set_failover_timeout(options.failoverTimeout);
  if (options.role != "*") {
    out.framework.add_roles(options.role);
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  out.framework.set_hostname(host);
  const char* user = std::getenv("USER");
  out.framework.set_user(user != nullptr ? user : "root");
  if (!frameworkId.empty()) {
    out.framework.mutable_id()->set_value(frameworkId);
  }
  // Tasks on an agent that went away are TASK_UNREACHABLE (not LOST) and may come back:
  // each app's unreachableStrategy decides when they are replaced and when forgotten.
  out.framework.add_capabilities()->set_type(agora::v1::FrameworkInfo::Capability::PARTITION_AWARE);
  return out;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "agora-services: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-services --master=HOST:PORT --work_dir=DIR [--http_port=8080]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  auto options = agora::services::servicesOptionsFromFlags();
  if (!options.isOk()) {
    return fail(options.status().message());
  }
  // Blocked in every thread; the waiter below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto db = agora::openRocksDbStore(options->workDir + "/state");
  if (!db.isOk()) {
    return fail("opening " + options->workDir + "/state: " + db.status().message());
  }
  agora::services::AppStore store(std::move(*db));
  agora::EventLoop loop;
  httplib::Server server;
  agora::services::EventBus events;
  // Event streams hold a thread each: enough threads that the API never waits behind them.
  server.new_task_queue = [&events] { return new httplib::ThreadPool(events.maxSubscribers + 8); };
  auto shutDown = [&server, &events] {
    events.closeAll();  // Ends the event streams, which server.stop() waits for.
    server.stop();
  };
  agora::services::ServicesScheduler scheduler(
      &loop, &store,
      {.onFatalError = [&shutDown](const std::string&) { shutDown(); },
       .role = options->role,
       .events = &events});
  agora::Status recovered = scheduler.recover();
  if (!recovered.isOk()) {
    return fail(recovered.message());
  }

  agora::services::registerRoutes(server, &loop, &scheduler, &events,
                                  {.master = options->master,
                                   .httpPort = options->httpPort,
                                   .failoverTimeout = options->failoverTimeout,
                                   .role = options->role});
  if (!server.bind_to_port(options->httpAddress, options->httpPort)) {
    return fail("cannot listen on " + options->httpAddress + ":" +
                std::to_string(options->httpPort));
  }

  std::thread loopThread([&] { loop.run(); });
  agora::sdk::SchedulerDriver driver(&scheduler, driverOptions(*options, scheduler.frameworkId()));
  scheduler.setDriver(&driver);
  agora::Status started = driver.start();
  if (!started.isOk()) {
    loop.stop();
    loopThread.join();
    return fail(started.message());
  }
  std::thread signalThread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    LOG(INFO) << "Received signal " << sig << "; shutting down";
    shutDown();
  });
  LOG(INFO) << "agora-services listening on " << options->httpAddress << ":" << options->httpPort
            << ", master " << options->master;
  server.listen_after_bind();

  // Failover, not teardown: the master keeps the tasks for the next agora-services.
  driver.stop(agora::sdk::FailoverMode::kFailover);
  agora::Status joined = driver.join();
  loop.stop();
  loopThread.join();
  signalThread.detach();
  return joined.isOk() ? 0 : 1;
}
