#include "master/http_services_proxy.hpp"

#include <glog/logging.h>

#include <optional>

#include "master/http_forward.hpp"

namespace agora::master {
namespace {

// agora-services answers its routes from one loop turn (deletes and deployments too); the
// read timeout bounds how long one of the master's HTTP threads waits on a stuck one.
constexpr std::chrono::seconds kReadTimeout{10};

// The query of the request as the browser sent it ("" or "?a=1&b=2").
std::string rawQuery(const httplib::Request& req) {
  size_t at = req.target.find('?');
  if (at != std::string::npos) {
    return req.target.substr(at);
  }
  // No raw target (should not happen): rebuild it from the parsed parameters.
  std::string query;
  for (const auto& [name, value] : req.params) {
    query += (query.empty() ? "?" : "&") + percentEncode(name) + "=" + percentEncode(value);
  }
  return query;
}

void forwardToServices(const ServicesUrl& services, const httplib::Request& req,
                       httplib::Response& res) {
  ForwardedRequest request;
  request.method = req.method;
  request.target = services.prefix + "/v2/" + percentEncode(req.matches[1]) + rawQuery(req);
  request.body = req.body;
  request.contentType = req.get_header_value("Content-Type");
  request.readTimeout = kReadTimeout;
  if (request.contentType.empty() && !request.body.empty()) {
    request.contentType = "application/json";
  }
  VLOG(1) << "services proxy: " << request.method << " " << request.target;
  forwardHttp(services.address, "agora-services", request, res);
}

}  // namespace

StatusOr<ServicesUrl> parseServicesUrl(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0) {
    return Status::invalid("'" + url + "': https is not supported (use http://host:port)");
  }
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  }
  size_t slash = rest.find('/');
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  auto address = parseHostPort(rest.substr(0, slash));
  if (!address.isOk()) {
    return Status::invalid("'" + url + "' is not http://host:port: " + address.status().message());
  }
  return ServicesUrl{.address = *address, .prefix = prefix};
}

void registerServicesProxy(httplib::Server& server, const std::string& url) {
  std::optional<ServicesUrl> services;  // Copied into each handler; empty: none.
  if (!url.empty()) {
    auto parsed = parseServicesUrl(url);
    CHECK(parsed.isOk()) << "--services_url: " << parsed.status().message();
    services = *parsed;
  }
  server.Get("/services/config", [services, url](const httplib::Request&, httplib::Response& res) {
    replyJson(res, 200, {{"enabled", services.has_value()}, {"url", url}});
  });
  auto proxy = [services](const httplib::Request& req, httplib::Response& res) {
    if (!services) {
      replyError(res, 404, "no services: the master runs without --services_url");
      return;
    }
    forwardToServices(*services, req, res);
  };
  const char* kPattern = R"(/services/v2/(.*))";
  server.Get(kPattern, proxy);
  server.Post(kPattern, proxy);
  server.Put(kPattern, proxy);
  server.Patch(kPattern, proxy);
  server.Delete(kPattern, proxy);
}

}  // namespace agora::master
