#include "tests/support/test_image.hpp"

#include <crypt.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support/busybox_rootfs.hpp"

namespace agora::testing {
namespace {

namespace fs = std::filesystem;

std::string run(const std::string& command) {
  int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return rc == 0 ? "" : "'" + command + "' failed";
}

}  // namespace

std::string whyNoTestImage() {
  if (std::system("command -v umoci >/dev/null 2>&1") != 0) {
    return "umoci is not installed (scripts/install-deps installs it)";
  }
  if (!haveStaticBusybox()) {
    return "no static /bin/busybox (package busybox-static)";
  }
  return "";
}

std::string buildBusyboxLayout(const std::string& layoutDir) {
  std::string work = layoutDir + ".work";
  fs::remove_all(work);
  std::string image = layoutDir + ":busybox";
  for (const std::string& step : {"umoci init --layout " + layoutDir, "umoci new --image " + image,
                                  "umoci unpack --image " + image + " " + work + "/one"}) {
    if (std::string error = run(step); !error.empty()) return error;
  }
  Status filled = makeBusyboxRootfs(work + "/one/rootfs");
  if (!filled.isOk()) return filled.message();
  for (const std::string& step :
       {"umoci repack --image " + image + " " + work + "/one",
        "umoci config --image " + image + " --config.cmd=/bin/sh --config.env=AGORA_IMAGE=busybox",
        "umoci unpack --image " + image + " " + work + "/two"}) {
    if (std::string error = run(step); !error.empty()) return error;
  }
  fs::remove(fs::path(work) / "two/rootfs/bin/ls");
  std::ofstream(fs::path(work) / "two/rootfs/etc/agora-test") << "second layer\n";
  // A named user and group, for tasks that run as "app" or "app:staff".
  std::ofstream(fs::path(work) / "two/rootfs/etc/passwd")
      << "root:x:0:0:root:/root:/bin/sh\napp:x:1234:1300:app:/home/app:/bin/sh\n";
  std::ofstream(fs::path(work) / "two/rootfs/etc/group") << "root:x:0:\nstaff:x:50:\n";
  std::string error = run("umoci repack --image " + image + " " + work + "/two");
  fs::remove_all(work);
  return error;
}

std::string TestRegistry::whyUnavailable() {
  if (std::string why = whyNoTestImage(); !why.empty()) return why;
  if (access("/usr/bin/docker-registry", X_OK) != 0 ||
      std::system("command -v skopeo >/dev/null 2>&1") != 0) {
    return "docker-registry or skopeo is not installed (scripts/install-deps installs them)";
  }
  return "";
}

TestRegistry::TestRegistry(const std::string& dir, const Auth& auth)
    : dir_(dir), credentials_(auth.user.empty() ? "" : auth.user + ":" + auth.password) {
  fs::create_directories(dir_);
  int port = freePort();
  address_ = "127.0.0.1:" + std::to_string(port);
  std::ofstream config(dir_ + "/config.yml");
  config << "version: 0.1\nlog:\n  level: warn\nstorage:\n"
         << "  filesystem:\n    rootdirectory: " << dataDir() << "\nhttp:\n  addr: " << address_
         << "\n";
  if (!auth.tokenRealm.empty()) {
    config << "auth:\n  token:\n    realm: " << auth.tokenRealm
           << "\n    service: " << auth.tokenService << "\n    issuer: " << auth.tokenIssuer
           << "\n    rootcertbundle: " << auth.tokenCertificate << "\n";
  } else if (!auth.user.empty()) {
    // htpasswd wants bcrypt: libxcrypt's "$2b$" (glibc's crypt on Debian 12).
    char* hash = crypt(auth.password.c_str(), crypt_gensalt("$2b$", 10, nullptr, 0));
    if (hash == nullptr || hash[0] == '*') {
      error_ = "cannot hash the registry password with bcrypt";
      return;
    }
    std::ofstream(dir_ + "/htpasswd") << auth.user << ":" << hash << "\n";
    config << "auth:\n  htpasswd:\n    realm: agora-test\n    path: " << dir_ << "/htpasswd\n";
  }
  config.close();
  server_ = Process::spawn({"/usr/bin/docker-registry", "serve", dir_ + "/config.yml"},
                           dir_ + "/registry.log");
  for (int i = 0; i < 200; ++i) {
    // Any HTTP answer will do (one asking for auth included).
    std::string probe = "curl -s -o /dev/null http://" + address_ + "/v2/";
    if (std::system(probe.c_str()) == 0) return;
    usleep(50000);
  }
  error_ = "registry did not answer on " + address_ + ": " + server_->log();
}

TestRegistry::~TestRegistry() = default;

std::string TestRegistry::pushBusybox(const std::string& repositoryAndTag) {
  std::string layout = dir_ + "/layout";
  if (!fs::exists(layout)) {
    if (std::string error = buildBusyboxLayout(layout); !error.empty()) return error;
  }
  return run("skopeo copy --dest-tls-verify=false " +
             (credentials_.empty() ? std::string() : "--dest-creds " + credentials_ + " ") +
             "oci:" + layout + ":busybox docker://" + address_ + "/" + repositoryAndTag);
}

}  // namespace agora::testing
