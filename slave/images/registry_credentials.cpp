#include "slave/images/registry_credentials.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace agora::slave::images {
namespace {

using nlohmann::json;

StatusOr<std::string> decodeBase64(const std::string& text) {
  std::vector<unsigned char> out(text.size() / 4 * 3 + 3);
  int length = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                               static_cast<int>(text.size()));
  if (length < 0 || text.size() % 4 != 0) return Status::invalid("'auth' is not base64");
  // EVP_DecodeBlock counts the padding's zero bytes.
  size_t padding = text.size() - text.find_last_not_of('=') - 1;
  return std::string(reinterpret_cast<char*>(out.data()), static_cast<size_t>(length) - padding);
}

std::string registryHost(std::string key) {
  for (const char* scheme : {"https://", "http://"}) {
    if (key.rfind(scheme, 0) == 0) key = key.substr(std::string(scheme).size());
  }
  return key.substr(0, key.find('/'));
}

}  // namespace

StatusOr<std::map<std::string, RegistryOptions::Credentials>> loadRegistryCredentials(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::notFound("cannot read registry credentials " + path);
  std::stringstream text;
  text << in.rdbuf();
  json config = json::parse(text.str(), nullptr, false);
  if (!config.is_object() || !config.contains("auths") || !config["auths"].is_object()) {
    return Status::invalid(path + " has no \"auths\" object (the Docker config.json format)");
  }
  std::map<std::string, RegistryOptions::Credentials> out;
  for (const auto& [registry, entry] : config["auths"].items()) {
    std::string where = path + ": auths[\"" + registry + "\"]";
    if (!entry.is_object()) return Status::invalid(where + " is not an object");
    RegistryOptions::Credentials credentials;
    if (entry.contains("auth") && entry["auth"].is_string()) {
      auto decoded = decodeBase64(entry["auth"].get<std::string>());
      if (!decoded.isOk()) return decoded.status().withContext(where);
      size_t colon = decoded->find(':');
      if (colon == std::string::npos) {
        return Status::invalid(where + ": 'auth' does not decode to user:password");
      }
      credentials = {decoded->substr(0, colon), decoded->substr(colon + 1)};
    } else if (entry.value("username", json()).is_string() &&
               entry.value("password", json()).is_string()) {
      credentials = {entry["username"].get<std::string>(), entry["password"].get<std::string>()};
    } else {
      return Status::invalid(where + " has neither 'auth' nor 'username' and 'password'");
    }
    std::string host = registryHost(registry);
    // Docker Hub's key in config.json; references name it docker.io.
    out[host == "index.docker.io" ? "docker.io" : host] = credentials;
  }
  return out;
}

}  // namespace agora::slave::images
