// The agent's image cache, content-addressed like an OCI layout:
//   <dir>/blobs/sha256/<hex>   manifests, configs and layers, by digest;
//   <dir>/refs/<reference>     the manifest digest an image reference resolves to
//                              ('/' in the reference written as "%2F").
// A blob is written to <dir>/tmp, hashed while it is copied, and renamed under its digest
// only if the bytes match: the cache never holds a partial or wrong blob, whatever dies
// or lies meanwhile. Shared by every task on the agent (one owner: the agent's loop, or a
// puller it hands the store to).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/base/status.hpp"
#include "slave/images/file_lock.hpp"
#include "slave/images/manifest.hpp"

namespace agora::slave::images {

class ImageStore {
 public:
  explicit ImageStore(std::string dir) : dir_(std::move(dir)) {}

  // Creates the directories, and removes from tmp/ what is over an hour old (left by a
  // process that died mid-download; younger files may be pulls in progress elsewhere).
  Status init();

  bool hasBlob(const std::string& digest) const;
  std::string blobPath(const std::string& digest) const;
  StatusOr<std::string> readBlob(const std::string& digest) const;
  // Adds the bytes of the file at `path` (or `bytes`) as blob `digest`, verified. A blob
  // already there is kept as it is.
  Status addBlobFile(const std::string& path, const std::string& digest);
  Status addBlob(const std::string& bytes, const std::string& digest);

  // For blobs that arrive in pieces (downloads): write them to a path from
  // `newTempPath()`, then `commitBlob` verifies and files them (or removes them).
  std::string newTempPath() const;
  Status commitBlob(const std::string& tempPath, const std::string& digest);

  Status tag(const std::string& reference, const std::string& manifestDigest);
  // The manifest digest of `reference`; a digest reference ("...@sha256:...") or a bare
  // digest resolves to itself when the store has it.
  StatusOr<std::string> resolve(const std::string& reference) const;

  StatusOr<ImageManifest> manifest(const std::string& manifestDigest) const;
  StatusOr<ImageConfig> config(const std::string& manifestDigest) const;
  // Unpacks the image's layers, lowest first, into `target` (created; must not exist).
  // Every blob must be in the store. On error `target` is removed.
  Status makeRootfs(const std::string& manifestDigest, const std::string& target) const;

  // Overlayfs (overlay_rootfs.cpp). Each layer is unpacked once, on its own, under
  // <dir>/layers/<hex> (shared by every container of the agent, never written to); a
  // container's rootfs is an overlay of them with its own upper directory.
  // The layer's directory, unpacked now unless it already is. The bytes its files take are
  // recorded beside it (<dir>/layers/<hex>.bytes) for collectGarbage().
  StatusOr<std::string> unpackedLayer(const std::string& layerDigest) const;
  // What the layer takes unpacked (its files' sizes); 0 when it is not unpacked.
  uint64_t unpackedBytes(const std::string& layerDigest) const;
  // Mounts the image at `<bundleDir>/rootfs` (upper and work directories beside it).
  // Errors (no overlayfs, not root) leave nothing mounted: callers fall back to a copy.
  Status mountRootfs(const std::string& manifestDigest, const std::string& bundleDir) const;
  // Unmounts a rootfs made by mountRootfs; nothing when it is not a mount.
  static void unmountRootfs(const std::string& rootfs);

  // Holds the store against garbage collection while a pull and an unpack use blobs that no
  // reference may name yet (a shared lock on <dir>/gc.lock; collection takes it exclusive).
  class Lease {
   public:
    explicit Lease(const ImageStore& store)
        : lock_(store.dir() + "/gc.lock", FileLock::Mode::kShared) {}

   private:
    FileLock lock_;
  };

  struct GcResult {
    int blobsRemoved = 0;
    uint64_t bytesRemoved = 0;
    std::vector<std::string> untagged;  // References dropped to get under the bound.
    uint64_t bytesKept = 0;
  };
  // Removes blobs no reference reaches, then, while the store holds more than `maxBytes`
  // (blobs and unpacked layers), the least recently used reference (`resolve()` counts as a
  // use) and what only it reached. Tasks' rootfs are copies, so running containers never need a
  // blob. Skipped (kUnavailable) while a Lease is held anywhere on the host.
  StatusOr<GcResult> collectGarbage(uint64_t maxBytes);

  const std::string& dir() const { return dir_; }

 private:
  std::string refPath(const std::string& reference) const;
  // The blobs a manifest reaches: itself, its config and its layers.
  std::vector<std::string> reachableFrom(const std::string& manifestDigest) const;
  // Removes unpacked layers whose blob is not `reachable`, unless a mounted overlay uses
  // them. Returns the bytes they took.
  uint64_t pruneLayerDirs(const std::set<std::string>& reachable) const;

  std::string dir_;
};

}  // namespace agora::slave::images
