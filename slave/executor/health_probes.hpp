// The network probes of a health check (see health_checker.hpp): a TCP connect and an
// HTTP/1.0 GET, each bounded by a deadline that covers every step (connect, send, read).
//
// Blocking: the HealthChecker runs them on a worker thread. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

namespace agora::slave {

struct ProbeResult {
  bool healthy = false;
  // What was probed and how it went, for the task status: "HTTP GET
  // http://127.0.0.1:31000/health returned 503", "TCP connection to 127.0.0.1:31000
  // failed: Connection refused", "... timed out after 0.5s".
  std::string message;
};

struct HttpProbe {
  std::string host;  // An IPv4 address.
  uint16_t port = 0;
  std::string path = "/";
  // Healthy statuses; when empty, 200 to 399.
  std::set<uint32_t> statuses = {};
};

// Healthy when the connection is accepted within `timeout`.
ProbeResult probeTcp(const std::string& host, uint16_t port, std::chrono::duration<double> timeout);
// Healthy when the response's status line arrives within `timeout` with a healthy status.
ProbeResult probeHttp(const HttpProbe& probe, std::chrono::duration<double> timeout);

// "0.5s", "20s": durations in messages.
std::string secondsText(std::chrono::duration<double> duration);

}  // namespace agora::slave
