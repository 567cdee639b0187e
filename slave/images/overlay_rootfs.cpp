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

// The bytes of the regular files under `dir`.
uint64_t bytesUnder(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(dir, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    std::error_code ignored;
    if (it->is_regular_file(ignored) && !it->is_symlink(ignored)) {
      bytes += it->file_size(ignored);
    }
  }
  return bytes;
}

constexpr char kBytesSuffix[] = ".bytes";

}  // namespace

uint64_t ImageStore::unpackedBytes(const std::string& layerDigest) const {
  std::ifstream in(dir_ + "/layers/" + hexOf(layerDigest) + kBytesSuffix);
  uint64_t bytes = 0;
  return (in >> bytes) ? bytes : 0;
}

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
    uint64_t bytes = bytesUnder(temp);
    fs::rename(temp, target, error);
    if (!error) std::ofstream(target + kBytesSuffix, std::ios::trunc) << bytes;
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

uint64_t ImageStore::pruneLayerDirs(const std::set<std::string>& reachable) const {
  std::string mounts;
  uint64_t freed = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_ + "/layers", error)) {
    std::string hex = entry.path().filename().string();
    if (hex.ends_with(kBytesSuffix)) {
      // A size whose layer is gone (it went first, or unpacking failed after it was written).
      std::string layer = entry.path().string();
      layer.resize(layer.size() - std::strlen(kBytesSuffix));
      std::error_code ignored;
      if (!fs::exists(layer, ignored)) fs::remove(entry.path(), ignored);
      continue;
    }
    if (reachable.count("sha256:" + hex)) continue;
    if (mounts.empty()) mounts = mountTable();
    // A running container's overlay still reads it, though its image was collected.
    if (mounts.find(entry.path().string()) != std::string::npos) continue;
    uint64_t bytes = unpackedBytes("sha256:" + hex);
    std::error_code removed;
    fs::remove_all(entry.path(), removed);
    if (!removed) {
      fs::remove(entry.path().string() + kBytesSuffix, removed);
      freed += bytes;
    }
  }
  return freed;
}

}  // namespace agora::slave::images
