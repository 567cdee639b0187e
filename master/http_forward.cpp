#include "master/http_forward.hpp"

#include <cctype>

namespace agora::master {

std::string percentEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

void forwardHttp(const HostPort& peer, const std::string& who, const ForwardedRequest& request,
                 httplib::Response& res) {
  httplib::Client client(peer.host, peer.port);
  client.set_connection_timeout(request.connectTimeout);
  client.set_read_timeout(request.readTimeout);
  client.set_write_timeout(request.readTimeout);
  client.set_url_encode(false);  // `target` is sent as it came (already encoded).
  httplib::Request out;
  out.method = request.method;
  out.path = request.target;
  out.set_header("Accept", "application/json");
  if (!request.contentType.empty()) {
    out.set_header("Content-Type", request.contentType);
  }
  out.body = request.body;
  auto reply = client.send(out);
  if (!reply) {
    replyError(res, 502,
               who + " at " + peer.toString() + " did not answer " + request.method + " " +
                   request.target + ": " + httplib::to_string(reply.error()));
    return;
  }
  res.status = reply->status;
  for (const char* header : {"Marathon-Deployment-Id"}) {
    if (reply->has_header(header)) {
      res.set_header(header, reply->get_header_value(header));
    }
  }
  std::string type = reply->get_header_value("Content-Type");
  res.set_content(reply->body, type.empty() ? "application/json" : type.c_str());
}

}  // namespace agora::master
