// Sandbox file access for the agent's `/files/*` endpoints, confined to
// `<work_dir>/sandboxes` (after Mesos' `/files/browse|read|download`).
//
// Every requested path must be absolute. It is resolved with `weakly_canonical` (which
// follows `..` and every symlink of the existing part), and anything that does not then
// lie inside the canonical sandboxes root is refused. Errors carry a `StatusCode` the
// HTTP layer maps: kInvalidArgument -> 400, kPermissionDenied -> 403, kNotFound -> 404.
//
// Pure functions over the filesystem; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/base/status.hpp"

namespace agora::slave {

// The largest `/files/read` answer when no `length` is given.
constexpr int64_t kMaxReadLength = 16 << 20;

// The resolved, existing path of `requested` inside `root`, or an error.
StatusOr<std::filesystem::path> resolveInSandboxes(const std::string& root,
                                                   const std::string& requested);

// `[{"path", "size", "mode", "mtime", "nlink", "uid", "gid"}]` for the entries of a
// directory (sorted by name), or the single entry of a file. Each "path" is `requested`
// joined with the entry name, so clients can browse further with it.
StatusOr<nlohmann::json> browseFiles(const std::string& root, const std::string& requested);

struct FileChunk {
  std::string data;
  int64_t offset = 0;
};

// Up to `length` bytes (all the rest, capped at kMaxReadLength, when nullopt) from
// `offset`. `offset == -1` returns no data and the file size as the offset; past the end
// returns no data. REQUIRES nothing: bad offsets and lengths are kInvalidArgument.
StatusOr<FileChunk> readFileChunk(const std::string& root, const std::string& requested,
                                  int64_t offset, std::optional<int64_t> length);

// The resolved path of a regular file to stream for `/files/download`.
StatusOr<std::filesystem::path> resolveDownload(const std::string& root,
                                                const std::string& requested);

}  // namespace agora::slave
