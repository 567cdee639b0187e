#include "common/base/ids.hpp"

#include <sys/random.h>

#include <chrono>
#include <cstdint>

#include <glog/logging.h>

namespace agora {

std::string newUuidBytes() {
  std::string bytes(16, '\0');
  ssize_t got = getrandom(bytes.data(), bytes.size(), 0);
  CHECK_EQ(got, 16) << "getrandom failed";
  return bytes;
}

std::string newUuid() { return toHex(newUuidBytes()); }

std::string toHex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

double wallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace agora
