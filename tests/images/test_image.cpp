#include "tests/images/test_image.hpp"


#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/support/busybox_rootfs.hpp"

namespace agora::slave::images::testing {
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
  if (!agora::testing::haveStaticBusybox()) {
    return "no static /bin/busybox (package busybox-static)";
  }
  return "";
}

std::string buildBusyboxLayout(const std::string& layoutDir) {
  std::string work = layoutDir + ".work";
  fs::remove_all(work);
  std::string image = layoutDir + ":busybox";
  for (const std::string& step :
       {"umoci init --layout " + layoutDir, "umoci new --image " + image,
        "umoci unpack --image " + image + " " + work + "/one"}) {
    if (std::string error = run(step); !error.empty()) return error;
  }
  Status filled = agora::testing::makeBusyboxRootfs(work + "/one/rootfs");
  if (!filled.isOk()) return filled.message();
  for (const std::string& step :
       {"umoci repack --image " + image + " " + work + "/one",
        "umoci config --image " + image + " --config.cmd=/bin/sh --config.env=AGORA_IMAGE=busybox",
        "umoci unpack --image " + image + " " + work + "/two"}) {
    if (std::string error = run(step); !error.empty()) return error;
  }
  fs::remove(fs::path(work) / "two/rootfs/bin/ls");
  std::ofstream(fs::path(work) / "two/rootfs/etc/agora-test") << "second layer\n";
  std::string error = run("umoci repack --image " + image + " " + work + "/two");
  fs::remove_all(work);
  return error;
}

}  // namespace agora::slave::images::testing
