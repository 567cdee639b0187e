#include "slave/containerizer/cgroups.hpp"

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

}  // namespace agora::slave::oci
