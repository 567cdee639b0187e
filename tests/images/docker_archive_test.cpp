// `docker save` tarballs into the image store: made by skopeo (docker-archive
// transport) from the offline busybox test image, imported plain and
// gzip-compressed, unpacked as a rootfs; a corrupt layer (not matching the
// config's diff_ids) or an unknown tag is refused and leaves nothing in the
// store.
#include "slave/images/docker_archive.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_image.hpp"

namespace agora::slave::images {
namespace {

namespace fs = std::filesystem;

class DockerArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("docker-archive-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(store_.init().isOk());
    std::string why = agora::testing::whyNoTestImage();
    if (why.empty() && std::system("command -v skopeo >/dev/null 2>&1") != 0) {
      why = "skopeo is not installed (scripts/install-deps installs it)";
    }
    if (!why.empty()) GTEST_SKIP() << why;
    std::string error = agora::testing::buildBusyboxLayout(dir_ / "layout");
    ASSERT_TRUE(error.empty()) << error;
    archive_ = dir_ / "busybox.tar";
    ASSERT_EQ(run("skopeo --insecure-policy copy -q oci:" + (dir_ / "layout").string() +
                  ":busybox docker-archive:" + archive_.string() + ":tests/busybox:1.0"),
              0);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove_all(store_.dir());
  }

  static int run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str());
  }

  size_t blobCount() const {
    size_t count = 0;
    std::error_code ignored;
    for (const auto& blob : fs::directory_iterator(store_.dir() + "/blobs/sha256", ignored)) {
      (void)blob;
      ++count;
    }
    return count;
  }

  fs::path dir_;
  fs::path archive_;
  ImageStore store_{(fs::path(::testing::TempDir()) /
                     ("docker-store-" + std::to_string(getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string()};
};

TEST_F(DockerArchiveTest, ImportsUnderItsOwnTagAndUnpacks) {
  auto imported = importDockerArchive(store_, archive_, "", "");
  ASSERT_TRUE(imported.isOk()) << imported.status().message();
  EXPECT_EQ(imported->reference, "docker.io/tests/busybox:1.0");
  EXPECT_EQ(*store_.resolve("docker.io/tests/busybox:1.0"), imported->manifestDigest);
  auto config = store_.config(imported->manifestDigest);
  ASSERT_TRUE(config.isOk()) << config.status().message();
  EXPECT_EQ(config->cmd, std::vector<std::string>{"/bin/sh"});
  fs::path rootfs = dir_ / "rootfs";
  ASSERT_TRUE(store_.makeRootfs(imported->manifestDigest, rootfs).isOk());
  EXPECT_TRUE(fs::is_regular_file(rootfs / "bin/busybox"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(rootfs / "bin/ls")));  // Whited out by layer 2.
  EXPECT_TRUE(fs::exists(rootfs / "etc/agora-test"));
  // Only the blobs it needs: manifest, config and two layers (no stray copies
  // in tmp/).
  EXPECT_EQ(blobCount(), 4u);
  EXPECT_TRUE(fs::is_empty(store_.dir() + "/tmp"));
}

TEST_F(DockerArchiveTest, ImportsAGzippedArchiveByTagUnderAnotherName) {
  ASSERT_EQ(run("gzip -k " + archive_.string()), 0);
  auto imported =
      importDockerArchive(store_, archive_.string() + ".gz", "tests/busybox:1.0", "local/box:2");
  ASSERT_TRUE(imported.isOk()) << imported.status().message();
  EXPECT_EQ(imported->reference, "local/box:2");
  EXPECT_EQ(*store_.resolve("local/box:2"), imported->manifestDigest);
}

TEST_F(DockerArchiveTest, ACorruptLayerOrAnUnknownTagIsRefusedAndNothingIsKept) {
  auto unknown = importDockerArchive(store_, archive_, "nginx:latest", "");
  ASSERT_FALSE(unknown.isOk());
  EXPECT_NE(unknown.status().message().find("tests/busybox:1.0"),
            std::string::npos)
      << unknown.status().message();  // Lists the tags it has.

  // Unpack, flip a byte of the biggest file (the busybox layer), pack again.
  fs::path unpacked = dir_ / "unpacked";
  fs::create_directories(unpacked);
  ASSERT_EQ(run("tar -xf " + archive_.string() + " -C " + unpacked.string()), 0);
  fs::path biggest;
  for (const auto& file : fs::recursive_directory_iterator(unpacked)) {
    if (file.is_regular_file() && (biggest.empty() || file.file_size() > fs::file_size(biggest))) {
      biggest = file.path();
    }
  }
  {
    std::fstream file(biggest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(5000);
    file.put('\x5a');
  }
  fs::path corrupt = dir_ / "corrupt.tar";
  ASSERT_EQ(run("tar -cf " + corrupt.string() + " -C " + unpacked.string() + " ."), 0);
  auto imported = importDockerArchive(store_, corrupt, "", "");
  ASSERT_FALSE(imported.isOk());
  EXPECT_NE(imported.status().message().find("the archive is corrupt"), std::string::npos)
      << imported.status().message();
  EXPECT_EQ(blobCount(), 0u);
  EXPECT_TRUE(fs::is_empty(store_.dir() + "/tmp"));
  EXPECT_FALSE(store_.resolve("docker.io/tests/busybox:1.0").isOk());

  auto notTar = importDockerArchive(store_, (dir_ / "layout/index.json").string(), "", "");
  ASSERT_FALSE(notTar.isOk());
  EXPECT_NE(notTar.status().message().find("not a readable tar archive"), std::string::npos)
      << notTar.status().message();
}

}  // namespace
}  // namespace agora::slave::images
