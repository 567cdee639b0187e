// Docker/OCI image references: "[registry/]repository[:tag][@sha256:...]".
// As Docker reads them: the first component is a registry when it has a '.' or a ':' or
// is "localhost"; otherwise the image is on Docker Hub ("docker.io", single names under
// "library/"); the tag defaults to "latest" unless a digest is given.
#pragma once

#include <string>

#include "common/base/status.hpp"

namespace agora::slave::images {

struct ImageReference {
  std::string registry;    // "127.0.0.1:5000", "docker.io"
  std::string repository;  // "team/app", "library/busybox"
  std::string tag;         // Empty when only a digest is given.
  std::string digest;      // "sha256:..." or empty.

  // What the manifest is fetched by: the digest if any, else the tag.
  const std::string& manifestRef() const { return digest.empty() ? tag : digest; }
  // Canonical text: "registry/repository:tag" or "registry/repository@digest".
  std::string toString() const;
};

// Errors name what is wrong (empty, bad characters, bad digest, bad tag).
StatusOr<ImageReference> parseImageReference(const std::string& text);

}  // namespace agora::slave::images
