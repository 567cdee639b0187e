// Image manifests and configs as registries and OCI layouts serve them: the OCI image
// manifest and the Docker v2 schema 2 manifest (same shape, different media types), the
// OCI image index and the Docker manifest list (one manifest per platform), and the image
// config's runtime defaults.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.hpp"

namespace agora::slave::images {

struct Descriptor {
  std::string mediaType;
  std::string digest;
  int64_t size = 0;
};

struct ImageManifest {
  Descriptor config;
  std::vector<Descriptor> layers;  // Lowest first.
};

// What the image says to run, when the task does not say otherwise.
struct ImageConfig {
  std::vector<std::string> env;  // "NAME=value"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string workingDir;
  std::string user;
};

// Media types of an index (several manifests) and of a single manifest.
bool isIndexMediaType(const std::string& mediaType);
bool isManifestMediaType(const std::string& mediaType);

// Errors name the field that is missing or malformed.
StatusOr<ImageManifest> parseManifest(const std::string& json);
// The manifest of `index` for linux on this machine's architecture (amd64, arm64, ...);
// an error lists the platforms the index has when none matches.
StatusOr<Descriptor> selectFromIndex(const std::string& json);
StatusOr<ImageConfig> parseImageConfig(const std::string& json);

}  // namespace agora::slave::images
