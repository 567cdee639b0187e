#include "slave/executor/health_probes.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace agora::slave {

namespace {

using SteadyClock = std::chrono::steady_clock;

enum class Outcome { kOk, kFailed, kTimedOut };

struct Step {
  Outcome outcome = Outcome::kOk;
  std::string error;  // For kFailed.
};

Step failed(const std::string& error) { return Step{Outcome::kFailed, error}; }

// Closes the socket however the probe ends.
class Socket {
 public:
  Socket() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` has `events` or the deadline passes.
Step waitFor(int fd, short events, SteadyClock::time_point deadline) {
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return Step{Outcome::kTimedOut, ""};
    pollfd item{fd, events, 0};
    int rc = poll(&item, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return failed(std::strerror(errno));
    if (rc == 0) return Step{Outcome::kTimedOut, ""};
    return Step{};
  }
}

Step connectTo(const Socket& socket, const std::string& host, uint16_t port,
               SteadyClock::time_point deadline) {
  if (socket.fd() < 0) return failed(std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return failed("'" + host + "' is not an IPv4 address");
  }
  if (connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    return Step{};
  }
  if (errno != EINPROGRESS) return failed(std::strerror(errno));
  if (Step ready = waitFor(socket.fd(), POLLOUT, deadline); ready.outcome != Outcome::kOk) {
    return ready;
  }
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  return error == 0 ? Step{} : failed(std::strerror(error));
}

Step sendAll(const Socket& socket, const std::string& data, SteadyClock::time_point deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(socket.fd(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (Step ready = waitFor(socket.fd(), POLLOUT, deadline); ready.outcome != Outcome::kOk) {
        return ready;
      }
    } else {
      return failed(std::strerror(errno));
    }
  }
  return Step{};
}

// Reads until the end of the status line; `line` gets it (without the CRLF).
Step readStatusLine(const Socket& socket, SteadyClock::time_point deadline, std::string& line) {
  constexpr size_t kMaxLine = 8192;
  std::string buffer;
  char chunk[1024];
  while (buffer.find('\n') == std::string::npos && buffer.size() < kMaxLine) {
    if (Step ready = waitFor(socket.fd(), POLLIN, deadline); ready.outcome != Outcome::kOk) {
      return ready;
    }
    ssize_t n = recv(socket.fd(), chunk, sizeof(chunk), 0);
    if (n == 0) break;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return failed(std::strerror(errno));
    buffer.append(chunk, static_cast<size_t>(n));
  }
  line = buffer.substr(0, buffer.find_first_of("\r\n"));
  return Step{};
}

// "HTTP/1.1 503 Service Unavailable" -> 503; -1 when it is not a status line.
int parseStatus(const std::string& line) {
  std::istringstream in(line);
  std::string version;
  int status = -1;
  if (!(in >> version >> status) || version.rfind("HTTP/", 0) != 0) return -1;
  return status;
}

ProbeResult unhealthy(const std::string& what, const Step& step,
                      std::chrono::duration<double> timeout) {
  if (step.outcome == Outcome::kTimedOut) {
    return ProbeResult{false, what + " timed out after " + secondsText(timeout)};
  }
  return ProbeResult{false, what + " failed: " + step.error};
}

}  // namespace

std::string secondsText(std::chrono::duration<double> duration) {
  std::ostringstream out;
  out << duration.count() << "s";
  return out.str();
}

ProbeResult probeTcp(const std::string& host, uint16_t port,
                     std::chrono::duration<double> timeout) {
  auto deadline = SteadyClock::now() + std::chrono::ceil<SteadyClock::duration>(timeout);
  std::string what = "TCP connection to " + host + ":" + std::to_string(port);
  Socket socket;
  Step connected = connectTo(socket, host, port, deadline);
  if (connected.outcome != Outcome::kOk) return unhealthy(what, connected, timeout);
  return ProbeResult{true, what + " succeeded"};
}

ProbeResult probeHttp(const HttpProbe& probe, std::chrono::duration<double> timeout) {
  auto deadline = SteadyClock::now() + std::chrono::ceil<SteadyClock::duration>(timeout);
  std::string path = probe.path.empty() ? "/" : probe.path;
  if (path.front() != '/') path = "/" + path;
  std::string hostPort = probe.host + ":" + std::to_string(probe.port);
  std::string what = "HTTP GET http://" + hostPort + path;
  Socket socket;
  Step step = connectTo(socket, probe.host, probe.port, deadline);
  if (step.outcome == Outcome::kOk) {
    step = sendAll(socket,
                   "GET " + path + " HTTP/1.0\r\nHost: " + hostPort +
                       "\r\nUser-Agent: agora-health-check\r\nConnection: close\r\n\r\n",
                   deadline);
  }
  std::string line;
  if (step.outcome == Outcome::kOk) step = readStatusLine(socket, deadline, line);
  if (step.outcome != Outcome::kOk) return unhealthy(what, step, timeout);
  int status = parseStatus(line);
  if (status < 0) {
    return ProbeResult{false, what + " got no HTTP status line ('" + line.substr(0, 80) + "')"};
  }
  bool healthy = probe.statuses.empty() ? status >= 200 && status < 400
                                        : probe.statuses.count(static_cast<uint32_t>(status)) > 0;
  return ProbeResult{healthy, what + " returned " + std::to_string(status)};
}

}  // namespace agora::slave
