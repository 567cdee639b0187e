#include "slave/files.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <vector>

namespace agora::slave {

namespace fs = std::filesystem;

namespace {

bool isWithin(const fs::path& root, const fs::path& path) {
  auto [rootEnd, pathIt] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  // A trailing empty component ("dir/") in root matches anything.
  return rootEnd == root.end() || (std::next(rootEnd) == root.end() && rootEnd->empty());
}

std::string modeString(mode_t mode) {
  std::string out = S_ISDIR(mode) ? "d" : S_ISLNK(mode) ? "l" : "-";
  const char* letters = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    out.push_back((mode & (0400 >> i)) ? letters[i] : '-');
  }
  return out;
}

std::string userName(uid_t uid) {
  struct passwd* pw = getpwuid(uid);
  return pw != nullptr ? pw->pw_name : std::to_string(uid);
}

std::string groupName(gid_t gid) {
  struct group* gr = getgrgid(gid);
  return gr != nullptr ? gr->gr_name : std::to_string(gid);
}

nlohmann::json entryJson(const std::string& shownPath, const fs::path& realPath) {
  struct stat info {};
  if (lstat(realPath.c_str(), &info) != 0) {
    return nullptr;
  }
  return nlohmann::json{
      {"path", shownPath},
      {"size", static_cast<int64_t>(info.st_size)},
      {"mode", modeString(info.st_mode)},
      {"mtime", static_cast<int64_t>(info.st_mtime)},
      {"nlink", static_cast<int64_t>(info.st_nlink)},
      {"uid", userName(info.st_uid)},
      {"gid", groupName(info.st_gid)},
  };
}

}  // namespace

StatusOr<fs::path> resolveInSandboxes(const std::string& root, const std::string& requested) {
  if (requested.empty()) {
    return Status::invalid("missing 'path' parameter");
  }
  if (requested.front() != '/') {
    return Status::invalid("path '" + requested + "' is not absolute");
  }
  std::error_code error;
  fs::path rootCanonical = fs::weakly_canonical(root, error);
  if (error) {
    return Status::io("cannot resolve the sandboxes root: " + error.message());
  }
  fs::path resolved = fs::weakly_canonical(requested, error);
  if (error) {
    return Status::notFound("cannot resolve '" + requested + "': " + error.message());
  }
  if (!isWithin(rootCanonical, resolved)) {
    return Status::error(StatusCode::kPermissionDenied,
                         "path '" + requested + "' is outside every sandbox");
  }
  if (!fs::exists(resolved, error)) {
    return Status::notFound("path '" + requested + "' does not exist");
  }
  // `weakly_canonical` resolves symlinks only up to the first missing component and then
  // folds `..` lexically, so "<sandbox>/missing/../link" comes back with `link` (a symlink
  // a task can plant anywhere) unresolved. The path exists now: resolve all of it.
  fs::path real = fs::canonical(resolved, error);
  if (error) {
    return Status::notFound("cannot resolve '" + requested + "': " + error.message());
  }
  if (!isWithin(rootCanonical, real)) {
    return Status::error(StatusCode::kPermissionDenied,
                         "path '" + requested + "' is outside every sandbox");
  }
  return real;
}

StatusOr<nlohmann::json> browseFiles(const std::string& root, const std::string& requested) {
  auto resolved = resolveInSandboxes(root, requested);
  if (!resolved.isOk()) {
    return resolved.status();
  }
  nlohmann::json out = nlohmann::json::array();
  std::error_code error;
  if (!fs::is_directory(*resolved, error)) {
    out.push_back(entryJson(requested, *resolved));
    return out;
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(*resolved, error)) {
    names.push_back(entry.path().filename().string());
  }
  if (error) {
    return Status::io("cannot list '" + requested + "': " + error.message());
  }
  std::sort(names.begin(), names.end());
  std::string prefix = requested.back() == '/' ? requested : requested + "/";
  for (const auto& name : names) {
    nlohmann::json entry = entryJson(prefix + name, *resolved / name);
    if (!entry.is_null()) {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

StatusOr<FileChunk> readFileChunk(const std::string& root, const std::string& requested,
                                  int64_t offset, std::optional<int64_t> length) {
  if (offset < -1) {
    return Status::invalid("offset must be -1 or at least 0");
  }
  if (length && *length < 0) {
    return Status::invalid("length must not be negative");
  }
  auto resolved = resolveInSandboxes(root, requested);
  if (!resolved.isOk()) {
    return resolved.status();
  }
  std::error_code error;
  if (fs::is_directory(*resolved, error)) {
    return Status::invalid("path '" + requested + "' is a directory");
  }
  auto size = static_cast<int64_t>(fs::file_size(*resolved, error));
  if (error) {
    return Status::io("cannot stat '" + requested + "': " + error.message());
  }
  if (offset == -1) {
    return FileChunk{"", size};
  }
  int64_t want = std::min(length.value_or(kMaxReadLength), kMaxReadLength);
  int64_t count = std::max<int64_t>(0, std::min(want, size - offset));
  FileChunk chunk{std::string(static_cast<size_t>(count), '\0'), offset};
  if (count == 0) {
    chunk.data.clear();
    return chunk;
  }
  std::ifstream in(*resolved, std::ios::binary);
  in.seekg(offset);
  in.read(chunk.data.data(), count);
  chunk.data.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return chunk;
}

StatusOr<fs::path> resolveDownload(const std::string& root, const std::string& requested) {
  auto resolved = resolveInSandboxes(root, requested);
  if (!resolved.isOk()) {
    return resolved.status();
  }
  std::error_code error;
  if (!fs::is_regular_file(*resolved, error)) {
    return Status::invalid("path '" + requested + "' is not a regular file");
  }
  return resolved;
}

}  // namespace agora::slave
