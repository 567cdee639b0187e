// Container root filesystems as overlayfs mounts of unpacked layers (see image_store.hpp).
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/ids.hpp"
#include "slave/images/image_store.hpp"
#include "slave/images/layer_unpack.hpp"

namespace agora::slave::images {
namespace {

namespace fs = std::filesystem;

std::string hexOf(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

// What is mounted on the host (overlays name their lower directories in their options).
std::string mountTable() {
  std::ifstream in("/proc/self/mounts");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

StatusOr<std::string> ImageStore::unpackedLayer(const std::string& layerDigest) const {
  std::string target = dir_ + "/layers/" + hexOf(layerDigest);
  std::error_code error;
  if (fs::is_directory(target, error)) return target;
  if (!hasBlob(layerDigest)) {
    return Status::notFound("layer " + layerDigest + " is not in the image store");
  }
  // Unpacked aside and renamed into place: a reader never sees half a layer, and of two
  // executors unpacking the same layer at once the second one's rename just fails.
  std::string temp = dir_ + "/tmp/layer-" + newUuid();
  fs::create_directories(dir_ + "/layers", error);
  fs::create_directories(temp, error);
  if (error) return Status::io("cannot create " + temp + ": " + error.message());
  Status unpacked = unpackLayerForOverlay(blobPath(layerDigest), temp);
  if (unpacked.isOk()) {
    fs::rename(temp, target, error);
  }
  std::error_code ignored;
  fs::remove_all(temp, ignored);
  if (!unpacked.isOk()) return unpacked;
  if (error && !fs::is_directory(target, ignored)) {
    return Status::io("cannot store unpacked layer " + target + ": " + error.message());
  }
  return target;
}

Status ImageStore::mountRootfs(const std::string& manifestDigest,
                               const std::string& bundleDir) const {
  auto parsed = manifest(manifestDigest);
  if (!parsed.isOk()) return parsed.status();
  if (parsed->layers.empty()) return Status::invalid("image " + manifestDigest + " has no layers");
  std::string lower;  // Top layer first.
  for (const Descriptor& layer : parsed->layers) {
    auto dir = unpackedLayer(layer.digest);
    if (!dir.isOk()) return dir.status().withContext("image " + manifestDigest);
    lower = *dir + (lower.empty() ? "" : ":" + lower);
  }
  std::string rootfs = bundleDir + "/rootfs";
  std::error_code error;
  for (const char* sub : {"/rootfs", "/upper", "/work"}) {
    fs::create_directories(bundleDir + sub, error);
    if (error) return Status::io("cannot create " + bundleDir + sub + ": " + error.message());
  }
  std::string options =
      "lowerdir=" + lower + ",upperdir=" + bundleDir + "/upper,workdir=" + bundleDir + "/work";
  if (mount("overlay", rootfs.c_str(), "overlay", 0, options.c_str()) != 0) {
    return Status::unavailable("cannot mount an overlayfs rootfs at " + rootfs + ": " +
                               std::strerror(errno));
  }
  return Status::ok();
}

void ImageStore::unmountRootfs(const std::string& rootfs) {
  // Lazily: a process still inside lets go when it exits.
  umount2(rootfs.c_str(), MNT_DETACH);
}

void ImageStore::pruneLayerDirs(const std::set<std::string>& reachable) const {
  std::string mounts;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_ + "/layers", error)) {
    std::string hex = entry.path().filename().string();
    if (reachable.count("sha256:" + hex)) continue;
    if (mounts.empty()) mounts = mountTable();
    // A running container's overlay still reads it, though its image was collected.
    if (mounts.find(entry.path().string()) != std::string::npos) continue;
    fs::remove_all(entry.path(), error);
  }
}

}  // namespace agora::slave::images
