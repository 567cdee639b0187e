// `agora image import PATH`: see ImageArgs.
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "slave/images/docker_archive.hpp"
#include "slave/images/image_reference.hpp"
#include "slave/images/image_store.hpp"
#include "slave/images/oci_layout.hpp"

namespace agora::cli {

int imageCommand(const CliArgs& args) {
  const ImageArgs& image = args.image;
  std::string as = image.as.empty() ? image.name : image.as;
  std::string reference;
  if (!as.empty()) {
    // Stored under the name a task's reference resolves to ("busybox" is
    // "docker.io/library/busybox:latest"), so tasks find it without a pull.
    auto parsed = slave::images::parseImageReference(as);
    if (!parsed.isOk()) return fail(parsed.status().message());
    reference = parsed->toString();
  }
  slave::images::ImageStore store(image.workDir + "/images");
  if (Status s = store.init(); !s.isOk()) return fail(s.message());
  std::fprintf(stderr, "agora: importing %s into %s\n", image.path.c_str(), store.dir().c_str());
  std::string digest;
  if (std::filesystem::is_directory(image.path)) {
    auto imported = slave::images::importOciLayout(store, image.path, image.name, reference);
    if (!imported.isOk()) return fail(imported.status().message());
    digest = *imported;
  } else {
    // A `docker save` tarball; without --as it keeps its own tag.
    auto imported = slave::images::importDockerArchive(store, image.path, image.name, reference);
    if (!imported.isOk()) return fail(imported.status().message());
    digest = imported->manifestDigest;
    reference = imported->reference;
  }
  if (reference.empty()) {
    std::printf("imported %s (no reference given: run it by digest)\n", digest.c_str());
  } else {
    std::printf("imported %s as %s\n", digest.c_str(), reference.c_str());
  }
  return 0;
}

}  // namespace agora::cli
