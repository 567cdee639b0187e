#include "slave/images/digest.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <memory>

namespace agora::slave::images {

struct Sha256::State {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256() : state_(new State) { EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr); }

Sha256::~Sha256() { delete state_; }

void Sha256::update(const void* data, size_t size) {
  EVP_DigestUpdate(state_->context, data, size);
}

std::string Sha256::finish() {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->context, hash, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[hash[i] >> 4]);
    out.push_back(kHex[hash[i] & 0xf]);
  }
  return out;
}

std::string sha256Digest(const std::string& bytes) {
  Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  return hash.finish();
}

StatusOr<std::string> sha256DigestOfFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) {
    return Status::io("cannot read " + path);
  }
  Sha256 hash;
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    hash.update(buffer, got);
  }
  if (std::ferror(file.get())) {
    return Status::io("error reading " + path);
  }
  return hash.finish();
}

Status validateDigest(const std::string& digest) {
  const std::string prefix = "sha256:";
  if (digest.rfind(prefix, 0) != 0) {
    return Status::invalid("digest '" + digest +
                           "' is not sha256:<hex> (only sha256 is supported)");
  }
  std::string hex = digest.substr(prefix.size());
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::invalid("digest '" + digest + "' must have 64 lowercase hex characters");
  }
  return Status::ok();
}

}  // namespace agora::slave::images
