#include "slave/images/oci_layout.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "slave/images/digest.hpp"

namespace agora::slave::images {
namespace {

using nlohmann::json;
constexpr const char* kRefName = "org.opencontainers.image.ref.name";

std::string layoutBlob(const std::string& layoutDir, const std::string& digest) {
  return layoutDir + "/blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

// The index.json entry for `name` (or the only entry).
StatusOr<Descriptor> findInIndex(const std::string& layoutDir, const std::string& name) {
  std::ifstream in(layoutDir + "/index.json");
  if (!in) {
    return Status::notFound(layoutDir + " is not an OCI image layout (no index.json)");
  }
  std::stringstream text;
  text << in.rdbuf();
  json index = json::parse(text.str(), nullptr, false);
  if (index.is_discarded() || !index.is_object() || !index.contains("manifests") ||
      !index["manifests"].is_array()) {
    return Status::invalid(layoutDir + "/index.json has no 'manifests' array");
  }
  std::string names;
  std::vector<json> matches;
  for (const json& entry : index["manifests"]) {
    std::string refName;
    if (entry.is_object() && entry.contains("annotations") && entry["annotations"].is_object() &&
        entry["annotations"].contains(kRefName) && entry["annotations"][kRefName].is_string()) {
      refName = entry["annotations"][kRefName].get<std::string>();
    }
    names += (names.empty() ? "" : ", ") + (refName.empty() ? "(unnamed)" : refName);
    if (name.empty() || refName == name) matches.push_back(entry);
  }
  if (matches.size() != 1) {
    return Status::notFound((name.empty() ? std::string("the layout has ") +
                                                std::to_string(matches.size()) + " images; name one"
                                          : "no image named '" + name + "' in the layout") +
                            " (images: " + (names.empty() ? "none" : names) + ")");
  }
  const json& entry = matches.front();
  if (!entry.contains("digest") || !entry["digest"].is_string()) {
    return Status::invalid("index.json entry has no 'digest'");
  }
  Descriptor out;
  out.digest = entry["digest"].get<std::string>();
  if (Status s = validateDigest(out.digest); !s.isOk()) return s.withContext("index.json");
  if (entry.contains("mediaType") && entry["mediaType"].is_string()) {
    out.mediaType = entry["mediaType"].get<std::string>();
  }
  return out;
}

Status importBlob(ImageStore& store, const std::string& layoutDir, const std::string& digest) {
  return store.addBlobFile(layoutBlob(layoutDir, digest), digest);
}

}  // namespace

StatusOr<std::string> importOciLayout(ImageStore& store, const std::string& layoutDir,
                                      const std::string& name, const std::string& reference) {
  auto found = findInIndex(layoutDir, name);
  if (!found.isOk()) return found.status();
  Descriptor manifestDescriptor = *found;
  if (isIndexMediaType(manifestDescriptor.mediaType)) {
    if (Status s = importBlob(store, layoutDir, manifestDescriptor.digest); !s.isOk()) return s;
    auto index = store.readBlob(manifestDescriptor.digest);
    if (!index.isOk()) return index.status();
    auto selected = selectFromIndex(*index);
    if (!selected.isOk()) return selected.status();
    manifestDescriptor = *selected;
  }
  const std::string& digest = manifestDescriptor.digest;
  if (Status s = importBlob(store, layoutDir, digest); !s.isOk()) return s;
  auto manifest = store.manifest(digest);
  if (!manifest.isOk()) return manifest.status();
  if (Status s = importBlob(store, layoutDir, manifest->config.digest); !s.isOk()) return s;
  for (const Descriptor& layer : manifest->layers) {
    if (Status s = importBlob(store, layoutDir, layer.digest); !s.isOk()) return s;
  }
  std::string as = reference.empty() ? name : reference;
  if (!as.empty()) {
    if (Status s = store.tag(as, digest); !s.isOk()) return s;
  }
  return digest;
}

}  // namespace agora::slave::images
