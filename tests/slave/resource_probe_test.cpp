// Resource detection finds positive cpus and memory; an explicit --resources text wins.
#include "slave/resource_probe.hpp"

#include <gtest/gtest.h>

#include "test_dir.hpp"

namespace agora::slave {
namespace {

TEST(ResourceProbeTest, DetectsPositiveCpusAndMemory) {
  testing::TestDir dir;
  auto resources = probeResources(dir.path());
  ASSERT_TRUE(resources.isOk()) << resources.status().message();
  EXPECT_GT(resources->scalar("cpus"), 0);
  EXPECT_GT(resources->scalar("mem"), 0);
  EXPECT_GE(resources->scalar("disk"), 0);
  EXPECT_EQ(resources->ranges("ports").toString(), "[31000-32000]");
}

TEST(ResourceProbeTest, ExplicitTextReplacesDetection) {
  testing::TestDir dir;
  auto resources = agentResources("cpus:2;mem:512", dir.path());
  ASSERT_TRUE(resources.isOk());
  EXPECT_EQ(resources->scalar("cpus"), 2);
  EXPECT_EQ(resources->scalar("mem"), 512);
  EXPECT_TRUE(resources->ranges("ports").empty());
  EXPECT_FALSE(agentResources("cpus:-1", dir.path()).isOk());
}

}  // namespace
}  // namespace agora::slave
