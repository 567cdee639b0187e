// agora-agent: the composition root of the agent daemon. Reads the flags, wires the
// `Agent` actor, its HTTP API and the event loop, and runs until SIGINT/SIGTERM.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "slave/agent.hpp"
#include "slave/flags.hpp"
#include "slave/http_api.hpp"

namespace {

// Waits for SIGINT/SIGTERM on a dedicated thread (the signals are blocked everywhere
// else), then stops the loop so the agent shuts down cleanly.
std::thread startSignalThread(agora::EventLoop& loop, sigset_t signals) {
  return std::thread([&loop, signals] {
    int received = 0;
    sigwait(&signals, &received);
    LOG(INFO) << "Received signal " << received << "; shutting down";
    loop.stop();
  });
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("agora-agent --master=HOST:PORT --work_dir=DIR [--port=5051]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  google::InstallFailureSignalHandler();

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto options = agora::slave::optionsFromFlags();
  if (!options.isOk()) {
    LOG(ERROR) << options.status().message();
    return EXIT_FAILURE;
  }
  std::string ip = options->ip;
  int port = options->port;

  agora::EventLoop loop;
  zmq::context_t context(1);
  agora::Metrics metrics;
  auto agent = agora::slave::Agent::create(loop, context, std::move(options).value(), metrics);
  if (!agent.isOk()) {
    LOG(ERROR) << "Cannot start the agent: " << agent.status().message();
    return EXIT_FAILURE;
  }
  agora::slave::HttpApi http(loop, **agent, metrics);
  agora::Status listening = http.start(ip, port);
  if (!listening.isOk()) {
    LOG(ERROR) << listening.message();
    return EXIT_FAILURE;
  }
  std::thread signalThread = startSignalThread(loop, signals);
  signalThread.detach();

  (*agent)->start();
  loop.run();
  http.stop();
  LOG(INFO) << "Agent stopped";
  return EXIT_SUCCESS;
}
