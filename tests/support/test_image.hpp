// A small busybox image built offline for tests, and a registry to push it to: an OCI image layout
// made with `umoci` from Debian's busybox-static, two layers (the second removes /bin/ls and adds
// /etc/agora-test and an /etc/passwd with user app (1234, group 1300) and /etc/group with
// staff (50)), named "busybox".
#pragma once

#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace agora::testing {

// Why the image cannot be built here (no umoci, no /bin/busybox), or empty.
std::string whyNoTestImage();
// Builds the layout at `layoutDir` (must not exist). Returns an error text, or empty.
std::string buildBusyboxLayout(const std::string& layoutDir);

// A Docker registry (Debian's docker-registry, the CNCF distribution server) on a free
// loopback port, storing under `dir`, for as long as the object lives.
class TestRegistry {
 public:
  // Why a registry cannot run here (no docker-registry, skopeo, umoci or busybox), or empty.
  static std::string whyUnavailable();
  // How clients must authenticate: with `user` set, HTTP basic auth (htpasswd, bcrypt) as
  // `user` with `password`; with `tokenRealm` set too, bearer tokens from that token
  // service (see TokenServer), signed by `tokenCertificate`'s key.
  struct Auth {
    std::string user;
    std::string password;
    std::string tokenRealm;
    std::string tokenService;
    std::string tokenIssuer;
    std::string tokenCertificate;
  };
  explicit TestRegistry(const std::string& dir, const Auth& auth = {});
  ~TestRegistry();
  // Empty when it answers; else why not (with its log).
  const std::string& error() const { return error_; }
  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  // Where it keeps blobs (tests corrupt them).
  std::string dataDir() const { return dir_ + "/data"; }
  // Builds the busybox test image and pushes it as `repository:tag`. Error text or empty.
  std::string pushBusybox(const std::string& repositoryAndTag);

 private:
  std::string dir_;
  std::string credentials_;  // "user:password", or empty.
  std::string address_;
  std::string error_;
  std::unique_ptr<Process> server_;
};

}  // namespace agora::testing
