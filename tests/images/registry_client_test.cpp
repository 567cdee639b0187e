// Pulling from a real registry (Debian's docker-registry, the CNCF distribution server) on
// loopback, with the busybox image built offline and pushed by skopeo: the pulled image
// unpacks like the original; a second pull fetches nothing; a missing image, an unreachable
// registry and a corrupt layer are errors that name their cause, and nothing bad is kept.
#include "slave/images/registry_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "slave/images/registry_credentials.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_image.hpp"
#include "tests/support/token_server.hpp"

namespace agora::slave::images {
namespace {

namespace fs = std::filesystem;

class RegistryClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = agora::testing::TestRegistry::whyUnavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    dir_ = fs::path(::testing::TempDir()) /
           ("registry-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    server_ = std::make_unique<agora::testing::TestRegistry>(dir_);
    ASSERT_TRUE(server_->error().empty()) << server_->error();
    registry_ = server_->address();
    std::string pushed = server_->pushBusybox("tests/busybox:1.0");
    ASSERT_TRUE(pushed.empty()) << pushed;
    ASSERT_TRUE(store_.init().isOk());
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
    fs::remove_all(store_.dir());
  }

  RegistryClient client() {
    RegistryOptions options;
    options.insecureRegistries = {registry_};
    options.progress = [this](const std::string& line) { progress_.push_back(line); };
    return RegistryClient(options);
  }
  ImageReference ref(const std::string& text) { return *parseImageReference(text); }

  fs::path dir_;
  std::string registry_;
  std::unique_ptr<agora::testing::TestRegistry> server_;
  ImageStore store_{(fs::path(::testing::TempDir()) /
                     ("registry-store-" + std::to_string(getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                        .string()};
  std::vector<std::string> progress_;
};

TEST_F(RegistryClientTest, PullsAnImageThatUnpacksAndPullsItOnlyOnce) {
  RegistryClient puller = client();
  auto digest = puller.pull(store_, ref(registry_ + "/tests/busybox:1.0"));
  ASSERT_TRUE(digest.isOk()) << digest.status().message();
  EXPECT_EQ(*store_.resolve(registry_ + "/tests/busybox:1.0"), *digest);
  Status made = store_.makeRootfs(*digest, dir_ / "rootfs");
  ASSERT_TRUE(made.isOk()) << made.message();
  EXPECT_TRUE(fs::is_regular_file(dir_ / "rootfs/bin/busybox"));
  EXPECT_TRUE(fs::exists(dir_ / "rootfs/etc/agora-test"));
  size_t fetches = std::count_if(progress_.begin(), progress_.end(),
                                 [](const std::string& l) { return l.rfind("fetching", 0) == 0; });
  EXPECT_EQ(fetches, 3u);  // Config and two layers.

  progress_.clear();
  auto again = puller.pull(store_, ref(registry_ + "/tests/busybox@" + *digest));
  ASSERT_TRUE(again.isOk()) << again.status().message();
  EXPECT_EQ(*again, *digest);
  for (const std::string& line : progress_) {
    EXPECT_NE(line.rfind("fetching", 0), 0u) << "fetched again: " << line;
  }
}

TEST_F(RegistryClientTest, MissingImagesAndUnreachableRegistriesAreNamedErrors) {
  RegistryClient puller = client();
  auto missing = puller.pull(store_, ref(registry_ + "/tests/nothing:1.0"));
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("tests/nothing:1.0"), std::string::npos)
      << missing.status().message();

  int closed = agora::testing::freePort();
  RegistryOptions options;
  options.insecureRegistries = {"127.0.0.1:" + std::to_string(closed)};
  auto unreachable = RegistryClient(options).pull(
      store_, ref("127.0.0.1:" + std::to_string(closed) + "/tests/busybox:1.0"));
  ASSERT_FALSE(unreachable.isOk());
  EXPECT_EQ(unreachable.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(unreachable.status().message().find("cannot reach"), std::string::npos)
      << unreachable.status().message();
}

TEST_F(RegistryClientTest, ACorruptLayerFromTheRegistryIsRefusedAndNotKept) {
  // Flip a byte of the biggest blob in the registry's own storage: it serves it as is.
  fs::path biggest;
  for (const auto& entry : fs::recursive_directory_iterator(server_->dataDir())) {
    if (entry.is_regular_file() && entry.path().filename() == "data" &&
        (biggest.empty() || entry.file_size() > fs::file_size(biggest))) {
      biggest = entry.path();
    }
  }
  ASSERT_FALSE(biggest.empty());
  {
    std::fstream file(biggest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(1000);
    file.put('\x5a');
  }
  std::string layer = "sha256:" + biggest.parent_path().filename().string();
  auto pulled = client().pull(store_, ref(registry_ + "/tests/busybox:1.0"));
  ASSERT_FALSE(pulled.isOk());
  EXPECT_NE(pulled.status().message().find(layer), std::string::npos) << pulled.status().message();
  EXPECT_NE(pulled.status().message().find("does not match"), std::string::npos);
  EXPECT_FALSE(store_.hasBlob(layer));
  EXPECT_FALSE(store_.resolve(registry_ + "/tests/busybox:1.0").isOk());
  EXPECT_TRUE(fs::is_empty(fs::path(store_.dir()) / "tmp"));
}

// A registry that wants basic auth (htpasswd): refused without credentials or with wrong
// ones, naming the cause; pulled with the credentials of a Docker config.json.
TEST_F(RegistryClientTest, ARegistryWithBasicAuthNeedsItsCredentials) {
  fs::path secured = dir_ / "secured";
  agora::testing::TestRegistry::Auth auth;
  auth.user = "puller";
  auth.password = "s3cret-pass";
  agora::testing::TestRegistry server(secured, auth);
  ASSERT_TRUE(server.error().empty()) << server.error();
  ASSERT_EQ(server.pushBusybox("private/busybox:1.0"), "");
  ImageReference image = ref(server.address() + "/private/busybox:1.0");
  RegistryOptions options;
  options.insecureRegistries = {server.address()};
  auto anonymous = RegistryClient(options).pull(store_, image);
  ASSERT_FALSE(anonymous.isOk());
  EXPECT_NE(anonymous.status().message().find("wants credentials"), std::string::npos)
      << anonymous.status().message();
  options.credentials[server.address()] = {"puller", "wrong"};
  auto wrong = RegistryClient(options).pull(store_, image);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_FALSE(store_.resolve(image.toString()).isOk());

  // "puller:s3cret-pass" in base64, as `docker login` writes it.
  std::ofstream(dir_ / "config.json") << R"({"auths": {"http://)" << server.address()
                                      << R"(/v2/": {"auth": "cHVsbGVyOnMzY3JldC1wYXNz"}}})";
  auto credentials = loadRegistryCredentials((dir_ / "config.json").string());
  ASSERT_TRUE(credentials.isOk()) << credentials.status().message();
  options.credentials = *credentials;
  auto pulled = RegistryClient(options).pull(store_, image);
  ASSERT_TRUE(pulled.isOk()) << pulled.status().message();
  EXPECT_EQ(*store_.resolve(image.toString()), *pulled);
}

TEST(RegistryCredentialsTest, ReadsDockerConfigsAndNamesWhatIsWrong) {
  fs::path dir = fs::path(::testing::TempDir()) / ("credentials-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "config.json", std::ios::trunc) << text;
    return loadRegistryCredentials((dir / "config.json").string());
  };
  auto good = write(R"({"auths": {"https://index.docker.io/v1/": {"auth": "dTpwOnc="},
                                  "reg.local:5000": {"username": "a", "password": "b"}}})");
  ASSERT_TRUE(good.isOk()) << good.status().message();
  EXPECT_EQ(good->at("docker.io").username, "u");
  EXPECT_EQ(good->at("docker.io").password, "p:w");  // Only the first ':' splits.
  EXPECT_EQ(good->at("reg.local:5000").password, "b");
  auto notBase64 = write(R"({"auths": {"r:1": {"auth": "%%%"}}})");
  ASSERT_FALSE(notBase64.isOk());
  EXPECT_NE(notBase64.status().message().find("auths[\"r:1\"]"), std::string::npos)
      << notBase64.status().message();
  EXPECT_FALSE(write(R"({"auths": {"r:1": {}}})").isOk());
  EXPECT_FALSE(write("not json").isOk());
  EXPECT_FALSE(loadRegistryCredentials((dir / "missing.json").string()).isOk());
  fs::remove_all(dir);
}

