// HTTP helpers shared by the daemons' APIs and the clients (cpp-httplib underneath).
#pragma once

#include <chrono>
#include <string>

#include <google/protobuf/message.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/base/status.hpp"

namespace agora {

struct HostPort {
  std::string host;
  int port = 0;
  std::string toString() const { return host + ":" + std::to_string(port); }
};

// "host:port" (an "http://" prefix is accepted and dropped).
StatusOr<HostPort> parseHostPort(const std::string& text);

// Writes `body` as pretty JSON with the status code.
void replyJson(httplib::Response& res, int status, const nlohmann::json& body);
// Writes `{"message": message}` with the status code (Marathon and Mesos clients expect it).
void replyError(httplib::Response& res, int status, const std::string& message);

// A protobuf message as JSON with the proto field names (snake_case), enums as names.
nlohmann::json protoToJson(const google::protobuf::Message& message);

// GET `path` from `address`; an error names the address and the cause (connection refused,
// timeout, status code with the body's message).
StatusOr<std::string> httpGet(const HostPort& address, const std::string& path,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));
StatusOr<nlohmann::json> httpGetJson(const HostPort& address, const std::string& path,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Asks the master at `masterHttp` for its ZeroMQ endpoint (`GET /master/endpoint`).
StatusOr<std::string> discoverMasterEndpoint(const HostPort& masterHttp);

// The `--master` value to use: `flag` if set, else $AGORA_MASTER, else 127.0.0.1:5050.
// Only `main()` functions call this (libraries never read the environment).
std::string masterAddressFromFlagOrEnv(const std::string& flag);

}  // namespace agora
