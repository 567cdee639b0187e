// Importing an image from an OCI image layout directory (what `umoci`, `skopeo copy
// oci:...` and `docker buildx --output type=oci` write) into the image store: for hosts
// that cannot reach a registry (`agora image import PATH`).
#pragma once

#include <string>

#include "common/base/status.hpp"
#include "slave/images/image_store.hpp"

namespace agora::slave::images {

// Imports the image named `name` in the layout's index.json (annotation
// `org.opencontainers.image.ref.name`; empty: the layout's only image), verifying every
// blob, and records it in the store as `reference` (empty: `name`). Returns the manifest
// digest. An index entry for several platforms resolves to linux on this architecture.
StatusOr<std::string> importOciLayout(ImageStore& store, const std::string& layoutDir,
                                      const std::string& name, const std::string& reference);

}  // namespace agora::slave::images