// A registry that hands out bearer tokens (the token protocol of Docker Hub and most
// registries): the client follows the challenge to the token service with its
// credentials; without them the token grants nothing and the pull is refused.
TEST_F(RegistryClientTest, ARegistryWithBearerTokensIsPulledWithATokenFromItsService) {
  fs::create_directories(dir_ / "token");
  agora::testing::TokenServer tokens((dir_ / "token").string(), "puller", "t0ken-pass");
  ASSERT_TRUE(tokens.error().empty()) << tokens.error();
  agora::testing::TestRegistry server(dir_ / "tokened",
                                      {.user = "puller",
                                       .password = "t0ken-pass",
                                       .tokenRealm = tokens.realm(),
                                       .tokenService = agora::testing::TokenServer::kService,
                                       .tokenIssuer = agora::testing::TokenServer::kIssuer,
                                       .tokenCertificate = tokens.certificatePath()});
  ASSERT_TRUE(server.error().empty()) << server.error();
  ASSERT_EQ(server.pushBusybox("private/busybox:2.0"), "");  // skopeo, with a token.
  int grantedForPush = tokens.granted();
  ASSERT_GT(grantedForPush, 0);
  ImageReference image = ref(server.address() + "/private/busybox:2.0");
  RegistryOptions options;
  options.insecureRegistries = {server.address()};
  auto anonymous = RegistryClient(options).pull(store_, image);
  ASSERT_FALSE(anonymous.isOk());
  EXPECT_EQ(anonymous.status().code(), StatusCode::kPermissionDenied)
      << anonymous.status().message();
  EXPECT_EQ(tokens.granted(), grantedForPush);
  options.credentials[server.address()] = {"puller", "t0ken-pass"};
  auto pulled = RegistryClient(options).pull(store_, image);
  ASSERT_TRUE(pulled.isOk()) << pulled.status().message();
  EXPECT_GT(tokens.granted(), grantedForPush);
  EXPECT_EQ(*store_.resolve(image.toString()), *pulled);
}

}  // namespace
}  // namespace agora::slave::images
