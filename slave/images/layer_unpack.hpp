// Applying an image layer (an OCI/Docker "changeset": a tar, gzip- or zstd-compressed or
// plain) on top of a root filesystem directory, honouring whiteouts:
//   `dir/.wh.name`        removes `dir/name` of the layers below;
//   `dir/.wh..wh..opq`    empties `dir` of what the layers below put there.
// Whiteouts apply to lower layers only (OCI image spec, "Whiteouts"): they are applied in a
// first pass over the layer, then its other entries are written.
//
// Paths never leave the root: entries with `..` or absolute paths are refused, and a path
// through a symlink is resolved as if the root were `/` (an image's `/lib -> usr/lib` or
// `etc -> /etc` points inside the rootfs, never to the host's).
#pragma once

#include <string>

#include "common/base/status.hpp"

namespace agora::slave::images {

// REQUIRES: `root` is an existing directory. On error the rootfs may hold part of the
// layer (callers unpack into a fresh directory and discard it on failure).
Status applyLayer(const std::string& layerPath, const std::string& root);

// Unpacks a layer on its own into `dir` (an existing directory), to be one `lowerdir` of
// an overlayfs mount: whiteouts are written the way overlayfs reads them (a 0/0 character
// device per removed name, the `trusted.overlay.opaque` xattr on an opaque directory).
// Needs root (mknod, trusted xattrs). Paths resolve inside `dir` only, so a path through a
// symlink of a lower layer is not followed (image builders write real paths).
Status unpackLayerForOverlay(const std::string& layerPath, const std::string& dir);

// `relative` (a path inside the image) as a host path under `root`, with every symlink in
// its parent directories resolved inside the root; the last component is not resolved.
// Errors for `..` components that would leave the root or symlink loops.
StatusOr<std::string> resolveInRoot(const std::string& root, const std::string& relative);

}  // namespace agora::slave::images
