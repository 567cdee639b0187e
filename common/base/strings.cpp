#include "common/base/strings.hpp"

#include <cerrno>
#include <cstring>

namespace agora {

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

std::vector<std::string> splitAll(const std::string& text, char separator) {
  std::vector<std::string> pieces;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    pieces.push_back(
        text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return pieces;
    start = end + 1;
  }
}

}  // namespace agora
