#include "slave/containerizer/bundle.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace agora::slave::oci {

std::string configPath(const std::string& bundleDir) { return bundleDir + "/config.json"; }

Status writeBundleConfig(const std::string& bundleDir, const nlohmann::json& spec) {
  std::error_code error;
  std::filesystem::create_directories(bundleDir, error);
  if (error) {
    return Status::io("cannot create bundle directory " + bundleDir + ": " + error.message());
  }
  const std::string path = configPath(bundleDir);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << spec.dump(2) << "\n";
    if (!out.flush()) {
      return Status::io("cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::io("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

Status writeBundle(const std::string& bundleDir, const ContainerConfig& config) {
  StatusOr<nlohmann::json> spec = buildOciSpec(config);
  if (!spec.isOk()) {
    return spec.status();
  }
  return writeBundleConfig(bundleDir, *spec);
}

}  // namespace agora::slave::oci
