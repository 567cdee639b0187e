// A registry token service for tests (the Docker Registry v2 token protocol): a real
// docker-registry configured with `auth: token` sends clients here for a bearer token,
// a JWT signed with RS256 by a self-signed certificate made with openssl, carried in the
// token's `x5c` header so the registry checks it against its `rootcertbundle`.
// Clients with the right basic-auth credentials get the access their scope asks for;
// anyone else gets a token granting nothing.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace agora::testing {

class TokenServer {
 public:
  // Makes the key and certificate under `dir`. Check error().
  TokenServer(const std::string& dir, const std::string& user, const std::string& password);
  ~TokenServer();

  const std::string& error() const { return error_; }
  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  std::string certificatePath() const { return dir_ + "/token.crt"; }
  static constexpr const char* kIssuer = "agora-test-issuer";
  static constexpr const char* kService = "agora-test-registry";
  // Tokens handed out that grant access.
  int granted() const { return granted_; }

 private:
  std::string token(const std::string& scope, bool authorized) const;

  std::string dir_;
  std::string credentials_;  // The basic-auth header value that grants access.
  std::string certificateDer_;
  std::string error_;
  int port_ = 0;
  mutable std::atomic<int> granted_{0};
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace agora::testing
