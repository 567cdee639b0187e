// The fetcher against a real HTTP server on loopback (cpp-httplib, in this process) and
// real files: downloads with redirects, HTTP errors and refused connections named in the
// error, the executable bit, archive extraction (tar.gz, zip, lone .gz) that refuses
// entries leaving the sandbox before writing anything, and file:// and path copies.
#include "slave/executor/fetcher.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "test_dir.hpp"
#include "tests/support/file_server.hpp"
#include "tests/support/process.hpp"

namespace agora::slave {
namespace {

namespace fs = std::filesystem;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Entry {
  std::string name;
  std::string content;
  bool directory = false;
};

// An archive written with libarchive: `zip` or a gzip-compressed pax tar.
std::string makeArchive(const std::vector<Entry>& entries, bool zip = false) {
  std::string bytes;
  bytes.resize(1 << 20);
  size_t used = 0;
  archive* writer = archive_write_new();
  if (zip) {
    archive_write_set_format_zip(writer);
  } else {
    archive_write_add_filter_gzip(writer);
    archive_write_set_format_pax_restricted(writer);
  }
  CHECK_EQ(archive_write_open_memory(writer, bytes.data(), bytes.size(), &used), ARCHIVE_OK);
  for (const Entry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry, e.directory ? 0755 : 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    CHECK_EQ(archive_write_header(writer, entry), ARCHIVE_OK);
    archive_write_data(writer, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
  bytes.resize(used);
  return bytes;
}

std::string gzip(const std::string& content) {
  std::string bytes(1 << 16, '\0');
  size_t used = 0;
  archive* writer = archive_write_new();
  archive_write_add_filter_gzip(writer);
  archive_write_set_format_raw(writer);
  CHECK_EQ(archive_write_open_memory(writer, bytes.data(), bytes.size(), &used), ARCHIVE_OK);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_filetype(entry, AE_IFREG);
  CHECK_EQ(archive_write_header(writer, entry), ARCHIVE_OK);
  archive_write_data(writer, content.data(), content.size());
  archive_entry_free(entry);
  archive_write_close(writer);
  archive_write_free(writer);
  bytes.resize(used);
  return bytes;
}

class FetcherTest : public ::testing::Test {
 protected:
  FetcherTest() {
    sandbox_ = dir_ / "sandbox";
    fs::create_directories(sandbox_);
  }

  Status fetch(const std::string& value, std::optional<bool> executable = std::nullopt,
               std::optional<bool> extract = std::nullopt, const std::string& outputFile = "") {
    google::protobuf::RepeatedPtrField<v1::CommandInfo::URI> uris;
    v1::CommandInfo::URI* uri = uris.Add();
    uri->set_value(value);
    if (executable) uri->set_executable(*executable);
    if (extract) uri->set_extract(*extract);
    if (!outputFile.empty()) uri->set_output_file(outputFile);
    FetcherOptions options;
    options.sandbox = sandbox_;
    return fetchUris(uris, options);
  }
  std::string inSandbox(const std::string& name) const { return sandbox_ + "/" + name; }

  testing::TestDir dir_;
  std::string sandbox_;
  ::agora::testing::FileServer server_;
};

// http:// downloads follow redirects; the file is named after the URI (or output_file).
TEST_F(FetcherTest, DownloadsOverHttpFollowingRedirects) {
  server_.add("hello.txt", "hello\n");
  ASSERT_TRUE(fetch(server_.url("/files/hello.txt?version=2")).isOk());
  EXPECT_EQ(readFile(inSandbox("hello.txt")), "hello\n");
  Status redirected =
      fetch(server_.url("/redirect/hello.txt"), std::nullopt, std::nullopt, "greeting");
  ASSERT_TRUE(redirected.isOk()) << redirected.message();
  EXPECT_EQ(readFile(inSandbox("greeting")), "hello\n");
}

// A 404 fails with the URI and the status, and leaves no file behind.
TEST_F(FetcherTest, HttpErrorNamesTheUriAndTheStatus) {
  std::string url = server_.url("/files/missing.tgz");
  Status fetched = fetch(url);
  ASSERT_FALSE(fetched.isOk());
  EXPECT_EQ(fetched.message(), "Failed to fetch '" + url + "': HTTP 404 Not Found");
  EXPECT_TRUE(fs::is_empty(sandbox_));
}

// Nothing listening: the error says the connection failed.
TEST_F(FetcherTest, RefusedConnectionIsNamed) {
  int port = ::agora::testing::freePort();  // Bound, never listened on, released.
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x.tar.gz";
  Status fetched = fetch(url);
  ASSERT_FALSE(fetched.isOk());
  EXPECT_NE(fetched.message().find("Failed to fetch '" + url + "'"), std::string::npos);
  EXPECT_NE(fetched.message().find("onnect"), std::string::npos) << fetched.message();
}

TEST_F(FetcherTest, ExecutableSetsMode0755) {
  server_.add("tool.sh", "#!/bin/sh\necho tool\n");
  server_.add("data.txt", "data");
  ASSERT_TRUE(fetch(server_.url("/files/tool.sh"), true).isOk());
  ASSERT_TRUE(fetch(server_.url("/files/data.txt")).isOk());
  struct stat tool {};
  struct stat data {};
  ASSERT_EQ(stat(inSandbox("tool.sh").c_str(), &tool), 0);
  ASSERT_EQ(stat(inSandbox("data.txt").c_str(), &data), 0);
  EXPECT_EQ(tool.st_mode & 07777, 0755u);
  EXPECT_EQ(data.st_mode & 0111, 0u);
}

// A tar.gz is unpacked into the sandbox and kept; with extract=false it is only kept.
TEST_F(FetcherTest, ExtractsTarGzAndKeepsTheArchive) {
  server_.add("app.tar.gz", makeArchive({{"app", "", true},
                                         {"app/conf/settings.ini", "port=1"},
                                         {"./README", "read me"}}));
  server_.add("raw.tgz", makeArchive({{"raw.txt", "raw"}}));
  Status fetched = fetch(server_.url("/files/app.tar.gz"));
  ASSERT_TRUE(fetched.isOk()) << fetched.message();
  EXPECT_EQ(readFile(inSandbox("app/conf/settings.ini")), "port=1");
  EXPECT_EQ(readFile(inSandbox("README")), "read me");
  EXPECT_TRUE(fs::is_regular_file(inSandbox("app.tar.gz")));
  ASSERT_TRUE(fetch(server_.url("/files/raw.tgz"), std::nullopt, false).isOk());
  EXPECT_TRUE(fs::is_regular_file(inSandbox("raw.tgz")));
  EXPECT_FALSE(fs::exists(inSandbox("raw.txt")));
}

// One entry with ".." fails the fetch, naming the entry, and nothing of the archive is
// written (not even the entries before it).
TEST_F(FetcherTest, ArchiveEntryLeavingTheSandboxIsRefused) {
  server_.add("evil.tar.gz", makeArchive({{"first.txt", "ok"}, {"../escaped.txt", "bad"}}));
  server_.add("abs.tar.gz", makeArchive({{"/tmp/agora-fetcher-absolute.txt", "bad"}}));
  Status fetched = fetch(server_.url("/files/evil.tar.gz"));
  ASSERT_FALSE(fetched.isOk());
  EXPECT_NE(fetched.message().find("archive entry '../escaped.txt' leaves the sandbox"),
            std::string::npos)
      << fetched.message();
  EXPECT_FALSE(fs::exists(dir_ / "escaped.txt"));
  EXPECT_FALSE(fs::exists(inSandbox("first.txt")));
  Status absolute = fetch(server_.url("/files/abs.tar.gz"));
  ASSERT_FALSE(absolute.isOk());
  EXPECT_NE(absolute.message().find("leaves the sandbox"), std::string::npos);
  EXPECT_FALSE(fs::exists("/tmp/agora-fetcher-absolute.txt"));
}

// A .zip is unpacked, a lone .gz decompressed beside itself, and garbage named .tar.gz is
// "not a valid archive".
TEST_F(FetcherTest, ExtractsZipAndGzAndRejectsGarbage) {
  server_.add("site.zip", makeArchive({{"site/index.html", "<h1>hi</h1>"}}, true));
  server_.add("notes.txt.gz", gzip("compressed notes"));
  server_.add("broken.tar.gz", "this is not gzip");
  Status zip = fetch(server_.url("/files/site.zip"));
  ASSERT_TRUE(zip.isOk()) << zip.message();
  EXPECT_EQ(readFile(inSandbox("site/index.html")), "<h1>hi</h1>");
  Status gz = fetch(server_.url("/files/notes.txt.gz"));
  ASSERT_TRUE(gz.isOk()) << gz.message();
  EXPECT_EQ(readFile(inSandbox("notes.txt")), "compressed notes");
  Status broken = fetch(server_.url("/files/broken.tar.gz"));
  ASSERT_FALSE(broken.isOk());
  EXPECT_NE(broken.message().find("broken.tar.gz: "), std::string::npos) << broken.message();
  EXPECT_NE(broken.message().find("archive"), std::string::npos) << broken.message();
}

// file:///path and /path copy a local file; a missing one is named.
TEST_F(FetcherTest, CopiesFileUrisAndAbsolutePaths) {
  std::string source = dir_ / "source.sh";
  std::ofstream(source) << "#!/bin/sh\n";
  ASSERT_TRUE(fetch("file://" + source, true).isOk());
  EXPECT_EQ(readFile(inSandbox("source.sh")), "#!/bin/sh\n");
  EXPECT_TRUE(fs::status(inSandbox("source.sh")).permissions() == fs::perms(0755));
  ASSERT_TRUE(fetch(source, std::nullopt, std::nullopt, "copy.sh").isOk());
  EXPECT_EQ(readFile(inSandbox("copy.sh")), "#!/bin/sh\n");
  Status missing = fetch(dir_ / "missing.txt");
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.message().find("no such file: " + (dir_ / "missing.txt")), std::string::npos)
      << missing.message();
}

TEST(FetchedFileNameTest, BasenameWithoutQueryOrOutputFile) {
  v1::CommandInfo::URI uri;
  uri.set_value("https://h/a/b/app.tgz?sig=1#frag");
  EXPECT_EQ(*fetchedFileName(uri), "app.tgz");
  uri.set_value("http://h/dir/");
  EXPECT_FALSE(fetchedFileName(uri).isOk());
  uri.set_output_file("named");
  EXPECT_EQ(*fetchedFileName(uri), "named");
}

}  // namespace
}  // namespace agora::slave
