// Digests as OCI writes them.
#include "slave/images/digest.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace agora::slave::images {
namespace {

TEST(DigestTest, Sha256OfBytesAndOfAFileAgree) {
  // The well-known digest of "abc" (FIPS 180-2).
  EXPECT_EQ(sha256Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string path = testing::TempDir() + "/digest-test-file";
  std::ofstream(path) << std::string(200000, 'x');
  auto fromFile = sha256DigestOfFile(path);
  ASSERT_TRUE(fromFile.isOk()) << fromFile.status().message();
  EXPECT_EQ(*fromFile, sha256Digest(std::string(200000, 'x')));
  std::remove(path.c_str());
  EXPECT_FALSE(sha256DigestOfFile(path).isOk());
}

TEST(DigestTest, OnlyWellFormedSha256DigestsAreValid) {
  EXPECT_TRUE(validateDigest(sha256Digest("")).isOk());
  auto bad = validateDigest("sha512:abc");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.message().find("only sha256"), std::string::npos);
  EXPECT_FALSE(validateDigest("sha256:ABC").isOk());
  EXPECT_FALSE(validateDigest("sha256:" + std::string(63, 'a')).isOk());
  EXPECT_FALSE(validateDigest("sha256:" + std::string(64, 'g')).isOk());
}

}  // namespace
}  // namespace agora::slave::images
