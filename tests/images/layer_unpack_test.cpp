// Applying image layers: files, whiteouts (plain and opaque, lower layers only), symlinked
// directories resolved inside the rootfs, and refusals (paths out of the root, corrupt tars).
// The layers are real tar files written with libarchive.
#include "slave/images/layer_unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace agora::slave::images {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string name;
  enum Kind { kFile, kDir, kSymlink } kind = kFile;
  std::string content;  // File content, or symlink target.
};

void writeTar(const std::string& path, const std::vector<Entry>& entries, bool gzip) {
  archive* out = archive_write_new();
  archive_write_set_format_pax_restricted(out);
  if (gzip) archive_write_add_filter_gzip(out);
  ASSERT_EQ(archive_write_open_filename(out, path.c_str()), ARCHIVE_OK);
  for (const Entry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    if (e.kind == Entry::kDir) {
      archive_entry_set_filetype(entry, AE_IFDIR);
      archive_entry_set_perm(entry, 0755);
    } else if (e.kind == Entry::kSymlink) {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.content.c_str());
      archive_entry_set_perm(entry, 0777);
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, 0644);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    }
    archive_write_header(out, entry);
    if (e.kind == Entry::kFile) archive_write_data(out, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(out);
  archive_write_free(out);
}

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LayerUnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("layers-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rootfs");
    root_ = dir_ / "rootfs";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  fs::path root_;
};

TEST_F(LayerUnpackTest, WhiteoutsRemoveWhatLowerLayersPutThere) {
  writeTar(dir_ / "l1.tar",
           {{"a/", Entry::kDir},
            {"a/x", Entry::kFile, "1"},
            {"a/y", Entry::kFile, "2"},
            {"d/", Entry::kDir},
            {"d/f", Entry::kFile, "3"},
            {"d/sub/", Entry::kDir},
            {"d/sub/h", Entry::kFile, "6"}},
           false);
  writeTar(dir_ / "l2.tar.gz",
           {{"a/.wh.x", Entry::kFile},
            {"d/g", Entry::kFile, "4"},  // Before the opaque marker: still kept.
            {"d/.wh..wh..opq", Entry::kFile},
            {"a/w", Entry::kFile, "5"},
            {"a/.wh.w", Entry::kFile}},  // Same layer: does not hide a/w.
           true);
  ASSERT_TRUE(applyLayer(dir_ / "l1.tar", root_).isOk());
  Status second = applyLayer(dir_ / "l2.tar.gz", root_);
  ASSERT_TRUE(second.isOk()) << second.message();
  EXPECT_FALSE(fs::exists(root_ / "a/x"));
  EXPECT_EQ(read(root_ / "a/y"), "2");
  EXPECT_EQ(read(root_ / "a/w"), "5");
  EXPECT_FALSE(fs::exists(root_ / "d/f"));
  EXPECT_FALSE(fs::exists(root_ / "d/sub"));
  EXPECT_EQ(read(root_ / "d/g"), "4");
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    EXPECT_EQ(entry.path().filename().string().rfind(".wh.", 0), std::string::npos)
        << "whiteout marker written: " << entry.path();
  }
}

TEST_F(LayerUnpackTest, SymlinkedDirectoriesResolveInsideTheRootfs) {
  fs::create_directories(dir_ / "host-etc");
  std::ofstream(dir_ / "host-etc/passwd") << "host";
  // An absolute link to the outside as seen from the host (it is inside as seen from the
  // container): entries through it must land in the rootfs.
  writeTar(dir_ / "l1.tar",
           {{"etc/", Entry::kDir},
            {"hostlink", Entry::kSymlink, (dir_ / "host-etc").string()},
            {"abs", Entry::kSymlink, "/etc"},
            {"usr/lib/", Entry::kDir},
            {"lib", Entry::kSymlink, "usr/lib"},
            {"up", Entry::kSymlink, "../../../.."}},
           false);
  writeTar(dir_ / "l2.tar",
           {{"abs/passwd", Entry::kFile, "root:x:0:0"},
            {"lib/libc.so", Entry::kFile, "elf"},
            {"hostlink/passwd", Entry::kFile, "overwritten"},
            {"up/escaped", Entry::kFile, "no"}},
           false);
  ASSERT_TRUE(applyLayer(dir_ / "l1.tar", root_).isOk());
  Status second = applyLayer(dir_ / "l2.tar", root_);
  ASSERT_TRUE(second.isOk()) << second.message();
  EXPECT_EQ(read(root_ / "etc/passwd"), "root:x:0:0");
  EXPECT_EQ(read(root_ / "usr/lib/libc.so"), "elf");
  EXPECT_EQ(read(dir_ / "host-etc/passwd"), "host");  // The host's file is untouched.
  EXPECT_FALSE(fs::exists(dir_ / "escaped"));
  EXPECT_EQ(read(root_ / "escaped"), "no");    // `..` stops at the root.
  EXPECT_TRUE(fs::is_symlink(root_ / "abs"));  // Links themselves are kept as written.
}

TEST_F(LayerUnpackTest, EntriesLeavingTheRootAreRefused) {
  writeTar(dir_ / "evil.tar", {{"../evil", Entry::kFile, "x"}}, false);
  Status status = applyLayer(dir_ / "evil.tar", root_);
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("'..'"), std::string::npos) << status.message();
  EXPECT_FALSE(fs::exists(dir_ / "evil"));
}

TEST_F(LayerUnpackTest, CorruptOrMissingLayersAreErrorsNamingTheLayer) {
  writeTar(dir_ / "good.tar.gz", {{"big", Entry::kFile, std::string(100000, 'z')}}, true);
  std::string bytes = read(dir_ / "good.tar.gz");
  std::ofstream(dir_ / "cut.tar.gz", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  Status cut = applyLayer(dir_ / "cut.tar.gz", root_);
  ASSERT_FALSE(cut.isOk());
  EXPECT_NE(cut.message().find("cut.tar.gz"), std::string::npos) << cut.message();
  Status missing = applyLayer(dir_ / "nope.tar", root_);
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.message().find("nope.tar"), std::string::npos) << missing.message();
}

}  // namespace
}  // namespace agora::slave::images
