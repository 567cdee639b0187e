// The image store and OCI layout import, on a real image built with umoci: blobs verified
// on the way in (a corrupt one is refused and not kept), references resolved, rootfs
// unpacked layer over layer, the image config read.
#include "slave/images/image_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "slave/images/digest.hpp"
#include "slave/images/oci_layout.hpp"
#include "tests/support/test_image.hpp"

namespace agora::slave::images {
namespace {

namespace fs = std::filesystem;

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("images-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(store_.init().isOk());
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove_all(store_.dir());
  }

  void buildLayout() {
    std::string why = agora::testing::whyNoTestImage();
    if (!why.empty()) GTEST_SKIP() << why;
    std::string error = agora::testing::buildBusyboxLayout(dir_ / "layout");
    ASSERT_TRUE(error.empty()) << error;
  }

  fs::path dir_;
  ImageStore store_{(fs::path(::testing::TempDir()) /
                     ("store-" + std::to_string(getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string()};
};

TEST_F(ImageStoreTest, BlobsAreKeptOnlyUnderTheDigestTheirBytesHaveAndTagsResolve) {
  std::string digest = sha256Digest("layer bytes");
  ASSERT_TRUE(store_.addBlob("layer bytes", digest).isOk());
  EXPECT_EQ(*store_.readBlob(digest), "layer bytes");
  std::string other = sha256Digest("other bytes");
  Status lie = store_.addBlob("layer bytes", other);
  ASSERT_FALSE(lie.isOk());
  EXPECT_NE(lie.message().find(other), std::string::npos) << lie.message();
  EXPECT_FALSE(store_.hasBlob(other));
  EXPECT_TRUE(fs::is_empty(fs::path(store_.dir()) / "tmp"));  // No partial blob left.
  EXPECT_FALSE(store_.addBlob("x", "sha256:nothex").isOk());

  ASSERT_TRUE(store_.tag("registry.local:5000/team/app:1.0", digest).isOk());
  EXPECT_EQ(*store_.resolve("registry.local:5000/team/app:1.0"), digest);
  EXPECT_EQ(*store_.resolve("registry.local:5000/team/app@" + digest), digest);
  EXPECT_FALSE(store_.resolve("registry.local:5000/team/app:2.0").isOk());
}

TEST_F(ImageStoreTest, ImportsAnOciLayoutAndUnpacksItsLayersInOrder) {
  buildLayout();
  if (IsSkipped()) return;
  auto digest = importOciLayout(store_, dir_ / "layout", "busybox", "local/busybox:latest");
  ASSERT_TRUE(digest.isOk()) << digest.status().message();
  EXPECT_EQ(*store_.resolve("local/busybox:latest"), *digest);
  auto manifest = store_.manifest(*digest);
  ASSERT_TRUE(manifest.isOk()) << manifest.status().message();
  EXPECT_EQ(manifest->layers.size(), 2u);
  auto config = store_.config(*digest);
  ASSERT_TRUE(config.isOk()) << config.status().message();
  EXPECT_EQ(config->cmd, std::vector<std::string>{"/bin/sh"});
  EXPECT_NE(std::find(config->env.begin(), config->env.end(), "AGORA_IMAGE=busybox"),
            config->env.end());

  fs::path rootfs = dir_ / "rootfs";
  Status made = store_.makeRootfs(*digest, rootfs);
  ASSERT_TRUE(made.isOk()) << made.message();
  EXPECT_TRUE(fs::is_regular_file(rootfs / "bin/busybox"));
  EXPECT_EQ(fs::status(rootfs / "bin/busybox").permissions() & fs::perms::owner_exec,
            fs::perms::owner_exec);
  EXPECT_TRUE(fs::is_symlink(rootfs / "bin/sh"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(rootfs / "bin/ls")));  // Whited out by layer 2.
  EXPECT_TRUE(fs::exists(rootfs / "etc/agora-test"));
  EXPECT_FALSE(store_.makeRootfs(*digest, rootfs).isOk());  // Never over an existing one.
}

TEST_F(ImageStoreTest, AnOverlayRootfsSharesTheLayersAndNeverWritesThem) {
  if (geteuid() != 0) GTEST_SKIP() << "overlayfs mounts need root";
  buildLayout();
  if (IsSkipped()) return;
  auto digest = importOciLayout(store_, dir_ / "layout", "busybox", "local/busybox:latest");
  ASSERT_TRUE(digest.isOk()) << digest.status().message();
  fs::path bundle = dir_ / "bundle";
  Status mounted = store_.mountRootfs(*digest, bundle);
  ASSERT_TRUE(mounted.isOk()) << mounted.message();
  fs::path rootfs = bundle / "rootfs";
  EXPECT_TRUE(fs::is_regular_file(rootfs / "bin/busybox"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(rootfs / "bin/ls")));  // Layer 2's whiteout.
  EXPECT_TRUE(fs::exists(rootfs / "etc/agora-test"));
  // Writes go to the container's upper directory, never into the shared layers.
  std::ofstream(rootfs / "etc/agora-test") << "changed";
  fs::remove(rootfs / "bin/busybox");
  fs::path second = dir_ / "second";
  ASSERT_TRUE(store_.mountRootfs(*digest, second).isOk());
  EXPECT_TRUE(fs::is_regular_file(second / "rootfs/bin/busybox"));
  std::ifstream original(second / "rootfs/etc/agora-test");
  std::string text((std::istreambuf_iterator<char>(original)), std::istreambuf_iterator<char>());
  EXPECT_NE(text, "changed");
  ImageStore::unmountRootfs((second / "rootfs").string());
  // The unpacked layers count towards the store's size bound, as well as their blobs.
  uint64_t blobBytes = 0;
  for (const auto& blob : fs::directory_iterator(store_.dir() + "/blobs/sha256")) {
    blobBytes += blob.file_size();
  }
  uint64_t unpacked = 0;
  auto parsed = store_.manifest(*digest);
  ASSERT_TRUE(parsed.isOk());
  for (const Descriptor& layer : parsed->layers) {
    EXPECT_GT(store_.unpackedBytes(layer.digest), 0u) << layer.digest;
    unpacked += store_.unpackedBytes(layer.digest);
  }
  EXPECT_GE(unpacked, fs::file_size("/bin/busybox"));  // What the image was built from.
  auto counted = store_.collectGarbage(uint64_t{1} << 40);
  ASSERT_TRUE(counted.isOk()) << counted.status().message();
  EXPECT_EQ(counted->bytesKept, blobBytes + unpacked);
  // Collection of the image keeps the unpacked layers a mounted rootfs still reads.
  ASSERT_TRUE(fs::remove(store_.dir() + "/refs/local%2Fbusybox:latest"));
  ASSERT_TRUE(store_.collectGarbage(0).isOk());
  EXPECT_FALSE(fs::is_empty(store_.dir() + "/layers"));
  EXPECT_TRUE(fs::is_regular_file(rootfs / "etc/agora-test"));
  ImageStore::unmountRootfs(rootfs.string());
  auto collected = store_.collectGarbage(0);
  ASSERT_TRUE(collected.isOk());
  EXPECT_GE(collected->bytesRemoved, unpacked);
  EXPECT_TRUE(fs::is_empty(store_.dir() + "/layers"));  // Unused now: gone, sizes too.
}

TEST_F(ImageStoreTest, ACorruptLayerIsRefusedAndNotKept) {
  buildLayout();
  if (IsSkipped()) return;
  // Flip a byte of the biggest blob (the busybox layer).
  fs::path biggest;
  for (const auto& blob : fs::directory_iterator(dir_ / "layout/blobs/sha256")) {
    if (biggest.empty() || fs::file_size(blob) > fs::file_size(biggest)) biggest = blob;
  }
  {
    std::fstream file(biggest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(1000);
    file.put('\x5a');
  }
  auto digest = importOciLayout(store_, dir_ / "layout", "busybox", "");
  ASSERT_FALSE(digest.isOk());
  std::string layer = "sha256:" + biggest.filename().string();
  EXPECT_NE(digest.status().message().find(layer), std::string::npos) << digest.status().message();
  EXPECT_FALSE(store_.hasBlob(layer));
  EXPECT_FALSE(store_.resolve("busybox").isOk());
  auto unknown = importOciLayout(store_, dir_ / "layout", "nginx", "");
  ASSERT_FALSE(unknown.isOk());
  EXPECT_NE(unknown.status().message().find("busybox"), std::string::npos)
      << unknown.status().message();  // Lists what the layout has.
}

}  // namespace
}  // namespace agora::slave::images

namespace agora::slave::images {
namespace {

// A synthetic image: a manifest naming a config and the given layers (blobs of any bytes:
// collection does not look inside layers).
std::string addImage(ImageStore& store, const std::string& reference,
                     const std::vector<std::string>& layers) {
  std::string config = "{\"config\":{\"Cmd\":[\"" + reference + "\"]}}";
  EXPECT_TRUE(store.addBlob(config, sha256Digest(config)).isOk());
  std::string manifest =
      R"({"schemaVersion":2,"config":{"digest":")" + sha256Digest(config) + R"("},"layers":[)";
  for (size_t i = 0; i < layers.size(); ++i) {
    EXPECT_TRUE(store.addBlob(layers[i], sha256Digest(layers[i])).isOk());
    manifest += (i ? "," : "") + std::string(R"({"digest":")") + sha256Digest(layers[i]) + "\"}";
  }
  manifest += "]}";
  std::string digest = sha256Digest(manifest);
  EXPECT_TRUE(store.addBlob(manifest, digest).isOk());
  EXPECT_TRUE(store.tag(reference, digest).isOk());
  return digest;
}

TEST(ImageStoreGcTest, UnreachableBlobsGoThenLeastRecentlyUsedImagesUnderTheBound) {
  fs::path dir = fs::path(::testing::TempDir()) / ("gc-" + std::to_string(getpid()));
  fs::remove_all(dir);
  ImageStore store(dir.string());
  ASSERT_TRUE(store.init().isOk());
  std::string shared(100000, 's');
  std::string oldLayer(300000, 'o');
  std::string newLayer(300000, 'n');
  addImage(store, "old:1", {shared, oldLayer});
  addImage(store, "new:1", {shared, newLayer});
  std::string stray(50000, 'x');
  ASSERT_TRUE(store.addBlob(stray, sha256Digest(stray)).isOk());
  // "new:1" used after "old:1" (the clock's resolution is coarse: make it clearly later).
  fs::last_write_time(dir / "refs/old:1", fs::file_time_type::clock::now() - std::chrono::hours(1));
  ASSERT_TRUE(store.resolve("new:1").isOk());

  auto loose = store.collectGarbage(10 << 20);
  ASSERT_TRUE(loose.isOk()) << loose.status().message();
  EXPECT_EQ(loose->blobsRemoved, 1);  // Only the stray blob.
  EXPECT_FALSE(store.hasBlob(sha256Digest(stray)));
  EXPECT_TRUE(loose->untagged.empty());

  auto tight = store.collectGarbage(600000);  // Room for one image, not both.
  ASSERT_TRUE(tight.isOk()) << tight.status().message();
  EXPECT_EQ(tight->untagged, std::vector<std::string>{"old:1"});
  EXPECT_FALSE(store.hasBlob(sha256Digest(oldLayer)));
  EXPECT_TRUE(store.hasBlob(sha256Digest(shared)));  // Still reached by "new:1".
  EXPECT_TRUE(store.hasBlob(sha256Digest(newLayer)));
  EXPECT_TRUE(store.resolve("new:1").isOk());
  EXPECT_FALSE(store.resolve("old:1").isOk());
  EXPECT_LE(tight->bytesKept, 600000u);

  {
    ImageStore::Lease lease(store);  // A pull in progress elsewhere.
    auto busy = ImageStore(dir.string()).collectGarbage(0);
    ASSERT_FALSE(busy.isOk());
    EXPECT_EQ(busy.status().code(), StatusCode::kUnavailable);
  }
  EXPECT_TRUE(store.collectGarbage(0).isOk());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace agora::slave::images
