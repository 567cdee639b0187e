#include "tests/support/busybox_rootfs.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace agora::testing {

namespace fs = std::filesystem;

namespace {

constexpr const char* kApplets[] = {"sh",    "echo", "cat",  "sleep", "hostname", "id",
                                    "ls",    "head", "tr",   "kill",  "true",     "false",
                                    "mkdir", "rm",   "grep", "wc",    "env",      "ps"};

Status writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return out.flush() ? Status::ok() : Status::io("cannot write " + path.string());
}

}  // namespace

bool haveStaticBusybox() {
  std::ifstream in(kHostBusybox, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A dynamic executable names its loader (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2.
  return !bytes.empty() && bytes.find("/ld-linux") == std::string::npos &&
         bytes.find("/ld-musl") == std::string::npos;
}

Status makeBusyboxRootfs(const std::string& rootfs) {
  if (!haveStaticBusybox()) {
    return Status::notFound(std::string("no static busybox at ") + kHostBusybox +
                            " (install busybox-static)");
  }
  const fs::path root(rootfs);
  std::error_code error;
  for (const char* dir : {"bin", "proc", "dev", "sys", "tmp", "etc", "root"}) {
    fs::create_directories(root / dir, error);
    if (error) {
      return Status::io("cannot create " + (root / dir).string() + ": " + error.message());
    }
  }
  fs::permissions(root / "tmp", fs::perms::all | fs::perms::sticky_bit, error);
  fs::copy_file(kHostBusybox, root / "bin/busybox", fs::copy_options::overwrite_existing, error);
  if (error) {
    return Status::io("cannot copy busybox: " + error.message());
  }
  for (const char* applet : kApplets) {
    fs::remove(root / "bin" / applet, error);
    fs::create_symlink("busybox", root / "bin" / applet, error);
    if (error) {
      return Status::io(std::string("cannot link ") + applet + ": " + error.message());
    }
  }
  AGORA_RETURN_IF_ERROR(writeFile(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"));
  return writeFile(root / "etc/group", "root:x:0:\n");
}

}  // namespace agora::testing
