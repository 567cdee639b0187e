#include "bench/bench_support.hpp"

#include <curl/curl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <zmq.hpp>

#include "bench/simulated_agents.hpp"

namespace agora::bench {

std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--" + name + "=", 0) == 0) return arg.substr(name.size() + 3);
  }
  return fallback;
}

double residentMegabytes(pid_t pid) {
  FILE* status = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (status == nullptr) {
    return -1;
  }
  char line[256];
  double kb = -1;
  while (std::fgets(line, sizeof(line), status) != nullptr) {
    if (std::sscanf(line, "VmRSS: %lf kB", &kb) == 1) {
      break;
    }
  }
  std::fclose(status);
  return kb / 1024;
}

pid_t startMaster(const std::string& binDir, const std::string& dir, int port,
                  const std::string& logLevel) {
  pid_t master = fork();
  if (master == 0) {
    std::string log = dir + "/master.log";
    freopen(log.c_str(), "a", stderr);
    execl((binDir + "/agora-master").c_str(), "agora-master", "--ip=127.0.0.1",
          ("--port=" + std::to_string(port)).c_str(), ("--work_dir=" + dir).c_str(),
          "--agent_ping_timeout=20secs", "--framework_heartbeat_interval=5secs",
          "--agent_reregister_timeout=120secs", ("--minloglevel=" + logLevel).c_str(), nullptr);
    _exit(127);
  }
  return master;
}

StatusOr<std::string> waitForMasterEndpoint(const HostPort& http) {
  StatusOr<std::string> endpoint = Status::unavailable("not started");
  for (int i = 0; i < 200 && !endpoint.isOk(); ++i) {
    usleep(50000);
    endpoint = discoverMasterEndpoint(http);
  }
  return endpoint;
}

std::vector<pid_t> startSimulatedAgents(const std::string& endpoint, int agents,
                                        const std::string& resources, double taskSeconds) {
  const int perProcess = 4000;
  std::vector<pid_t> simulators;
  for (int first = 0; first < agents; first += perProcess) {
    int count = std::min(perProcess, agents - first);
    pid_t child = fork();
    if (child == 0) {
      zmq::context_t context(1);
      context.set(zmq::ctxopt::max_sockets, count + 100);
      SimulatedAgents sim(context, endpoint, count, resources, taskSeconds);
      sim.registerAll();
      while (true) {
        sim.pump(5);
      }
    }
    simulators.push_back(child);
  }
  return simulators;
}

StatusOr<size_t> curlGetDiscarding(const std::string& url, long timeoutSeconds) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::unavailable("curl_easy_init failed");
  size_t bytes = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeoutSeconds);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bytes);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t count, void* counted) {
        *static_cast<size_t*>(counted) += size * count;
        return size * count;
      });
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    return Status::unavailable("GET " + url + ": " + curl_easy_strerror(code));
  }
  if (status != 200) {
    return Status::unavailable("GET " + url + ": HTTP " + std::to_string(status));
  }
  return bytes;
}

void raiseFdLimit() {
  rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace agora::bench
