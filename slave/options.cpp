#include "slave/options.hpp"

#include "common/base/strings.hpp"

#include <cstdint>
#include <cstdio>

namespace agora::slave {

namespace {

// `sockaddr_un.sun_path` is 108 bytes including the terminating NUL.
constexpr size_t kMaxUnixPath = 107;

uint64_t fnv1a64(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

std::string executorEndpoint(const std::string& workDir) {
  std::string path = workDir + "/executors.sock";
  if (path.size() <= kMaxUnixPath) {
    return "ipc://" + path;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(fnv1a64(workDir)));
  return std::string("ipc:///tmp/agora-executors-") + hex + ".sock";
}

std::string sandboxesRoot(const std::string& workDir) { return workDir + "/sandboxes"; }

std::string sandboxPath(const std::string& workDir, const std::string& frameworkId,
                        const std::string& taskId) {
  return sandboxesRoot(workDir) + "/" + frameworkId + "/" + taskId;
}

std::string podPath(const std::string& workDir, const std::string& frameworkId,
                    const std::string& executorId) {
  return workDir + "/pods/" + frameworkId + "/" + executorId;
}

std::string volumePath(const std::string& workDir, const std::string& role,
                       const std::string& persistenceId) {
  // A hierarchical role is one directory ("eng%2Fweb"), so the volumes of
  // "eng/web" never nest inside a volume of "eng" named "web".
  std::string encoded;
  for (char c : role) {
    encoded += c == '/' ? std::string("%2F") : std::string(1, c);
  }
  return workDir + "/volumes/roles/" + encoded + "/" + persistenceId;
}

bool isSafeVolumePath(const std::string& role, const std::string& persistenceId) {
  size_t begin = 0;
  while (true) {
    size_t slash = role.find('/', begin);
    std::string part = role.substr(begin, slash == std::string::npos ? slash : slash - begin);
    if (!isSafePathComponent(part)) {
      return false;
    }
    if (slash == std::string::npos) {
      break;
    }
    begin = slash + 1;
  }
  return isSafePathComponent(persistenceId);
}

bool isSafePathComponent(const std::string& id) {
  return !id.empty() && id != "." && id != ".." && id.find('/') == std::string::npos &&
         id.find('\0') == std::string::npos;
}

StatusOr<std::set<std::string>> parseContainerizers(const std::string& text) {
  std::set<std::string> out;
  for (const std::string& name : splitAll(text, ',')) {
    if (name != "oci" && name != "posix") {
      return Status::invalid("unknown containerizer '" + name + "' (known: oci, posix)");
    }
    out.insert(name);
  }
  return out;
}

std::string imageStorePath(const std::string& workDir) { return workDir + "/images"; }

std::string runcRootPath(const std::string& workDir) { return workDir + "/runc"; }

}  // namespace agora::slave
