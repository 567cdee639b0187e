#include "slave/containerizer/cgroups.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace agora::slave::oci {

namespace {

StatusOr<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::io("cannot read " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of the `key value` line named `key` in a flat-keyed cgroup file.
StatusOr<uint64_t> keyedValue(const std::string& path, const std::string& key) {
  StatusOr<std::string> text = readFile(path);
  if (!text.isOk()) {
    return text.status();
  }
  std::istringstream lines(*text);
  std::string name;
  uint64_t value = 0;
  while (lines >> name >> value) {
    if (name == key) {
      return value;
    }
  }
  return Status::notFound("no '" + key + "' in " + path);
}

}  // namespace

StatusOr<CgroupLayout> detectCgroupLayout(const std::string& root) {
  if (std::filesystem::exists(root + "/memory/memory.limit_in_bytes")) {
    return CgroupLayout::kV1;
  }
  if (std::filesystem::exists(root + "/cgroup.controllers")) {
    return CgroupLayout::kV2;
  }
  return Status::notFound("no memory cgroup controller under " + root);
}

std::string memoryCgroupDir(CgroupLayout layout, const std::string& cgroupsPath,
                            const std::string& root) {
  return layout == CgroupLayout::kV1 ? root + "/memory" + cgroupsPath : root + cgroupsPath;
}

StatusOr<uint64_t> memoryLimit(CgroupLayout layout, const std::string& cgroupsPath,
                               const std::string& root) {
  const std::string dir = memoryCgroupDir(layout, cgroupsPath, root);
  const std::string path =
      dir + (layout == CgroupLayout::kV1 ? "/memory.limit_in_bytes" : "/memory.max");
  StatusOr<std::string> text = readFile(path);
  if (!text.isOk()) {
    return text.status();
  }
  if (text->starts_with("max")) {
    return std::numeric_limits<uint64_t>::max();
  }
  try {
    return static_cast<uint64_t>(std::stoull(*text));
  } catch (const std::exception&) {
    return Status::error(StatusCode::kInternal, "unexpected content in " + path + ": " + *text);
  }
}

StatusOr<uint64_t> oomKillCount(CgroupLayout layout, const std::string& cgroupsPath,
                                const std::string& root) {
  const std::string dir = memoryCgroupDir(layout, cgroupsPath, root);
  return keyedValue(dir + (layout == CgroupLayout::kV1 ? "/memory.oom_control" : "/memory.events"),
                    "oom_kill");
}

namespace {

StatusOr<uint64_t> number(const std::string& path) {
  StatusOr<std::string> text = readFile(path);
  if (!text.isOk()) return text.status();
  try {
    return static_cast<uint64_t>(std::stoull(*text));
  } catch (const std::exception&) {
    return Status::error(StatusCode::kInternal, "unexpected content in " + path + ": " + *text);
  }
}

StatusOr<ContainerUsage> usageV1(const std::string& cgroupsPath, const std::string& root) {
  ContainerUsage usage;
  const std::string cpuacct = root + "/cpuacct" + cgroupsPath;
  auto user = keyedValue(cpuacct + "/cpuacct.stat", "user");
  auto system = keyedValue(cpuacct + "/cpuacct.stat", "system");
  if (!user.isOk()) return user.status();
  double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  usage.cpusUserTimeSecs = static_cast<double>(*user) / tick;
  usage.cpusSystemTimeSecs = system.isOk() ? static_cast<double>(*system) / tick : 0;
  const std::string cpu = root + "/cpu" + cgroupsPath;
  auto quota = readFile(cpu + "/cpu.cfs_quota_us");
  auto period = number(cpu + "/cpu.cfs_period_us");
  if (quota.isOk() && period.isOk() && *period > 0 && quota->find('-') == std::string::npos) {
    usage.cpusLimit = std::stod(*quota) / static_cast<double>(*period);
  }
  const std::string memory = root + "/memory" + cgroupsPath;
  auto rss = keyedValue(memory + "/memory.stat", "total_rss");
  usage.memRssBytes = rss.isOk() ? *rss : 0;
  auto total = number(memory + "/memory.usage_in_bytes");
  usage.memTotalBytes = total.isOk() ? *total : 0;
  auto limit = number(memory + "/memory.limit_in_bytes");
  usage.memLimitBytes = limit.isOk() ? *limit : 0;
  return usage;
}

StatusOr<ContainerUsage> usageV2(const std::string& cgroupsPath, const std::string& root) {
  ContainerUsage usage;
  const std::string dir = root + cgroupsPath;
  auto user = keyedValue(dir + "/cpu.stat", "user_usec");
  if (!user.isOk()) return user.status();
  usage.cpusUserTimeSecs = static_cast<double>(*user) / 1e6;
  auto system = keyedValue(dir + "/cpu.stat", "system_usec");
  usage.cpusSystemTimeSecs = system.isOk() ? static_cast<double>(*system) / 1e6 : 0;
  auto max = readFile(dir + "/cpu.max");  // "quota period" or "max period"
  if (max.isOk() && !max->starts_with("max")) {
    std::istringstream fields(*max);
    double quota = 0;
    double period = 0;
    if (fields >> quota >> period && period > 0) usage.cpusLimit = quota / period;
  }
  auto anon = keyedValue(dir + "/memory.stat", "anon");
  usage.memRssBytes = anon.isOk() ? *anon : 0;
  auto current = number(dir + "/memory.current");
  usage.memTotalBytes = current.isOk() ? *current : 0;
  auto limit = memoryLimit(CgroupLayout::kV2, cgroupsPath, root);
  usage.memLimitBytes = limit.isOk() ? *limit : 0;
  return usage;
}

}  // namespace

StatusOr<ContainerUsage> containerUsage(CgroupLayout layout, const std::string& cgroupsPath,
                                        const std::string& root) {
  return layout == CgroupLayout::kV1 ? usageV1(cgroupsPath, root) : usageV2(cgroupsPath, root);
}

}  // namespace agora::slave::oci
