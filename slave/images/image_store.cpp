#include "slave/images/image_store.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/base/ids.hpp"
#include "slave/images/digest.hpp"
#include "slave/images/layer_unpack.hpp"

namespace agora::slave::images {
namespace {

namespace fs = std::filesystem;

StatusOr<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::notFound("cannot read " + path);
  }
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// The digest part of "name@sha256:..." or a bare digest; empty otherwise.
std::string digestOf(const std::string& reference) {
  size_t at = reference.rfind('@');
  std::string digest = at == std::string::npos ? reference : reference.substr(at + 1);
  return validateDigest(digest).isOk() ? digest : "";
}

}  // namespace

Status ImageStore::init() {
  std::error_code error;
  for (const char* sub : {"blobs/sha256", "refs", "tmp"}) {
    fs::create_directories(fs::path(dir_) / sub, error);
    if (error) {
      return Status::io("cannot create image store " + dir_ + "/" + sub + ": " + error.message());
    }
  }
  // Partial blobs of a run that died. Only old ones: executors of the agent share the store
  // and each opens it, so a young file may be another pull in progress.
  auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "tmp", error)) {
    if (entry.last_write_time(error) < cutoff) fs::remove_all(entry.path(), error);
  }
  return Status::ok();
}

std::string ImageStore::blobPath(const std::string& digest) const {
  return dir_ + "/blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

bool ImageStore::hasBlob(const std::string& digest) const {
  return validateDigest(digest).isOk() && fs::exists(blobPath(digest));
}

StatusOr<std::string> ImageStore::readBlob(const std::string& digest) const {
  if (Status s = validateDigest(digest); !s.isOk()) return s;
  auto bytes = readFile(blobPath(digest));
  if (!bytes.isOk()) {
    return Status::notFound("blob " + digest + " is not in the image store");
  }
  return bytes;
}

std::string ImageStore::newTempPath() const { return dir_ + "/tmp/" + newUuid(); }

Status ImageStore::commitBlob(const std::string& tempPath, const std::string& digest) {
  auto actual = sha256DigestOfFile(tempPath);
  std::error_code error;
  if (!actual.isOk() || *actual != digest) {
    fs::remove(tempPath, error);
    return Status::invalid("blob " + digest + " does not match its digest (its bytes hash to " +
                           (actual.isOk() ? *actual : actual.status().message()) + ")");
  }
  fs::rename(tempPath, blobPath(digest), error);
  if (error) {
    fs::remove(tempPath, error);
    return Status::io("cannot store blob " + digest + ": " + error.message());
  }
  return Status::ok();
}

Status ImageStore::addBlobFile(const std::string& path, const std::string& digest) {
  if (Status s = validateDigest(digest); !s.isOk()) return s;
  if (hasBlob(digest)) return Status::ok();
  std::string temp = newTempPath();
  std::error_code error;
  fs::copy_file(path, temp, error);
  if (error) {
    return Status::io("cannot copy blob " + digest + " from " + path + ": " + error.message());
  }
  return commitBlob(temp, digest);
}

Status ImageStore::addBlob(const std::string& bytes, const std::string& digest) {
  if (Status s = validateDigest(digest); !s.isOk()) return s;
  if (hasBlob(digest)) return Status::ok();
  std::string temp = newTempPath();
  std::ofstream(temp, std::ios::binary) << bytes;
  return commitBlob(temp, digest);
}

std::string ImageStore::refPath(const std::string& reference) const {
  std::string name;
  for (char c : reference) {
    name += c == '/' ? std::string("%2F") : c == '%' ? std::string("%25") : std::string(1, c);
  }
  return dir_ + "/refs/" + name;
}

Status ImageStore::tag(const std::string& reference, const std::string& manifestDigest) {
  if (reference.empty()) return Status::invalid("image reference is empty");
  if (Status s = validateDigest(manifestDigest); !s.isOk()) return s;
  std::string temp = newTempPath();
  std::ofstream(temp) << manifestDigest;
  std::error_code error;
  fs::rename(temp, refPath(reference), error);
  if (error) return Status::io("cannot record image " + reference + ": " + error.message());
  return Status::ok();
}

std::vector<std::string> ImageStore::reachableFrom(const std::string& manifestDigest) const {
  std::vector<std::string> out{manifestDigest};
  auto parsed = manifest(manifestDigest);
  if (parsed.isOk()) {
    out.push_back(parsed->config.digest);
    for (const Descriptor& layer : parsed->layers) out.push_back(layer.digest);
  }
  return out;
}

StatusOr<ImageStore::GcResult> ImageStore::collectGarbage(uint64_t maxBytes) {
  FileLock lock(dir_ + "/gc.lock", FileLock::Mode::kExclusiveIfFree);
  if (!lock.held()) {
    return Status::unavailable("the image store is in use (a pull or an unpack)");
  }
  // References by last use, oldest first.
  std::vector<std::pair<fs::file_time_type, fs::path>> refs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "refs", error)) {
    refs.emplace_back(entry.last_write_time(error), entry.path());
  }
  std::sort(refs.begin(), refs.end());
  GcResult result;
  size_t dropped = 0;
  while (true) {
    std::set<std::string> reachable;
    for (size_t i = dropped; i < refs.size(); ++i) {
      auto digest = readFile(refs[i].second.string());
      if (!digest.isOk()) continue;
      for (const std::string& blob : reachableFrom(*digest)) reachable.insert(blob);
    }
    uint64_t kept = 0;
    for (const auto& blob : fs::directory_iterator(fs::path(dir_) / "blobs/sha256", error)) {
      uint64_t size = blob.file_size(error);
      std::string digest = "sha256:" + blob.path().filename().string();
      if (reachable.count(digest)) {
        kept += size + unpackedBytes(digest);
      } else if (fs::remove(blob.path(), error)) {
        ++result.blobsRemoved;
        result.bytesRemoved += size;
      }
    }
    result.bytesKept = kept;
    if (kept <= maxBytes || dropped == refs.size()) {
      result.bytesRemoved += pruneLayerDirs(reachable);
      return result;
    }
    // Over the bound: the least recently used reference goes, and the loop collects what
    // only it reached.
    result.untagged.push_back(refs[dropped].second.filename().string());
    fs::remove(refs[dropped++].second, error);
  }
}

