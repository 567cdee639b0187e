// The master's proxy to agora-services (the Marathon-compatible API, frameworks/services/), for
// the web UI's Services pages: the browser calls the master at `/services/v2/...` and the master
// forwards method, query, body and content type to `<services_url>/v2/...`, answering with
// agora-services' status and body unchanged (502 `{"message"}` naming the cause when it does
// not answer). `GET /services/config` tells the UI whether services are configured.
//
// Thread-safety: the handlers run on the HTTP server's threads and never touch the master's
// event loop, so a slow agora-services cannot stall the master (it holds one HTTP thread, for
// at most the read timeout). The proxy keeps no state but its configuration.
#pragma once

#include <httplib.h>

#include <string>

#include "common/base/status.hpp"
#include "common/http/http.hpp"

namespace agora::master {

// Where agora-services listens: "http://host:port" (or "host:port"), with an optional path
// prefix ("http://host:8080/marathon"). An empty url is valid and means "not configured".
struct ServicesUrl {
  HostPort address;
  std::string prefix;  // "" or "/marathon": no trailing slash.
};

// Parses `--services_url`; an error says what is wrong with it. REQUIRES: `url` not empty.
StatusOr<ServicesUrl> parseServicesUrl(const std::string& url);

// Registers `/services/config` and `/services/v2/...` (GET, POST, PUT, PATCH, DELETE) on
// `server`. With an empty `url` the proxy answers 404 `{"message"}` saying that the master
// has no `--services_url`. REQUIRES: `url` is empty or parses with `parseServicesUrl`.
void registerServicesProxy(httplib::Server& server, const std::string& url);

}  // namespace agora::master
