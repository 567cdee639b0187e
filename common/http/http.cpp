#include "common/http/http.hpp"

#include <cstdlib>

#include <google/protobuf/util/json_util.h>

namespace agora {

StatusOr<HostPort> parseHostPort(const std::string& text) {
  std::string s = text;
  if (s.rfind("http://", 0) == 0) {
    s = s.substr(7);
  }
  while (!s.empty() && s.back() == '/') {
    s.pop_back();
  }
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::invalid("address '" + text + "' is not host:port");
  }
  HostPort hp;
  hp.host = s.substr(0, colon);
  try {
    size_t used = 0;
    hp.port = std::stoi(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || hp.port <= 0 || hp.port > 65535) {
      throw std::out_of_range("port");
    }
  } catch (const std::exception&) {
    return Status::invalid("address '" + text + "' has an invalid port");
  }
  return hp;
}

void replyJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Replace invalid UTF-8 (file contents, task output) instead of throwing.
  res.set_content(body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

void replyError(httplib::Response& res, int status, const std::string& message) {
  replyJson(res, status, nlohmann::json{{"message", message}});
}

nlohmann::json protoToJson(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(text, nullptr, false);
}

StatusOr<std::string> httpGet(const HostPort& address, const std::string& path,
                              std::chrono::milliseconds timeout) {
  httplib::Client client(address.host, address.port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  auto result = client.Get(path.c_str());
  if (!result) {
    return Status::unavailable("GET http://" + address.toString() + path + ": " +
                               httplib::to_string(result.error()));
  }
  if (result->status >= 400) {
    std::string message = result->body;
    auto parsed = nlohmann::json::parse(result->body, nullptr, false);
    if (parsed.is_object() && parsed.contains("message")) {
      message = parsed["message"].get<std::string>();
    }
    StatusCode code = result->status == 404 ? StatusCode::kNotFound
                      : result->status == 403 ? StatusCode::kPermissionDenied
                                              : StatusCode::kInvalidArgument;
    return Status::error(code, "GET http://" + address.toString() + path + ": HTTP " +
                                   std::to_string(result->status) + ": " + message);
  }
  return result->body;
}

StatusOr<nlohmann::json> httpGetJson(const HostPort& address, const std::string& path,
                                     std::chrono::milliseconds timeout) {
  auto body = httpGet(address, path, timeout);
  if (!body.isOk()) {
    return body.status();
  }
  auto parsed = nlohmann::json::parse(*body, nullptr, false);
  if (parsed.is_discarded()) {
    return Status::invalid("GET http://" + address.toString() + path + ": reply is not JSON");
  }
  return parsed;
}

StatusOr<std::string> discoverMasterEndpoint(const HostPort& masterHttp) {
  auto reply = httpGetJson(masterHttp, "/master/endpoint", std::chrono::seconds(2));
  if (!reply.isOk()) {
    return reply.status().withContext("cannot find the master's ZeroMQ endpoint");
  }
  if (!reply->contains("zmq") || !(*reply)["zmq"].is_string()) {
    return Status::invalid("master at " + masterHttp.toString() +
                           " answered /master/endpoint without a 'zmq' field");
  }
  return (*reply)["zmq"].get<std::string>();
}

std::string masterAddressFromFlagOrEnv(const std::string& flag) {
  if (!flag.empty()) {
    return flag;
  }
  const char* env = std::getenv("AGORA_MASTER");
  return env != nullptr && *env != '\0' ? env : "127.0.0.1:5050";
}

}  // namespace agora
