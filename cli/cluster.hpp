// HTTP access to the master and agents for the CLI, with errors worded for people
// ("cannot reach the master at 127.0.0.1:5050: Connection refused"), and `SandboxFile`,
// which reads a sandbox file incrementally through the agent's `/files/read`.
//
// Thread-compatible: each object is used by one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "common/base/status.hpp"
#include "common/http/http.hpp"

namespace agora::cli {

// The reason a TCP connection to `address` fails, as the OS says it ("Connection refused"),
// or `fallback` when a connection succeeds now.
std::string connectionCause(const HostPort& address, const std::string& fallback);

class Cluster {
 public:
  explicit Cluster(HostPort master) : master_(std::move(master)) {}

  const HostPort& master() const { return master_; }
  // GET `path` from the master as JSON.
  StatusOr<nlohmann::json> masterJson(const std::string& path) const;
  // GET `path` from the agent at `agent` ("host:port") as JSON.
  StatusOr<nlohmann::json> agentJson(const std::string& agent, const std::string& path) const;

 private:
  HostPort master_;
};

class SandboxFile {
 public:
  SandboxFile(HostPort agent, std::string path)
      : agent_(std::move(agent)), path_(std::move(path)) {}

  // Copies what was written since the last call to `out` and flushes it. Returns the number
  // of bytes. Errors: kNotFound while the file does not exist; kUnavailable when the agent
  // cannot be reached (retry later; the offset is kept).
  StatusOr<size_t> copyNew(std::FILE* out);

 private:
  HostPort agent_;
  std::string path_;
  uint64_t offset_ = 0;
};

// Percent-encodes a query parameter value.
std::string urlEncode(const std::string& value);

}  // namespace agora::cli
