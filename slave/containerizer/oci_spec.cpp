#include "slave/containerizer/oci_spec.hpp"

#include <algorithm>
#include <cmath>

namespace agora::slave::oci {

namespace {

using nlohmann::json;

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// Above this the CFS quota arithmetic would need care, and no host has that many cpus.
constexpr double kMaxCpus = 1e6;
// The kernel clamps cpu.shares to 2^18; clamping here keeps the spec honest.
constexpr uint64_t kMaxCpuShares = 262144;
// Below this runc fails with an opaque "device or resource busy" when the limit is under
// the container's start-up usage; a named error is better.
constexpr uint64_t kMinMemBytes = uint64_t{4} << 20;

Status fieldError(const std::string& field, const std::string& problem) {
  return Status::invalid(field + ": " + problem);
}

bool hasDotDot(const std::string& path) {
  return path == ".." || path.find("/../") != std::string::npos || path.starts_with("../") ||
         path.ends_with("/..");
}

Status checkAbsolute(const std::string& field, const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return fieldError(field, "must be an absolute path, got '" + path + "'");
  }
  if (hasDotDot(path)) {
    return fieldError(field, "must not contain '..', got '" + path + "'");
  }
  return Status::ok();
}

Status checkHostname(const std::string& hostname) {
  if (hostname.size() > 64) {
    return fieldError("hostname", "must be at most 64 characters");
  }
  bool valid = std::all_of(hostname.begin(), hostname.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
  return valid ? Status::ok()
               : fieldError("hostname", "may hold only letters, digits, '-' and '.'");
}

Status validateProcess(const ContainerConfig& config) {
  if (config.args.empty() || config.args[0].empty()) {
    return fieldError("args", "must not be empty");
  }
  for (size_t i = 0; i < config.env.size(); ++i) {
    if (config.env[i].find('=') == std::string::npos || config.env[i][0] == '=') {
      return fieldError("env[" + std::to_string(i) + "]",
                        "must be KEY=VALUE, got '" + config.env[i] + "'");
    }
  }
  AGORA_RETURN_IF_ERROR(checkAbsolute("cwd", config.cwd));
  return checkHostname(config.hostname);
}

Status validateResources(const ContainerConfig& config) {
  if (!std::isfinite(config.cpus) || config.cpus <= 0 || config.cpus > kMaxCpus) {
    return fieldError("cpus", "must be a number in (0, 1e6], got " + std::to_string(config.cpus));
  }
  if (config.memBytes < kMinMemBytes) {
    return fieldError("memBytes", "must be at least " + std::to_string(kMinMemBytes) + ", got " +
                                      std::to_string(config.memBytes));
  }
  if (config.pidsLimit <= 0 && config.pidsLimit != -1) {
    return fieldError("pidsLimit",
                      "must be positive or -1 (no limit), got " + std::to_string(config.pidsLimit));
  }
  return Status::ok();
}

Status validateMounts(const ContainerConfig& config) {
  AGORA_RETURN_IF_ERROR(checkAbsolute("rootfs", config.rootfs));
  AGORA_RETURN_IF_ERROR(checkAbsolute("sandboxHostPath", config.sandboxHostPath));
  AGORA_RETURN_IF_ERROR(checkAbsolute("sandboxContainerPath", config.sandboxContainerPath));
  if (config.sandboxContainerPath == "/") {
    return fieldError("sandboxContainerPath", "must not be '/'");
  }
  for (size_t i = 0; i < config.extraMounts.size(); ++i) {
    const std::string field = "extraMounts[" + std::to_string(i) + "]";
    AGORA_RETURN_IF_ERROR(checkAbsolute(field + ".source", config.extraMounts[i].source));
    AGORA_RETURN_IF_ERROR(checkAbsolute(field + ".destination", config.extraMounts[i].destination));
  }
  return checkAbsolute("cgroupsPath", config.cgroupsPath);
}

json capabilities() {
  // `runc spec`'s default set: enough for a shell, nothing that reaches outside the container.
  const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  return {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}};
}

json processJson(const ContainerConfig& config) {
  std::vector<std::string> env = config.env;
  bool hasPath = std::any_of(env.begin(), env.end(),
                             [](const std::string& e) { return e.starts_with("PATH="); });
  if (!hasPath) {
    env.push_back(kDefaultPath);  // `runc` resolves `args[0]` with the container's PATH.
  }
  return {{"terminal", false},      {"user", {{"uid", config.uid}, {"gid", config.gid}}},
          {"args", config.args},    {"env", env},
          {"cwd", config.cwd},      {"capabilities", capabilities()},
          {"noNewPrivileges", true}};
}

json bindMount(const std::string& source, const std::string& destination, bool readOnly) {
  return {{"destination", destination},
          {"type", "bind"},
          {"source", source},
          {"options", {"rbind", readOnly ? "ro" : "rw"}}};
}

json mountsJson(const ContainerConfig& config) {
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
      {{"destination", "/sys/fs/cgroup"},
       {"type", "cgroup"},
       {"source", "cgroup"},
       {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
  });
  mounts.push_back(bindMount(config.sandboxHostPath, config.sandboxContainerPath, false));
  for (const Mount& mount : config.extraMounts) {
    mounts.push_back(bindMount(mount.source, mount.destination, mount.readOnly));
  }
  return mounts;
}

json resourcesJson(const ContainerConfig& config) {
  uint64_t shares = static_cast<uint64_t>(std::llround(config.cpus * 1024));
  int64_t quota = std::llround(config.cpus * static_cast<double>(kCfsPeriodUs));
  json resources = {
      {"devices", json::array({{{"allow", false}, {"access", "rwm"}}})},
      {"cpu",
       {{"shares", std::clamp(shares, kMinCpuShares, kMaxCpuShares)},
        {"quota", std::max(quota, kMinCfsQuotaUs)},
        {"period", kCfsPeriodUs}}},
      {"memory", {{"limit", config.memBytes}}},
  };
  if (config.pidsLimit > 0) {
    resources["pids"] = {{"limit", config.pidsLimit}};
  }
  return resources;
}

json namespacesJson(const ContainerConfig& config) {
  json namespaces = json::array();
  for (const char* type : {"pid", "mount", "ipc", "uts"}) {
    namespaces.push_back({{"type", type}});
  }
  if (!config.hostNetwork) {
    if (config.networkNamespacePath.empty()) {
      namespaces.push_back({{"type", "network"}});  // runc brings up loopback in it.
    } else {
      namespaces.push_back({{"type", "network"}, {"path", config.networkNamespacePath}});
    }
  }
  return namespaces;
}

json linuxJson(const ContainerConfig& config) {
  return {{"cgroupsPath", config.cgroupsPath},
          {"namespaces", namespacesJson(config)},
          {"resources", resourcesJson(config)},
          // `runc spec`'s defaults: hide kernel interfaces a task has no business touching.
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi"}},
          {"readonlyPaths",
           {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}};
}

}  // namespace

StatusOr<nlohmann::json> buildOciSpec(const ContainerConfig& config) {
  AGORA_RETURN_IF_ERROR(validateProcess(config));
  AGORA_RETURN_IF_ERROR(validateResources(config));
  AGORA_RETURN_IF_ERROR(validateMounts(config));

  json spec = {{"ociVersion", "1.0.2"},
               {"process", processJson(config)},
               {"root", {{"path", config.rootfs}, {"readonly", config.readOnlyRootfs}}},
               {"mounts", mountsJson(config)},
               {"linux", linuxJson(config)}};
  if (!config.hostname.empty()) {
    spec["hostname"] = config.hostname;
  }
  return spec;
}

}  // namespace agora::slave::oci
