#include "slave/images/docker_archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "slave/images/digest.hpp"
#include "slave/images/image_reference.hpp"

namespace agora::slave::images {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kMaxJsonBytes = 16 << 20;  // manifest.json and image configs.

// One regular file of the archive, copied into the store's tmp/.
struct ArchiveFile {
  std::string tempPath;
  std::string digest;
  uint64_t size = 0;
  std::string text;  // The bytes, for small files (JSON).
};

// The archive's regular files by their name (without "./"). Removes the copies
// left on destruction: fileBlob moves the ones that become blobs into the
// store.
class ArchiveFiles {
 public:
  ~ArchiveFiles() {
    std::error_code ignored;
    for (const auto& [name, file] : files_) fs::remove(file.tempPath, ignored);
  }
  std::map<std::string, ArchiveFile>& files() { return files_; }
  ArchiveFile* find(const std::string& name) {
    auto it = files_.find(name.rfind("./", 0) == 0 ? name.substr(2) : name);
    return it == files_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, ArchiveFile> files_;
};

Status readArchive(ImageStore& store, const std::string& path, ArchiveFiles& out) {
  std::unique_ptr<archive, int (*)(archive*)> reader(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Status::invalid(path +
                           " is not a readable tar archive: " + archive_error_string(reader.get()));
  }
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    std::string name = archive_entry_pathname(entry);
    if (name.rfind("./", 0) == 0) name = name.substr(2);
    ArchiveFile file;
    file.tempPath = store.newTempPath();
    std::ofstream copy(file.tempPath, std::ios::binary | std::ios::trunc);
    Sha256 hash;
    char buffer[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(reader.get(), buffer, sizeof(buffer))) > 0) {
      copy.write(buffer, n);
      hash.update(buffer, static_cast<size_t>(n));
      if (file.size + static_cast<uint64_t>(n) <= kMaxJsonBytes && name.size() > 5 &&
          name.compare(name.size() - 5, 5, ".json") == 0) {
        file.text.append(buffer, static_cast<size_t>(n));
      }
      file.size += static_cast<uint64_t>(n);
    }
    copy.close();
    file.digest = hash.finish();
    auto& slot = out.files()[name];
    std::error_code ignored;
    if (!slot.tempPath.empty()) fs::remove(slot.tempPath, ignored);  // A later copy wins.
    slot = std::move(file);
    if (n < 0 || !copy) {
      return Status::io("cannot read " + name + " from " + path + ": " +
                        (n < 0 ? archive_error_string(reader.get()) : "write failed"));
    }
  }
  if (rc != ARCHIVE_EOF) {  // Also what an unknown format reports at the first header.
    return Status::invalid(path +
                           " is not a readable tar archive: " + archive_error_string(reader.get()));
  }
  return Status::ok();
}

// Whether RepoTag `tag` names `name` ("busybox" and
// "docker.io/library/busybox:latest" are one image).
bool sameImage(const std::string& tag, const std::string& name) {
  if (tag == name) return true;
  auto a = parseImageReference(tag);
  auto b = parseImageReference(name);
  return a.isOk() && b.isOk() && a->toString() == b->toString();
}

// The manifest.json entry for `name` (a RepoTag), or the only one.
StatusOr<json> findImage(ArchiveFiles& files, const std::string& name) {
  const ArchiveFile* manifest = files.find("manifest.json");
  if (manifest == nullptr) {
    return Status::invalid(
        "no manifest.json: not a `docker save` archive (for an OCI image "
        "layout, import its directory)");
  }
  json images = json::parse(manifest->text, nullptr, false);
  if (!images.is_array()) return Status::invalid("manifest.json is not a JSON array");
  std::string tags;
  std::vector<json> matches;
  for (const json& image : images) {
    if (!image.is_object()) return Status::invalid("manifest.json: an entry is not an object");
    bool named = false;
    for (const json& tag : image.value("RepoTags", json::array())) {
      if (!tag.is_string()) continue;
      tags += (tags.empty() ? "" : ", ") + tag.get<std::string>();
      named = named || (!name.empty() && sameImage(tag.get<std::string>(), name));
    }
    if (name.empty() || named) matches.push_back(image);
  }
  if (matches.size() != 1) {
    return Status::notFound(
        (name.empty() ? "the archive has " + std::to_string(matches.size()) + " images; name one"
                      : "no image tagged '" + name + "' in the archive") +
        " (tags: " + (tags.empty() ? "none" : tags) + ")");
  }
  return matches.front();
}

