// agora-master: the composition root. Reads flags, wires the loop, the master and its HTTP
// API, and runs until SIGINT/SIGTERM.
#include <sys/resource.h>

#include <csignal>

#include <gflags/gflags.h>
#include <glog/logging.h>

#include "master/flags.hpp"
#include "master/http_api.hpp"
#include "master/master.hpp"

namespace {
agora::EventLoop* gLoop = nullptr;
void onSignal(int) {
  if (gLoop != nullptr) {
    gLoop->stop();
  }
}
}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-master --ip=127.0.0.1 --port=5050 --work_dir=DIR");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  // Every agent and framework holds a TCP connection: allow as many as the hard limit.
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  auto options = agora::master::optionsFromFlags();
  if (!options.isOk()) {
    std::cerr << "agora-master: " << options.status().message() << std::endl;
    return 2;
  }
  agora::EventLoop loop;
  zmq::context_t context(1);
  auto master = agora::master::Master::create(loop, context, *options);
  if (!master.isOk()) {
    std::cerr << "agora-master: " << master.status().message() << std::endl;
    return 1;
  }
  agora::master::HttpApi http(**master, agora::master::flagsJson());
  if (auto s = http.start(options->ip, options->port); !s.isOk()) {
    std::cerr << "agora-master: " << s.message() << std::endl;
    return 1;
  }
  LOG(INFO) << "Master HTTP API on http://" << options->ip << ":" << options->port;
  gLoop = &loop;
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  loop.run();
  LOG(INFO) << "Master shutting down";
  http.stop();
  return 0;
}
