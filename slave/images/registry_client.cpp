#include "slave/images/registry_client.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "slave/images/digest.hpp"
#include "slave/images/manifest.hpp"

namespace agora::slave::images {
namespace {

// Every manifest shape the store understands, so the registry does not down-convert.
constexpr const char* kManifestAccept =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr size_t kMaxManifestBytes = 4 << 20;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// `key="value"` pairs of a WWW-Authenticate challenge after its scheme.
std::map<std::string, std::string> challengeParams(const std::string& challenge) {
  std::map<std::string, std::string> out;
  size_t at = challenge.find(' ');
  while (at != std::string::npos && at < challenge.size()) {
    size_t eq = challenge.find('=', at);
    if (eq == std::string::npos) break;
    std::string key = challenge.substr(at, eq - at);
    key.erase(0, key.find_first_not_of(" ,"));
    size_t end;
    std::string value;
    if (eq + 1 < challenge.size() && challenge[eq + 1] == '"') {
      end = challenge.find('"', eq + 2);
      value = challenge.substr(eq + 2, end == std::string::npos ? std::string::npos : end - eq - 2);
      at = end == std::string::npos ? end : end + 1;
    } else {
      end = challenge.find(',', eq + 1);
      value = challenge.substr(eq + 1, end == std::string::npos ? std::string::npos : end - eq - 1);
      at = end;
    }
    out[lower(key)] = value;
  }
  return out;
}

std::string urlEncode(const std::string& text) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  char* encoded = curl_easy_escape(curl.get(), text.c_str(), static_cast<int>(text.size()));
  std::string out = encoded ? encoded : "";
  curl_free(encoded);
  return out;
}

std::string basicAuthorization(const std::string& username, const std::string& password) {
  std::string plain = username + ":" + password;
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                               reinterpret_cast<const unsigned char*>(plain.data()),
                               static_cast<int>(plain.size()));
  encoded.resize(static_cast<size_t>(length));
  return "Basic " + encoded;
}

struct Sink {
  std::string* body = nullptr;
  FILE* file = nullptr;
  bool tooLarge = false;
  std::map<std::string, std::string>* headers = nullptr;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t bytes = size * count;
  if (sink->file != nullptr) {
    return std::fwrite(data, 1, bytes, sink->file);
  }
  if (sink->body->size() + bytes > kMaxManifestBytes) {
    sink->tooLarge = true;
    return 0;  // Aborts the transfer.
  }
  sink->body->append(data, bytes);
  return bytes;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::string line(data, size * count);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of("\r\n \t") + 1);
    (*sink->headers)[lower(line.substr(0, colon))] = value;
  }
  return size * count;
}

}  // namespace

struct RegistryClient::Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // Lowercase names.
};

void RegistryClient::report(const std::string& message) const {
  if (options_.progress) options_.progress(message);
}

std::string RegistryClient::baseUrl(const ImageReference& image) const {
  std::string host = image.registry == "docker.io" ? "registry-1.docker.io" : image.registry;
  bool insecure = options_.insecureRegistries.count(image.registry) > 0;
  return (insecure ? "http://" : "https://") + host + "/v2/";
}