// Files a blob: `file` from the archive under its own digest.
Status fileBlob(ImageStore& store, ArchiveFile& file) {
  if (store.hasBlob(file.digest)) return Status::ok();
  Status committed = store.commitBlob(file.tempPath, file.digest);
  if (committed.isOk()) file.tempPath.clear();
  return committed;
}

json descriptor(const char* mediaType, const ArchiveFile& file) {
  return json{{"mediaType", mediaType}, {"size", file.size}, {"digest", file.digest}};
}

}  // namespace

StatusOr<ImportedImage> importDockerArchive(ImageStore& store, const std::string& archivePath,
                                            const std::string& name, const std::string& reference) {
  ArchiveFiles files;
  if (Status s = readArchive(store, archivePath, files); !s.isOk()) return s;
  auto image = findImage(files, name);
  if (!image.isOk()) return image.status();
  if (!(*image)["Config"].is_string() || !(*image)["Layers"].is_array()) {
    return Status::invalid("manifest.json: the image has no 'Config' or 'Layers'");
  }
  auto* config = files.find((*image)["Config"].get<std::string>());
  if (config == nullptr || config->text.empty()) {
    return Status::invalid("the image's config " + (*image)["Config"].dump() +
                           " is missing from the archive");
  }
  json configJson = json::parse(config->text, nullptr, false);
  json diffIds = configJson.is_object() && configJson.contains("rootfs")
                     ? configJson["rootfs"].value("diff_ids", json::array())
                     : json::array();
  const json& layers = (*image)["Layers"];
  if (diffIds.size() != layers.size()) {
    return Status::invalid("the image config lists " + std::to_string(diffIds.size()) +
                           " layers (rootfs.diff_ids) but manifest.json " +
                           std::to_string(layers.size()));
  }
  json manifest{{"schemaVersion", 2},
                {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
                {"config", descriptor("application/vnd.docker.container.image.v1+json", *config)},
                {"layers", json::array()}};
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string layerName = layers[i].is_string() ? layers[i].get<std::string>() : "";
    auto* layer = files.find(layerName);
    if (layer == nullptr) {
      return Status::invalid("layer '" + layerName + "' is missing from the archive");
    }
    if (diffIds[i] != layer->digest) {
      return Status::invalid("layer '" + layerName + "' hashes to " + layer->digest +
                             ", not to the image config's " + diffIds[i].dump() +
                             ": the archive is corrupt");
    }
    manifest["layers"].push_back(
        descriptor("application/vnd.docker.image.rootfs.diff.tar", *layer));
  }
  // Nothing is stored before everything checked out.
  if (Status s = fileBlob(store, *config); !s.isOk()) return s;
  for (const json& layerName : layers) {
    if (Status s = fileBlob(store, *files.find(layerName.get<std::string>())); !s.isOk()) {
      return s;
    }
  }
  std::string manifestText = manifest.dump();
  std::string manifestDigest = sha256Digest(manifestText);
  if (Status s = store.addBlob(manifestText, manifestDigest); !s.isOk()) return s;
  ImportedImage imported{.manifestDigest = manifestDigest, .reference = reference};
  if (imported.reference.empty()) {
    std::string tag = !name.empty() ? name
                      : (*image).value("RepoTags", json::array()).empty()
                          ? ""
                          : (*image)["RepoTags"][0].get<std::string>();
    if (!tag.empty()) {
      auto parsed = parseImageReference(tag);
      if (!parsed.isOk()) return parsed.status().withContext("RepoTag '" + tag + "'");
      imported.reference = parsed->toString();
    }
  }
  if (!imported.reference.empty()) {
    if (Status s = store.tag(imported.reference, manifestDigest); !s.isOk()) return s;
  }
  return imported;
}

}  // namespace agora::slave::images
