// Sandbox file access: everything outside `<work_dir>/sandboxes` is refused after
// resolving `..` and symlinks; inside, browse and read work with offsets and lengths.
#include "slave/files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "test_dir.hpp"

namespace agora::slave {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ / "sandboxes";
    sandbox_ = root_ + "/f1/t1";
    fs::create_directories(sandbox_ + "/sub");
    std::ofstream(sandbox_ + "/stdout") << "hello world";
    std::ofstream(dir_ / "secret") << "top secret";
  }

  testing::TestDir dir_;
  std::string root_;
  std::string sandbox_;
};

TEST_F(FilesTest, ResolvesPathsInsideTheSandboxes) {
  auto resolved = resolveInSandboxes(root_, sandbox_ + "/stdout");
  ASSERT_TRUE(resolved.isOk()) << resolved.status().message();
  EXPECT_EQ(resolved->string(), fs::canonical(sandbox_ + "/stdout").string());
  EXPECT_TRUE(resolveInSandboxes(root_, sandbox_ + "/sub/../stdout").isOk());
}

TEST_F(FilesTest, RefusesDotDotEscapes) {
  auto resolved = resolveInSandboxes(root_, sandbox_ + "/../../../secret");
  ASSERT_FALSE(resolved.isOk());
  EXPECT_EQ(resolved.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(FilesTest, RefusesAbsolutePathsOutside) {
  for (const std::string& path :
       {std::string("/etc/passwd"), dir_ / "secret", dir_.path(), root_ + "2/x"}) {
    auto resolved = resolveInSandboxes(root_, path);
    ASSERT_FALSE(resolved.isOk()) << path;
    EXPECT_EQ(resolved.status().code(), StatusCode::kPermissionDenied) << path;
  }
}

TEST_F(FilesTest, RefusesSymlinkEscapes) {
  ASSERT_EQ(symlink((dir_ / "secret").c_str(), (sandbox_ + "/link").c_str()), 0);
  ASSERT_EQ(symlink(dir_.path().c_str(), (sandbox_ + "/dirlink").c_str()), 0);
  auto viaFile = readFileChunk(root_, sandbox_ + "/link", 0, std::nullopt);
  ASSERT_FALSE(viaFile.isOk());
  EXPECT_EQ(viaFile.status().code(), StatusCode::kPermissionDenied);
  auto viaDir = browseFiles(root_, sandbox_ + "/dirlink");
  ASSERT_FALSE(viaDir.isOk());
  EXPECT_EQ(viaDir.status().code(), StatusCode::kPermissionDenied);
}

// `weakly_canonical` stops resolving symlinks at the first missing component and folds the
// `..` after it lexically: "<sandbox>/missing/../link/secret" must not reach through a
// symlink a task planted in its sandbox to a directory outside.
TEST_F(FilesTest, RefusesSymlinkEscapesBehindAMissingComponent) {
  ASSERT_EQ(symlink(dir_.path().c_str(), (sandbox_ + "/dirlink").c_str()), 0);
  ASSERT_EQ(symlink((dir_ / "secret").c_str(), (sandbox_ + "/link").c_str()), 0);
  for (const std::string& path :
       {sandbox_ + "/missing/../dirlink/secret", sandbox_ + "/missing/../link",
        sandbox_ + "/sub/missing/../../dirlink"}) {
    auto resolved = resolveInSandboxes(root_, path);
    ASSERT_FALSE(resolved.isOk()) << path << " -> " << resolved->string();
    EXPECT_EQ(resolved.status().code(), StatusCode::kPermissionDenied) << path;
  }
  auto read = readFileChunk(root_, sandbox_ + "/missing/../dirlink/secret", 0, std::nullopt);
  ASSERT_FALSE(read.isOk()) << read->data;
  EXPECT_EQ(read.status().code(), StatusCode::kPermissionDenied);
  // A symlink that stays inside the sandboxes is still followed.
  ASSERT_EQ(symlink((sandbox_ + "/stdout").c_str(), (sandbox_ + "/out").c_str()), 0);
  auto inside = readFileChunk(root_, sandbox_ + "/missing/../out", 0, std::nullopt);
  ASSERT_TRUE(inside.isOk()) << inside.status().message();
  EXPECT_EQ(inside->data, "hello world");
}

TEST_F(FilesTest, MissingIsNotFoundAndRelativeIsInvalid) {
  auto missing = readFileChunk(root_, sandbox_ + "/nope", 0, std::nullopt);
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto relative = browseFiles(root_, "f1/t1");
  ASSERT_FALSE(relative.isOk());
  EXPECT_EQ(relative.status().code(), StatusCode::kInvalidArgument);
  auto empty = browseFiles(root_, "");
  ASSERT_FALSE(empty.isOk());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(FilesTest, ReadsWithOffsetAndLength) {
  auto all = readFileChunk(root_, sandbox_ + "/stdout", 0, std::nullopt);
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->data, "hello world");
  EXPECT_EQ(all->offset, 0);

  auto part = readFileChunk(root_, sandbox_ + "/stdout", 6, 3);
  ASSERT_TRUE(part.isOk());
  EXPECT_EQ(part->data, "wor");
  EXPECT_EQ(part->offset, 6);

  auto size = readFileChunk(root_, sandbox_ + "/stdout", -1, std::nullopt);
  ASSERT_TRUE(size.isOk());
  EXPECT_EQ(size->data, "");
  EXPECT_EQ(size->offset, 11);

  auto past = readFileChunk(root_, sandbox_ + "/stdout", 100, 5);
  ASSERT_TRUE(past.isOk());
  EXPECT_EQ(past->data, "");

  EXPECT_EQ(readFileChunk(root_, sandbox_ + "/stdout", -2, std::nullopt).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(readFileChunk(root_, sandbox_ + "/stdout", 0, -1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(readFileChunk(root_, sandbox_, 0, std::nullopt).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(FilesTest, BrowsesADirectory) {
  auto listing = browseFiles(root_, sandbox_);
  ASSERT_TRUE(listing.isOk()) << listing.status().message();
  ASSERT_EQ(listing->size(), 2u);
  EXPECT_EQ((*listing)[0]["path"], sandbox_ + "/stdout");
  EXPECT_EQ((*listing)[0]["size"], 11);
  EXPECT_EQ((*listing)[0]["mode"].get<std::string>().substr(0, 1), "-");
  EXPECT_EQ((*listing)[1]["path"], sandbox_ + "/sub");
  EXPECT_EQ((*listing)[1]["mode"].get<std::string>().substr(0, 1), "d");
  for (const char* field : {"mtime", "nlink", "uid", "gid"}) {
    EXPECT_TRUE((*listing)[0].contains(field)) << field;
  }
}

TEST_F(FilesTest, DownloadNeedsARegularFile) {
  EXPECT_TRUE(resolveDownload(root_, sandbox_ + "/stdout").isOk());
  EXPECT_EQ(resolveDownload(root_, sandbox_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(resolveDownload(root_, "/etc/passwd").status().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace agora::slave
