// Forwarding one HTTP request from the master's HTTP threads to another server (an agent's
// sandbox endpoints, agora-services' REST API), so the web UI stays on one origin (no CORS).
//
// Thread-safety: the functions run on the calling HTTP server thread and never touch the
// master's event loop; a slow or dead peer holds only that thread, for at most the timeouts.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>

#include "common/http/http.hpp"

namespace agora::master {

// `text` percent-encoded for a URL path or query value ('/' kept: it separates segments).
std::string percentEncode(const std::string& text);

struct ForwardedRequest {
  std::string method = "GET";
  std::string target;  // Path and query, e.g. "/v2/apps?embed=apps.tasks".
  std::string body;
  std::string contentType;  // Empty: no body.
  std::chrono::seconds connectTimeout{2};
  std::chrono::seconds readTimeout{10};
};

// Sends `request` to `peer` and writes its answer into `res` unchanged: status, body, content
// type (and Marathon's `Marathon-Deployment-Id`). When the peer does not answer, replies 502
// `{"message"}` naming `who`, its address, the target and the cause.
void forwardHttp(const HostPort& peer, const std::string& who, const ForwardedRequest& request,
                 httplib::Response& res);

}  // namespace agora::master
