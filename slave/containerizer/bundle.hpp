// An OCI bundle directory: the `config.json` runc reads, next to whatever the caller keeps
// there (the rootfs, runc's log, the init pid file).
//
// Functions only; thread-compatible (two callers must not write the same bundle at once).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/base/status.hpp"
#include "slave/containerizer/oci_spec.hpp"

namespace agora::slave::oci {

// The path of `config.json` inside `bundleDir`.
std::string configPath(const std::string& bundleDir);

// Creates `bundleDir` (and its parents) if needed and writes `spec` as its `config.json`.
// The file is written to a temporary name and renamed, so runc never reads half of it.
// Errors: kIoError naming the path.
Status writeBundleConfig(const std::string& bundleDir, const nlohmann::json& spec);

// Builds the spec for `config` (see `buildOciSpec()`) and writes it into `bundleDir`.
// Errors: kInvalidArgument naming the bad field, or kIoError.
Status writeBundle(const std::string& bundleDir, const ContainerConfig& config);

}  // namespace agora::slave::oci
