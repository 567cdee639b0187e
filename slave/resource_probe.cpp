#include "slave/resource_probe.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace agora::slave {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

StatusOr<double> memTotalMb() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemTotal:") {
      return kb / 1024.0;
    }
  }
  return Status::io("cannot read MemTotal from /proc/meminfo");
}

StatusOr<double> diskTotalMb(const std::string& path) {
  struct statvfs info {};
  if (statvfs(path.c_str(), &info) != 0) {
    return Status::io("statvfs(" + path + ") failed");
  }
  return static_cast<double>(info.f_blocks) * static_cast<double>(info.f_frsize) / kMiB;
}

}  // namespace

StatusOr<Resources> probeResources(const std::string& workDir) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus <= 0) {
    cpus = 1;
  }
  auto mem = memTotalMb();
  if (!mem.isOk()) {
    return mem.status();
  }
  auto disk = diskTotalMb(workDir);
  if (!disk.isOk()) {
    return disk.status();
  }
  double memMb = std::max(*mem - 1024.0, *mem / 2.0);
  double diskMb = std::max(*disk - 5.0 * 1024.0, 0.0);
  std::ostringstream text;
  text << "cpus:" << cpus << ";mem:" << static_cast<long long>(memMb)
       << ";disk:" << static_cast<long long>(diskMb) << ";ports:[31000-32000]";
  return Resources::parse(text.str());
}

StatusOr<Resources> agentResources(const std::string& flagText, const std::string& workDir) {
  if (!flagText.empty()) {
    auto parsed = Resources::parse(flagText);
    if (!parsed.isOk()) {
      return parsed.status().withContext("invalid --resources");
    }
    return parsed;
  }
  return probeResources(workDir);
}

}  // namespace agora::slave
