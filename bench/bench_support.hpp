// What the cluster benchmarks share: flags, a master process, simulated agents in child
// processes, and reading a process's memory. For benchmarks only.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/base/status.hpp"
#include "common/http/http.hpp"

namespace agora::bench {

// `--name=value` from argv, or `fallback`.
std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback);

// Resident set size of a process in MB, from /proc (-1 when unknown).
double residentMegabytes(pid_t pid);

// Forks agora-master on 127.0.0.1:`port` with its work dir and log in `dir`.
pid_t startMaster(const std::string& binDir, const std::string& dir, int port,
                  const std::string& logLevel);

// The master's ZeroMQ endpoint once its HTTP API answers (up to 10 s).
StatusOr<std::string> waitForMasterEndpoint(const HostPort& http);

// `agents` simulated agents offering `resources` each, in child processes of up to 4,000
// (every ZeroMQ socket costs two file descriptors and the hard limit here is 20,000).
std::vector<pid_t> startSimulatedAgents(const std::string& endpoint, int agents,
                                        const std::string& resources, double taskSeconds);

// GET `url` with libcurl, the way `curl -o /dev/null` times an endpoint: the body is
// counted, not kept. Its size in bytes, or an error naming the cause.
StatusOr<size_t> curlGetDiscarding(const std::string& url, long timeoutSeconds);

// Raises the open-file limit to its hard maximum.
void raiseFdLimit();

}  // namespace agora::bench
