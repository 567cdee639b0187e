// Importing an image from a `docker save` tarball (plain or gzip-compressed;
// the classic layout with `<id>/layer.tar` and the OCI-style one of Docker 25+
// alike: both list their images in `manifest.json`) into the image store, for
// air-gapped hosts
// (`agora image import FILE`).
//
// The archive is read once, each file streamed into the store's tmp/ while it
// is hashed (nothing is written under a name taken from the archive). Then
// manifest.json says which files are the image's config and layers; each layer
// must hash to the config's `rootfs.diff_ids` (what `docker load` checks), and
// an image manifest (Docker v2.2, with uncompressed layers) is made for them so
// the image is stored like a pulled one.
#pragma once

#include <string>

#include "common/base/status.hpp"
#include "slave/images/image_store.hpp"

namespace agora::slave::images {

struct ImportedImage {
  std::string manifestDigest;
  std::string reference;  // What it was tagged as ("" when it has no name).
};

// Imports the image tagged `name` in the archive (its RepoTags; empty: the
// archive's only image) as `reference` (empty: `name`, else the image's first
// RepoTag, canonical).
StatusOr<ImportedImage> importDockerArchive(ImageStore& store, const std::string& archivePath,
                                            const std::string& name, const std::string& reference);

}  // namespace agora::slave::images