StatusOr<RegistryClient::Response> RegistryClient::send(const std::string& url,
                                                        const std::string& accept,
                                                        const std::string& authorization,
                                                        const std::string& file) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  Response response;
  Sink sink{&response.body, nullptr, false, &response.headers};
  std::unique_ptr<FILE, int (*)(FILE*)> out(nullptr, std::fclose);
  if (!file.empty()) {
    out.reset(std::fopen(file.c_str(), "wb"));
    if (!out) return Status::io("cannot write " + file);
    sink.file = out.get();
  }
  curl_slist* headers = nullptr;
  if (!accept.empty()) headers = curl_slist_append(headers, ("Accept: " + accept).c_str());
  if (!authorization.empty()) {
    headers = curl_slist_append(headers, ("Authorization: " + authorization).c_str());
  }
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headerList(headers, curl_slist_free_all);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  // Blob downloads are often redirected to storage: follow, but never send our
  // Authorization to another host (libcurl drops it on a host change by default).
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, options_.connectTimeoutSeconds);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);  // Stalled for a minute: give up.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &sink);
  CURLcode rc = curl_easy_perform(curl.get());
  if (sink.tooLarge) {
    return Status::invalid(url + " sent more than " + std::to_string(kMaxManifestBytes) +
                           " bytes for a manifest");
  }
  if (rc != CURLE_OK) {
    return Status::unavailable("cannot reach " + url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Status RegistryClient::authenticate(const ImageReference& image, const std::string& challenge) {
  auto credentials = options_.credentials.find(image.registry);
  std::string basic =
      credentials == options_.credentials.end()
          ? ""
          : basicAuthorization(credentials->second.username, credentials->second.password);
  std::string scheme = lower(challenge.substr(0, challenge.find(' ')));
  if (scheme == "basic") {
    if (basic.empty()) {
      return Status::error(StatusCode::kPermissionDenied,
                           "registry " + image.registry + " wants credentials (basic auth)");
    }
    authorization_[image.registry] = basic;
    return Status::ok();
  }
  if (scheme != "bearer") {
    return Status::error(
        StatusCode::kPermissionDenied,
        "registry " + image.registry + " asks for unsupported auth '" + challenge + "'");
  }
  auto params = challengeParams(challenge);
  if (params["realm"].empty()) {
    return Status::invalid("registry " + image.registry + " sent a bearer challenge without realm");
  }
  std::string scope =
      params["scope"].empty() ? "repository:" + image.repository + ":pull" : params["scope"];
  std::string url =
      params["realm"] + "?service=" + urlEncode(params["service"]) + "&scope=" + urlEncode(scope);
  // The token service takes the registry's credentials as basic auth (anonymous if none).
  auto token = send(url, "application/json", basic, "");
  if (!token.isOk()) return token.status().withContext("token for " + image.registry);
  if (token->status != 200) {
    return Status::error(StatusCode::kPermissionDenied,
                         "token service " + params["realm"] + " refused " + image.toString() +
                             " (HTTP " + std::to_string(token->status) + ")");
  }
  nlohmann::json body = nlohmann::json::parse(token->body, nullptr, false);
  std::string value;
  for (const char* field : {"token", "access_token"}) {
    if (body.is_object() && body.contains(field) && body[field].is_string()) {
      value = body[field].get<std::string>();
      break;
    }
  }
  if (value.empty()) {
    return Status::invalid("token service " + params["realm"] + " sent no token");
  }
  authorization_[image.registry] = "Bearer " + value;
  return Status::ok();
}

StatusOr<RegistryClient::Response> RegistryClient::get(const ImageReference& image,
                                                       const std::string& path,
                                                       const std::string& accept,
                                                       const std::string& file) {
  std::string url = baseUrl(image) + path;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto response = send(url, accept, authorization_[image.registry], file);
    if (!response.isOk() || response->status != 401 || attempt == 1) {
      return response;
    }
    auto challenge = response->headers.find("www-authenticate");
    if (challenge == response->headers.end()) {
      return Status::error(StatusCode::kPermissionDenied,
                           url + " answered 401 without a WWW-Authenticate challenge");
    }
    if (Status s = authenticate(image, challenge->second); !s.isOk()) return s;
  }
  return Status::unavailable("unreachable");  // Not reached.
}

StatusOr<std::string> RegistryClient::fetchManifest(ImageStore& store, const ImageReference& image,
                                                    const std::string& ref,
                                                    std::string* mediaType) {
  auto response = get(image, image.repository + "/manifests/" + ref, kManifestAccept, "");
  if (!response.isOk()) return response.status().withContext("image " + image.toString());
  if (response->status == 404) {
    return Status::notFound("image " + image.toString() +
                            " not found in the registry (no manifest " + ref + ")");
  }
  if (response->status == 401 || response->status == 403) {
    return Status::error(StatusCode::kPermissionDenied, "registry refused image " +
                                                            image.toString() + " (HTTP " +
                                                            std::to_string(response->status) + ")");
  }
  if (response->status != 200) {
    return Status::unavailable("registry answered HTTP " + std::to_string(response->status) +
                               " for the manifest of " + image.toString());
  }
  std::string digest = sha256Digest(response->body);
  // By digest: the bytes must hash to it. By tag: the registry's word, if given, must agree.
  std::string expected =
      validateDigest(ref).isOk() ? ref : response->headers["docker-content-digest"];
  if (!expected.empty() && expected != digest) {
    return Status::invalid("manifest of " + image.toString() + " does not match its digest " +
                           expected + " (its bytes hash to " + digest + ")");
  }
  std::string type = response->headers["content-type"];
  *mediaType = type.substr(0, type.find(';'));
  if (Status s = store.addBlob(response->body, digest); !s.isOk()) return s;
  return digest;
}

Status RegistryClient::fetchBlob(ImageStore& store, const ImageReference& image,
                                 const std::string& digest, const std::string& what) {
  if (Status s = validateDigest(digest); !s.isOk()) return s.withContext(what);
  if (store.hasBlob(digest)) return Status::ok();
  report("fetching " + what + " " + digest + " of " + image.toString());
  std::string temp = store.newTempPath();
  auto response = get(image, image.repository + "/blobs/" + digest, "", temp);
  if (!response.isOk() || response->status != 200) {
    std::remove(temp.c_str());
    if (!response.isOk()) return response.status().withContext(what + " " + digest);
    return Status::unavailable("registry answered HTTP " + std::to_string(response->status) +
                               " for " + what + " " + digest + " of " + image.toString());
  }
  return store.commitBlob(temp, digest).withContext(what + " of " + image.toString());
}

StatusOr<std::string> RegistryClient::pull(ImageStore& store, const ImageReference& image) {
  report("pulling " + image.toString());
  std::string mediaType;
  auto digest = fetchManifest(store, image, image.manifestRef(), &mediaType);
  if (!digest.isOk()) return digest.status();
  if (isIndexMediaType(mediaType)) {
    auto index = store.readBlob(*digest);
    if (!index.isOk()) return index.status();
    auto selected = selectFromIndex(*index);
    if (!selected.isOk()) return selected.status().withContext("image " + image.toString());
    digest = fetchManifest(store, image, selected->digest, &mediaType);
    if (!digest.isOk()) return digest.status();
  }
  auto manifest = store.manifest(*digest);
  if (!manifest.isOk()) return manifest.status().withContext("image " + image.toString());
  if (Status s = fetchBlob(store, image, manifest->config.digest, "config"); !s.isOk()) return s;
  for (const Descriptor& layer : manifest->layers) {
    if (Status s = fetchBlob(store, image, layer.digest, "layer"); !s.isOk()) return s;
  }
  if (Status s = store.tag(image.toString(), *digest); !s.isOk()) return s;
  report("pulled " + image.toString() + " (" + *digest + ")");
  return *digest;
}

}  // namespace agora::slave::images
