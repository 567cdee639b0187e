#include "tests/support/token_server.hpp"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "tests/support/process.hpp"

namespace agora::testing {
namespace {

std::string base64(const std::string& bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  return std::string(reinterpret_cast<char*>(out.data()), static_cast<size_t>(n));
}

std::string base64Url(const std::string& bytes) {
  std::string text = base64(bytes);
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// RS256 of `data` with the PEM key at `keyPath`; empty on error.
std::string signRs256(const std::string& keyPath, const std::string& data) {
  FILE* file = std::fopen(keyPath.c_str(), "r");
  if (file == nullptr) return "";
  EVP_PKEY* key = PEM_read_PrivateKey(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (key == nullptr) return "";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t size = 0;
  std::string signature;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1) {
    signature.resize(size);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
      signature.clear();
    }
    signature.resize(size);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return signature;
}

}  // namespace

TokenServer::TokenServer(const std::string& dir, const std::string& user,
                         const std::string& password)
    : dir_(dir), credentials_("Basic " + base64(user + ":" + password)) {
  std::string made =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=agora-test-token -keyout " +
      dir_ + "/token.key -out " + dir_ + "/token.crt >/dev/null 2>&1 && openssl x509 -in " + dir_ +
      "/token.crt -outform DER -out " + dir_ + "/token.der >/dev/null 2>&1";
  if (std::system(made.c_str()) != 0) {
    error_ = "openssl could not make the token service's certificate";
    return;
  }
  certificateDer_ = readFile(dir_ + "/token.der");
  server_ = std::make_unique<httplib::Server>();
  server_->Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
    bool authorized = req.get_header_value("Authorization") == credentials_;
    nlohmann::json body = {{"token", token(req.get_param_value("scope"), authorized)}};
    res.set_content(body.dump(), "application/json");
  });
  port_ = freePort();
  server_->bind_to_port("127.0.0.1", port_);
  // Bound already: clients that connect before the loop runs wait in the backlog.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

TokenServer::~TokenServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string TokenServer::token(const std::string& scope, bool authorized) const {
  // scope: "repository:NAME:pull,push".
  nlohmann::json access = nlohmann::json::array();
  size_t first = scope.find(':');
  size_t last = scope.rfind(':');
  if (authorized && first != std::string::npos && last > first) {
    nlohmann::json actions = nlohmann::json::array();
    std::stringstream wanted(scope.substr(last + 1));
    for (std::string action; std::getline(wanted, action, ',');) actions.push_back(action);
    access.push_back({{"type", scope.substr(0, first)},
                      {"name", scope.substr(first + 1, last - first - 1)},
                      {"actions", actions}});
    ++granted_;
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {base64(certificateDer_)}}};
  nlohmann::json claims = {{"iss", kIssuer},
                           {"sub", authorized ? "puller" : ""},
                           {"aud", kService},
                           {"exp", now + 300},
                           {"nbf", now - 60},
                           {"iat", now - 60},
                           {"jti", std::to_string(now) + "-" + std::to_string(rand())},
                           {"access", access}};
  std::string signingInput = base64Url(header.dump()) + "." + base64Url(claims.dump());
  return signingInput + "." + base64Url(signRs256(dir_ + "/token.key", signingInput));
}

}  // namespace agora::testing