StatusOr<std::string> ImageStore::resolve(const std::string& reference) const {
  std::string digest = digestOf(reference);
  if (!digest.empty()) {
    if (hasBlob(digest)) return digest;
    return Status::notFound("image " + reference + " is not in the image store");
  }
  auto recorded = readFile(refPath(reference));
  if (!recorded.isOk()) {
    return Status::notFound("image " + reference + " is not in the image store");
  }
  // A use: garbage collection drops the least recently used images first.
  std::error_code ignored;
  fs::last_write_time(refPath(reference), fs::file_time_type::clock::now(), ignored);
  return *recorded;
}

StatusOr<ImageManifest> ImageStore::manifest(const std::string& manifestDigest) const {
  auto bytes = readBlob(manifestDigest);
  if (!bytes.isOk()) return bytes.status();
  auto parsed = parseManifest(*bytes);
  if (!parsed.isOk()) return parsed.status().withContext("manifest " + manifestDigest);
  return parsed;
}

StatusOr<ImageConfig> ImageStore::config(const std::string& manifestDigest) const {
  auto parsed = manifest(manifestDigest);
  if (!parsed.isOk()) return parsed.status();
  auto bytes = readBlob(parsed->config.digest);
  if (!bytes.isOk()) return bytes.status();
  return parseImageConfig(*bytes);
}

Status ImageStore::makeRootfs(const std::string& manifestDigest, const std::string& target) const {
  auto parsed = manifest(manifestDigest);
  if (!parsed.isOk()) return parsed.status();
  std::error_code error;
  if (fs::exists(target, error)) return Status::invalid("rootfs " + target + " already exists");
  fs::create_directories(target, error);
  if (error) return Status::io("cannot create rootfs " + target + ": " + error.message());
  for (const Descriptor& layer : parsed->layers) {
    Status applied = hasBlob(layer.digest)
                         ? applyLayer(blobPath(layer.digest), target)
                         : Status::notFound("layer " + layer.digest + " is not in the image store");
    if (!applied.isOk()) {
      fs::remove_all(target, error);
      return applied.withContext("image " + manifestDigest);
    }
  }
  return Status::ok();
}

}  // namespace agora::slave::images
