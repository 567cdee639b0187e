// Pulls images over the Registry HTTP API v2 / OCI distribution spec into the image store:
// the manifest (an index or manifest list resolved to linux on this architecture), the
// config and every layer, each verified against its digest before the store keeps it.
// Blobs already in the store are not fetched again.
//
// Auth: anonymous, basic, and bearer tokens (a 401 with `WWW-Authenticate: Bearer
// realm=...,service=...,scope=...` sends the client to the realm for a token, with the
// registry's credentials if it has them). HTTPS by default; registries listed as insecure
// are spoken to over plain HTTP (the agent's --insecure_registries).
// Blocking (libcurl): run it off any event loop.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>

#include "common/base/status.hpp"
#include "slave/images/image_reference.hpp"
#include "slave/images/image_store.hpp"

namespace agora::slave::images {

struct RegistryOptions {
  std::set<std::string> insecureRegistries;  // "host:port", spoken to over HTTP.
  struct Credentials {
    std::string username;
    std::string password;
  };
  std::map<std::string, Credentials> credentials;  // By registry.
  // Progress, in words ("fetching layer sha256:... (2.0 MB)"), for logs and task messages.
  std::function<void(const std::string&)> progress;
  long connectTimeoutSeconds = 10;
};

class RegistryClient {
 public:
  explicit RegistryClient(RegistryOptions options) : options_(std::move(options)) {}

  // Pulls `reference` into `store` and records it there under `reference.toString()`.
  // Returns the manifest digest. Errors name the image, the blob and the cause
  // (unreachable registry, not found, unauthorized, digest mismatch, corrupt manifest).
  StatusOr<std::string> pull(ImageStore& store, const ImageReference& reference);

 private:
  struct Response;
  // GET with the registry's auth; the body goes to `file` if given, else into the response.
  StatusOr<Response> get(const ImageReference& image, const std::string& path,
                         const std::string& accept, const std::string& file);
  StatusOr<Response> send(const std::string& url, const std::string& accept,
                          const std::string& authorization, const std::string& file);
  Status authenticate(const ImageReference& image, const std::string& challenge);
  std::string baseUrl(const ImageReference& image) const;
  StatusOr<std::string> fetchManifest(ImageStore& store, const ImageReference& image,
                                      const std::string& ref, std::string* mediaType);
  Status fetchBlob(ImageStore& store, const ImageReference& image, const std::string& digest,
                   const std::string& what);
  void report(const std::string& message) const;

  RegistryOptions options_;
  std::map<std::string, std::string> authorization_;  // By registry: the header to send.
};

}  // namespace agora::slave::images
