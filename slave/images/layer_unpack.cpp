#include "slave/images/layer_unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "common/base/strings.hpp"

namespace agora::slave::images {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueWhiteout = ".wh..wh..opq";

using Reader = std::unique_ptr<archive, int (*)(archive*)>;
using Writer = std::unique_ptr<archive, int (*)(archive*)>;

StatusOr<Reader> openLayer(const std::string& path) {
  Reader reader(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Status::invalid("layer " + path +
                           " is not a readable tar: " + archive_error_string(reader.get()));
  }
  return reader;
}

// Components of an entry's path; "." and empty ones dropped, ".." refused.
StatusOr<std::vector<std::string>> components(const std::string& path) {
  std::vector<std::string> parts;
  for (const std::string& part : splitAll(path, '/')) {
    if (part == "..") {
      return Status::invalid("entry '" + path + "' has a '..' component");
    }
    if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
  }
  return parts;
}

// The last component of an entry's path ("a/b/.wh.c" -> ".wh.c").
std::string baseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Removes `path` (file, link or whole directory) if it exists; never follows a symlink.
void removeAll(const std::string& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

Status applyWhiteouts(const std::string& layerPath, const std::string& root) {
  auto reader = openLayer(layerPath);
  if (!reader.isOk()) return reader.status();
  archive_entry* entry;
  int rc;
  while ((rc = archive_read_next_header(reader->get(), &entry)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    std::string base = baseName(name);
    if (base.rfind(kWhiteoutPrefix, 0) != 0) continue;
    auto host = resolveInRoot(root, name);
    if (!host.isOk()) return host.status().withContext("layer " + layerPath);
    std::string dir = fs::path(*host).parent_path();
    if (base == kOpaqueWhiteout) {
      std::error_code error;
      for (const auto& child : fs::directory_iterator(dir, error)) {
        removeAll(child.path());
      }
    } else {
      removeAll(dir + "/" + base.substr(std::string(kWhiteoutPrefix).size()));
    }
  }
  if (rc != ARCHIVE_EOF) {
    return Status::invalid("layer " + layerPath +
                           " is corrupt: " + archive_error_string(reader->get()));
  }
  return Status::ok();
}

int extractFlags() {
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_ACL |
              ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_UNLINK |
              ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
  // Not SECURE_NOABSOLUTEPATHS: entries are written to host paths made by resolveInRoot.
  if (geteuid() == 0) {
    flags |= ARCHIVE_EXTRACT_OWNER;  // Image files keep their owners (root can set them).
  }
  return flags;
}

// A whiteout as overlayfs spells it, in a layer of its own: `.wh.name` becomes a 0/0
// character device `name`; `.wh..wh..opq` marks its directory opaque (an xattr).
Status writeOverlayWhiteout(const std::string& layerPath, const std::string& root,
                            const std::string& name) {
  auto host = resolveInRoot(root, name);
  if (!host.isOk()) return host.status().withContext("layer " + layerPath);
  std::string dir = fs::path(*host).parent_path();
  std::error_code error;
  fs::create_directories(dir, error);
  std::string base = baseName(name);
  if (base == kOpaqueWhiteout) {
    if (setxattr(dir.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return Status::io("layer " + layerPath + ": cannot mark " + dir +
                        " opaque: " + std::strerror(errno));
    }
    return Status::ok();
  }
  std::string hidden = dir + "/" + base.substr(std::string(kWhiteoutPrefix).size());
  removeAll(hidden);
  if (mknod(hidden.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) {
    return Status::io("layer " + layerPath + ": cannot write whiteout " + hidden + ": " +
                      std::strerror(errno));
  }
  return Status::ok();
}

enum class Whiteouts { kAlreadyApplied, kForOverlay };

Status extractEntries(const std::string& layerPath, const std::string& root, Whiteouts whiteouts) {
  auto reader = openLayer(layerPath);
  if (!reader.isOk()) return reader.status();
  Writer writer(archive_write_disk_new(), archive_write_free);
  archive_write_disk_set_options(writer.get(), extractFlags());
  archive_write_disk_set_standard_lookup(writer.get());
  archive_entry* entry;
  int rc;
  while ((rc = archive_read_next_header(reader->get(), &entry)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    std::string base = baseName(name);
    if (base.rfind(kWhiteoutPrefix, 0) == 0) {
      if (whiteouts == Whiteouts::kAlreadyApplied) continue;  // Applied in the first pass.
      if (Status s = writeOverlayWhiteout(layerPath, root, name); !s.isOk()) return s;
      continue;
    }
    auto host = resolveInRoot(root, name);
    if (!host.isOk()) return host.status().withContext("layer " + layerPath);
    if (*host == root) continue;  // The root directory itself ("./").
    archive_entry_set_pathname(entry, host->c_str());
    if (const char* target = archive_entry_hardlink(entry)) {
      auto linked = resolveInRoot(root, target);
      if (!linked.isOk()) return linked.status().withContext("layer " + layerPath);
      archive_entry_set_hardlink(entry, linked->c_str());
    }
    if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) {
      return Status::io("layer " + layerPath + ": cannot write '" + name +
                        "': " + archive_error_string(writer.get()));
    }
    const void* block;
    size_t size;
    la_int64_t offset;
    int data;
    while ((data = archive_read_data_block(reader->get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(writer.get(), block, size, offset) < ARCHIVE_WARN) {
        return Status::io("layer " + layerPath + ": cannot write '" + name +
                          "': " + archive_error_string(writer.get()));
      }
    }
    if (data != ARCHIVE_EOF) {
      return Status::invalid("layer " + layerPath + " is corrupt at '" + name +
                             "': " + archive_error_string(reader->get()));
    }
    if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) {
      return Status::io("layer " + layerPath + ": cannot finish '" + name +
                        "': " + archive_error_string(writer.get()));
    }
  }
  if (rc != ARCHIVE_EOF) {
    return Status::invalid("layer " + layerPath +
                           " is corrupt: " + archive_error_string(reader->get()));
  }
  return Status::ok();
}

}  // namespace

StatusOr<std::string> resolveInRoot(const std::string& root, const std::string& relative) {
  auto parts = components(relative);
  if (!parts.isOk()) return parts.status();
  if (parts->empty()) return root;
  std::string last = parts->back();
  parts->pop_back();
  // Walk the parent directories; a symlink's target replaces it (absolute targets start
  // again at the root, `..` stops at the root).
  std::vector<std::string> pending(parts->rbegin(), parts->rend());  // Next at the back.
  std::vector<std::string> resolved;
  int hops = 0;
  while (!pending.empty()) {
    std::string part = pending.back();
    pending.pop_back();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    std::string host = root;
    for (const std::string& p : resolved) host += "/" + p;
    host += "/" + part;
    struct stat info;
    if (lstat(host.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) {
      resolved.push_back(part);  // A directory, or not there yet (created on extraction).
      continue;
    }
    if (++hops > 40) {
      return Status::invalid("too many symlinks resolving '" + relative + "'");
    }
    std::vector<char> target(PATH_MAX + 1);
    ssize_t length = readlink(host.c_str(), target.data(), PATH_MAX);
    if (length < 0) return Status::io("cannot read symlink " + host);
    std::string link(target.data(), static_cast<size_t>(length));
    if (!link.empty() && link.front() == '/') resolved.clear();
    // The target's components go in front of what is left (no '..' check: it is clamped).
    std::vector<std::string> linkParts = splitAll(link, '/');
    pending.insert(pending.end(), linkParts.rbegin(), linkParts.rend());
  }
  std::string out = root;
  for (const std::string& p : resolved) out += "/" + p;
  return out + "/" + last;
}

Status applyLayer(const std::string& layerPath, const std::string& root) {
  // The real path: libarchive refuses to write through a symlink anywhere in a path.
  std::error_code error;
  std::string real = fs::canonical(root, error);
  if (error) {
    return Status::io("rootfs " + root + " is not a directory: " + error.message());
  }
  if (Status s = applyWhiteouts(layerPath, real); !s.isOk()) return s;
  return extractEntries(layerPath, real, Whiteouts::kAlreadyApplied);
}

Status unpackLayerForOverlay(const std::string& layerPath, const std::string& dir) {
  std::error_code error;
  std::string real = fs::canonical(dir, error);
  if (error) {
    return Status::io("layer directory " + dir + " is not a directory: " + error.message());
  }
  return extractEntries(layerPath, real, Whiteouts::kForOverlay);
}

}  // namespace agora::slave::images
