// Paths derived from the work_dir: the executor endpoint falls back to a /tmp path when
// the work_dir is too long for a unix socket address, deterministically.
#include "slave/options.hpp"

#include <gtest/gtest.h>

namespace agora::slave {
namespace {

TEST(OptionsTest, ExecutorEndpointLivesInTheWorkDir) {
  EXPECT_EQ(executorEndpoint("/var/lib/agora"), "ipc:///var/lib/agora/executors.sock");
}

TEST(OptionsTest, LongWorkDirsUseAHashedTmpPath) {
  std::string longDir = "/" + std::string(120, 'a');
  std::string endpoint = executorEndpoint(longDir);
  EXPECT_EQ(endpoint.rfind("ipc:///tmp/agora-executors-", 0), 0u) << endpoint;
  EXPECT_LE(endpoint.size() - 6, 107u);
  EXPECT_EQ(endpoint, executorEndpoint(longDir));
  EXPECT_NE(endpoint, executorEndpoint(longDir + "b"));
}

TEST(OptionsTest, SafePathComponents) {
  EXPECT_TRUE(isSafePathComponent("task-1.a"));
  EXPECT_FALSE(isSafePathComponent(""));
  EXPECT_FALSE(isSafePathComponent("."));
  EXPECT_FALSE(isSafePathComponent(".."));
  EXPECT_FALSE(isSafePathComponent("a/b"));
}

TEST(OptionsTest, VolumePathsStayUnderTheVolumesRoot) {
  EXPECT_EQ(volumePath("/w", "eng", "v1"), "/w/volumes/roles/eng/v1");
  EXPECT_EQ(volumePath("/w", "eng/web", "v1"), "/w/volumes/roles/eng%2Fweb/v1");
  EXPECT_TRUE(isSafeVolumePath("eng", "v1"));
  EXPECT_TRUE(isSafeVolumePath("eng/web", "v1"));
  EXPECT_FALSE(isSafeVolumePath("eng/../..", "v1"));
  EXPECT_FALSE(isSafeVolumePath("..", "v1"));
  EXPECT_FALSE(isSafeVolumePath("eng", ".."));
  EXPECT_FALSE(isSafeVolumePath("eng", "a/b"));
  EXPECT_FALSE(isSafeVolumePath("", "v1"));
}

}  // namespace
}  // namespace agora::slave

namespace agora::slave {
namespace {

TEST(ContainerizersTest, OciAndPosixAreKnownAnythingElseIsAnError) {
  EXPECT_EQ(*parseContainerizers("oci,posix"), (std::set<std::string>{"oci", "posix"}));
  EXPECT_EQ(*parseContainerizers("posix"), (std::set<std::string>{"posix"}));
  auto unknown = parseContainerizers("oci,docker");
  ASSERT_FALSE(unknown.isOk());
  EXPECT_NE(unknown.status().message().find("'docker'"), std::string::npos);
  EXPECT_FALSE(parseContainerizers("").isOk());
  EXPECT_FALSE(parseContainerizers("oci,").isOk());
}

}  // namespace
}  // namespace agora::slave
