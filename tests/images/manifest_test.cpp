// Manifest, index and config parsing: the shapes registries serve, and errors naming the
// field for what they should not.
#include "slave/images/manifest.hpp"

#include <gtest/gtest.h>

#include "slave/images/digest.hpp"

namespace agora::slave::images {
namespace {

const std::string kDigestA = sha256Digest("a");
const std::string kDigestB = sha256Digest("b");

TEST(ManifestTest, ParsesOciAndDockerManifests) {
  for (const char* mediaType : {"application/vnd.oci.image.manifest.v1+json",
                                "application/vnd.docker.distribution.manifest.v2+json"}) {
    std::string text = R"({"schemaVersion":2,"mediaType":")" + std::string(mediaType) +
                       R"(","config":{"digest":")" + kDigestA + R"(","size":10},
                       "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",
                                  "digest":")" +
                       kDigestB + R"(","size":20}]})";
    auto manifest = parseManifest(text);
    ASSERT_TRUE(manifest.isOk()) << manifest.status().message();
    EXPECT_EQ(manifest->config.digest, kDigestA);
    ASSERT_EQ(manifest->layers.size(), 1u);
    EXPECT_EQ(manifest->layers[0].digest, kDigestB);
    EXPECT_EQ(manifest->layers[0].size, 20);
  }
}

TEST(ManifestTest, MalformedManifestsNameTheField) {
  auto expectError = [](const std::string& text, const std::string& words) {
    auto parsed = parseManifest(text);
    ASSERT_FALSE(parsed.isOk()) << text;
    EXPECT_NE(parsed.status().message().find(words), std::string::npos)
        << parsed.status().message();
  };
  expectError("not json", "not a JSON object");
  expectError(R"({"schemaVersion":1})", "schemaVersion");
  expectError(R"({"schemaVersion":"2"})", "schemaVersion");
  expectError(R"({"schemaVersion":2,"layers":[]})", "'config' is missing");
  expectError(R"({"schemaVersion":2,"config":{"digest":"md5:x"},"layers":[]})", "config.digest");
  expectError(R"({"schemaVersion":2,"config":{"digest":")" + kDigestA + R"("}})", "layers");
  expectError(
      R"({"schemaVersion":2,"config":{"digest":")" + kDigestA + R"("},"layers":[{"size":3}]})",
      "layers[0].digest");
}

TEST(ManifestTest, IndexSelectsLinuxOnThisArchitectureOrListsWhatItHas) {
  std::string index = R"({"schemaVersion":2,"manifests":[
      {"digest":")" + kDigestA +
                      R"(","platform":{"os":"linux","architecture":"s390x"}},
      {"digest":")" + kDigestB +
                      R"(","platform":{"os":"linux","architecture":"amd64"}},
      {"digest":")" + kDigestB +
                      R"(","platform":{"os":"linux","architecture":"arm64"}}]})";
  auto selected = selectFromIndex(index);
  ASSERT_TRUE(selected.isOk()) << selected.status().message();
  EXPECT_EQ(selected->digest, kDigestB);
  auto none = selectFromIndex(R"({"manifests":[{"digest":")" + kDigestA +
                              R"(","platform":{"os":"windows","architecture":"amd64"}}]})");
  ASSERT_FALSE(none.isOk());
  EXPECT_NE(none.status().message().find("windows/amd64"), std::string::npos);
}

TEST(ManifestTest, ImageConfigDefaultsAreReadAndNullsTolerated) {
  auto config = parseImageConfig(R"({"architecture":"amd64","config":{
      "Env":["PATH=/bin","A=b"],"Entrypoint":null,"Cmd":["/bin/sh","-c","echo hi"],
      "WorkingDir":"/srv","User":"1000:1000"}})");
  ASSERT_TRUE(config.isOk()) << config.status().message();
  EXPECT_EQ(config->env.size(), 2u);
  EXPECT_TRUE(config->entrypoint.empty());
  EXPECT_EQ(config->cmd.size(), 3u);
  EXPECT_EQ(config->workingDir, "/srv");
  EXPECT_EQ(config->user, "1000:1000");
  EXPECT_TRUE(parseImageConfig(R"({"config":null})").isOk());
  EXPECT_FALSE(parseImageConfig("[]").isOk());
}

}  // namespace
}  // namespace agora::slave::images
