#include "slave/images/manifest.hpp"

#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "slave/images/digest.hpp"

namespace agora::slave::images {
namespace {

using nlohmann::json;

StatusOr<json> parseJson(const std::string& text, const std::string& what) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::invalid(what + " is not a JSON object");
  }
  return doc;
}

// Fields read defensively: the JSON comes from the network, and a wrong type is "absent".
std::string stringField(const json& in, const char* field) {
  return in.contains(field) && in[field].is_string() ? in[field].get<std::string>() : "";
}

StatusOr<Descriptor> parseDescriptor(const json& in, const std::string& field) {
  if (!in.is_object()) {
    return Status::invalid("'" + field + "' is not an object");
  }
  Descriptor out;
  if (!in.contains("digest") || !in["digest"].is_string()) {
    return Status::invalid("'" + field + ".digest' is missing");
  }
  out.digest = in["digest"].get<std::string>();
  if (Status s = validateDigest(out.digest); !s.isOk()) {
    return s.withContext("'" + field + ".digest'");
  }
  out.mediaType = stringField(in, "mediaType");
  if (in.contains("size") && in["size"].is_number_integer()) {
    out.size = in["size"].get<int64_t>();
  }
  return out;
}

std::vector<std::string> stringList(const json& in, const char* field) {
  std::vector<std::string> out;
  if (in.contains(field) && in[field].is_array()) {
    for (const auto& item : in[field]) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

// Go's GOARCH names, as image platforms use them.
std::string machineArchitecture() {
  utsname name;
  uname(&name);
  std::string machine = name.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i686" || machine == "i386") return "386";
  return machine;
}

}  // namespace

bool isIndexMediaType(const std::string& mediaType) {
  return mediaType == "application/vnd.oci.image.index.v1+json" ||
         mediaType == "application/vnd.docker.distribution.manifest.list.v2+json";
}

bool isManifestMediaType(const std::string& mediaType) {
  return mediaType == "application/vnd.oci.image.manifest.v1+json" ||
         mediaType == "application/vnd.docker.distribution.manifest.v2+json";
}

StatusOr<ImageManifest> parseManifest(const std::string& text) {
  auto doc = parseJson(text, "manifest");
  if (!doc.isOk()) return doc.status();
  const json& version = doc->contains("schemaVersion") ? (*doc)["schemaVersion"] : json();
  if (!version.is_number_integer() || version.get<int64_t>() != 2) {
    return Status::invalid("manifest 'schemaVersion' must be 2 (schema 1 is not supported)");
  }
  std::string mediaType = stringField(*doc, "mediaType");
  if (!mediaType.empty() && !isManifestMediaType(mediaType)) {
    return Status::invalid("manifest 'mediaType' '" + mediaType + "' is not an image manifest");
  }
  ImageManifest out;
  if (!doc->contains("config")) return Status::invalid("manifest 'config' is missing");
  auto config = parseDescriptor((*doc)["config"], "config");
  if (!config.isOk()) return config.status().withContext("manifest");
  out.config = *config;
  if (!doc->contains("layers") || !(*doc)["layers"].is_array()) {
    return Status::invalid("manifest 'layers' is missing or not an array");
  }
  const json& layers = (*doc)["layers"];
  for (size_t i = 0; i < layers.size(); ++i) {
    auto layer = parseDescriptor(layers[i], "layers[" + std::to_string(i) + "]");
    if (!layer.isOk()) return layer.status().withContext("manifest");
    out.layers.push_back(*layer);
  }
  return out;
}

StatusOr<Descriptor> selectFromIndex(const std::string& text) {
  auto doc = parseJson(text, "image index");
  if (!doc.isOk()) return doc.status();
  if (!doc->contains("manifests") || !(*doc)["manifests"].is_array()) {
    return Status::invalid("image index 'manifests' is missing or not an array");
  }
  std::string arch = machineArchitecture();
  std::string seen;
  const json& manifests = (*doc)["manifests"];
  for (size_t i = 0; i < manifests.size(); ++i) {
    const json& entry = manifests[i];
    json platform = entry.is_object() && entry.contains("platform") ? entry["platform"] : json();
    std::string os = platform.is_object() ? stringField(platform, "os") : "";
    std::string architecture = platform.is_object() ? stringField(platform, "architecture") : "";
    seen += (seen.empty() ? "" : ", ") + os + "/" + architecture;
    if (os == "linux" && architecture == arch) {
      auto descriptor = parseDescriptor(entry, "manifests[" + std::to_string(i) + "]");
      if (!descriptor.isOk()) return descriptor.status().withContext("image index");
      return *descriptor;
    }
  }
  return Status::notFound("image index has no manifest for linux/" + arch +
                          " (it has: " + (seen.empty() ? "none" : seen) + ")");
}

StatusOr<ImageConfig> parseImageConfig(const std::string& text) {
  auto doc = parseJson(text, "image config");
  if (!doc.isOk()) return doc.status();
  ImageConfig out;
  json config = doc->contains("config") ? (*doc)["config"] : json::object();
  if (config.is_null()) config = json::object();
  if (!config.is_object()) return Status::invalid("image config 'config' is not an object");
  out.env = stringList(config, "Env");
  out.entrypoint = stringList(config, "Entrypoint");
  out.cmd = stringList(config, "Cmd");
  out.workingDir = stringField(config, "WorkingDir");
  out.user = stringField(config, "User");
  return out;
}

}  // namespace agora::slave::images
