// agora-load-framework: launches --num_tasks copies of --command (like Mesos'
// no-executor-framework) and exits 0 when all finished, 1 if any ended otherwise.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <unistd.h>

#include <cstdio>

#include "agora/sdk/scheduler_driver.hpp"
#include "frameworks/examples/load_flags.hpp"
#include "frameworks/examples/load_scheduler.hpp"

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-load-framework --command=CMD [--num_tasks=N] ...");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;  // Like the daemons: no log files left in /tmp.
  google::InitGoogleLogging(argv[0]);

  auto options = agora::examples::loadOptionsFromFlags();
  if (!options.isOk()) {
    std::fprintf(stderr, "agora-load-framework: %s\n", options.status().message().c_str());
    return 2;
  }
  agora::sdk::DriverOptions driverOptions;
  driverOptions.master = options->master;
  driverOptions.framework.set_name(options->name);
  driverOptions.framework.set_role(options->role);
  driverOptions.framework.set_failover_timeout(60);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  driverOptions.framework.set_hostname(host);
  const char* user = std::getenv("USER");
  driverOptions.framework.set_user(user != nullptr ? user : "root");

  agora::examples::LoadScheduler scheduler(options->plan);
  agora::sdk::SchedulerDriver driver(&scheduler, driverOptions);
  agora::Status status = driver.run();
  if (!status.isOk()) {
    std::fprintf(stderr, "agora-load-framework: %s\n", status.message().c_str());
    return 1;
  }
  return scheduler.exitCode();
}
