#include "slave/images/image_reference.hpp"

#include "slave/images/digest.hpp"

namespace agora::slave::images {
namespace {

bool validRepository(const std::string& repository) {
  if (repository.empty() || repository.front() == '/' || repository.back() == '/' ||
      repository.find("//") != std::string::npos) {
    return false;
  }
  for (char c : repository) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool validTag(const std::string& tag) {
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' || tag.front() == '-') return false;
  for (char c : tag) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string ImageReference::toString() const {
  std::string out = registry + "/" + repository;
  if (!digest.empty()) return out + "@" + digest;
  return out + ":" + tag;
}

StatusOr<ImageReference> parseImageReference(const std::string& text) {
  if (text.empty()) return Status::invalid("image reference is empty");
  ImageReference out;
  std::string rest = text;
  size_t at = rest.find('@');
  if (at != std::string::npos) {
    out.digest = rest.substr(at + 1);
    rest.resize(at);
    if (Status s = validateDigest(out.digest); !s.isOk()) {
      return s.withContext("image reference '" + text + "'");
    }
  }
  size_t slash = rest.find('/');
  std::string first = rest.substr(0, slash);
  if (slash != std::string::npos &&
      (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
       first == "localhost")) {
    out.registry = first;
    rest = rest.substr(slash + 1);
  } else {
    out.registry = "docker.io";
  }
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    out.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!validTag(out.tag)) {
      return Status::invalid("image reference '" + text + "' has an invalid tag '" + out.tag + "'");
    }
  } else if (out.digest.empty()) {
    out.tag = "latest";
  }
  if (out.registry == "docker.io" && rest.find('/') == std::string::npos) {
    rest = "library/" + rest;
  }
  if (!validRepository(rest)) {
    return Status::invalid("image reference '" + text + "' has an invalid repository '" + rest +
                           "' (lowercase letters, digits, '.', '_', '-' and '/')");
  }
  out.repository = rest;
  return out;
}

}  // namespace agora::slave::images
