// The floor under the master's failover and memory figures: what libzmq alone costs on this
// machine for N peers, with no Agora code in the way. A ROUTER (in this process, like the
// master's) and N DEALERs (in 4 child processes, like the simulated agents) on loopback:
//   zmq_connect_<N>_dealers_s     N fresh connections, first to last ZMTP handshake
//   zmq_router_rss_<N>_peers_mb   this process's RSS with N peers connected (the ROUTER's
//                                 per-connection buffers; the process starts near 5 MB)
//   zmq_reconnect_<N>_dealers_s   the ROUTER closed and bound again on the same port (a
//                                 master restart): first to last handshake of the DEALERs
//                                 coming back by themselves (reconnect every 100 ms)
// Usage: zmq_baseline_bench [--peers=N]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bench/bench_support.hpp"

namespace agora::bench {
namespace {

constexpr int kChildren = 4;
constexpr const char* kEndpoint = "tcp://127.0.0.1:47901";

// A child: `count` DEALERs that connect and stay until killed.
[[noreturn]] void runDealers(int count, int child) {
  zmq::context_t context(1);
  context.set(zmq::ctxopt::max_sockets, count + 16);
  std::vector<std::unique_ptr<zmq::socket_t>> dealers;
  for (int i = 0; i < count; ++i) {
    dealers.push_back(std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer));
    dealers.back()->set(zmq::sockopt::routing_id,
                        "peer-" + std::to_string(child) + "-" + std::to_string(i));
    dealers.back()->set(zmq::sockopt::reconnect_ivl, 100);
    dealers.back()->set(zmq::sockopt::linger, 0);
    dealers.back()->connect(kEndpoint);
  }
  for (;;) pause();
}

// A ROUTER bound to kEndpoint that counts finished handshakes through a monitor.
class CountingRouter {
 public:
  explicit CountingRouter(zmq::context_t& context)
      : router_(context, zmq::socket_type::router), monitor_(context, zmq::socket_type::pair) {
    router_.set(zmq::sockopt::backlog, 4096);
    std::string address = "inproc://monitor-" + std::to_string(++instances_);
    if (zmq_socket_monitor(router_.handle(), address.c_str(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0) {
      throw zmq::error_t();
    }
    monitor_.connect(address);
    router_.bind(kEndpoint);
  }
  // Seconds from the first handshake to the `count`th; negative after `timeout`.
  double secondsUntil(int count, std::chrono::seconds timeout) {
    monitor_.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count() * 1000));
    std::chrono::steady_clock::time_point first;
    for (int done = 0; done < count; ++done) {
      zmq::message_t event;
      zmq::message_t address;
      if (!monitor_.recv(event) || !monitor_.recv(address)) return -1;
      if (done == 0) first = std::chrono::steady_clock::now();
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - first).count();
  }

 private:
  static inline int instances_ = 0;
  zmq::socket_t router_;
  zmq::socket_t monitor_;
};

int run(int peers) {
  raiseFdLimit();
  std::vector<pid_t> children;
  for (int child = 0; child < kChildren; ++child) {
    pid_t pid = fork();
    if (pid == 0) runDealers(peers / kChildren, child);
    children.push_back(pid);
  }
  int connected = peers / kChildren * kChildren;
  {
    zmq::context_t context(1);
    context.set(zmq::ctxopt::max_sockets, connected + 16);
    auto router = std::make_unique<CountingRouter>(context);
    double fresh = router->secondsUntil(connected, std::chrono::seconds(60));
    std::printf("zmq_connect_%d_dealers_s %.2f s\n", connected, fresh);
    std::printf("zmq_router_rss_%d_peers_mb %.1f MB\n", connected, residentMegabytes(getpid()));
    router.reset();  // The "master" goes away; the DEALERs start reconnecting.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    router = std::make_unique<CountingRouter>(context);
    double again = router->secondsUntil(connected, std::chrono::seconds(60));
    std::printf("zmq_reconnect_%d_dealers_s %.2f s\n", connected, again);
  }
  for (pid_t pid : children) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  return 0;
}

}  // namespace
}  // namespace agora::bench

int main(int argc, char** argv) {
  return agora::bench::run(std::stoi(agora::bench::flag(argc, argv, "peers", "10000")));
}
