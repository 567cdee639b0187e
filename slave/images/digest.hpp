// Content digests as OCI writes them: "sha256:<64 lowercase hex>".
// Images are addressed by digest end to end (manifests, configs, layers); a blob whose bytes
// do not hash to its digest is never kept.
#pragma once

#include <string>

#include "common/base/status.hpp"

namespace agora::slave::images {

// The digest of `bytes`.
std::string sha256Digest(const std::string& bytes);
// The digest of a file's bytes, read in chunks (layers are large).
StatusOr<std::string> sha256DigestOfFile(const std::string& path);
// OK for "sha256:" + 64 lowercase hex characters; the error names what is wrong. Only
// sha256 is accepted (what registries and OCI layouts use).
Status validateDigest(const std::string& digest);

// Streaming form, for bytes that arrive in pieces (downloads).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  // "sha256:<hex>"; the object is spent afterwards.
  std::string finish();

 private:
  struct State;
  State* state_;
};

}  // namespace agora::slave::images
