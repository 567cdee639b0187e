#include "cli/cluster.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace agora::cli {

namespace {

// Connects with a deadline; returns "" on success, or why it failed.
std::string tryConnect(const HostPort& address) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int resolved =
      getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &found);
  if (resolved != 0) {
    return std::string("cannot resolve '") + address.host + "': " + gai_strerror(resolved);
  }
  int result = ECONNREFUSED;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      result = errno;
      continue;
    }
    result = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
    if (result == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, 2000) <= 0) {
        result = ETIMEDOUT;
      } else {
        socklen_t size = sizeof(result);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &result, &size);
      }
    }
    close(fd);
    if (result == 0) {
      break;
    }
  }
  freeaddrinfo(found);
  return result == 0 ? "" : std::strerror(result);
}

Status describe(const Status& error, const std::string& who, const HostPort& address) {
  if (error.code() == StatusCode::kUnavailable) {
    return Status::unavailable("cannot reach " + who + " at " + address.toString() + ": " +
                               connectionCause(address, error.message()));
  }
  return Status::error(error.code(), who + " at " + address.toString() + ": " + error.message());
}

}  // namespace

std::string connectionCause(const HostPort& address, const std::string& fallback) {
  std::string cause = tryConnect(address);
  return cause.empty() ? fallback : cause;
}

StatusOr<nlohmann::json> Cluster::masterJson(const std::string& path) const {
  auto reply = httpGetJson(master_, path);
  if (!reply.isOk()) {
    return describe(reply.status(), "the master", master_);
  }
  return reply;
}

StatusOr<nlohmann::json> Cluster::agentJson(const std::string& agent,
                                            const std::string& path) const {
  auto address = parseHostPort(agent);
  if (!address.isOk()) {
    return address.status();
  }
  auto reply = httpGetJson(*address, path);
  if (!reply.isOk()) {
    return describe(reply.status(), "the agent", *address);
  }
  return reply;
}

std::string urlEncode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

StatusOr<size_t> SandboxFile::copyNew(std::FILE* out) {
  constexpr size_t kChunk = 64 * 1024;
  size_t total = 0;
  while (true) {
    std::string path = "/files/read?path=" + urlEncode(path_) +
                       "&offset=" + std::to_string(offset_) + "&length=" + std::to_string(kChunk);
    auto reply = httpGetJson(agent_, path);
    if (!reply.isOk()) {
      return describe(reply.status(), "the agent", agent_);
    }
    if (!reply->is_object() || !reply->contains("data") || !(*reply)["data"].is_string()) {
      return Status::invalid("the agent at " + agent_.toString() +
                             " answered /files/read without 'data'");
    }
    const std::string data = (*reply)["data"].get<std::string>();
    if (data.empty()) {
      std::fflush(out);
      return total;
    }
    std::fwrite(data.data(), 1, data.size(), out);
    offset_ += data.size();
    total += data.size();
  }
}

}  // namespace agora::cli
