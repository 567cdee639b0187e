// Persistent volumes end to end over real processes: a framework built on the SDK creates a
// volume on disk statically reserved to its role, a task writes into it, the volume is
// offered to the role again after the task, a second task reads the data back, and DESTROY
// deletes the volume's directory on the agent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agora/sdk/operations.hpp"
#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

class VolumesTest : public ::testing::Test {
 protected:
  std::optional<v1::Offer> nextOffer(TestFramework& framework,
                                     const std::function<bool(const Resources&)>& wanted) {
    auto offer = nextOfferWith(framework, seen_, wanted);
    if (!offer) ADD_FAILURE() << "no offer with the wanted resources";
    return offer;
  }

  TestCluster cluster_;
  size_t seen_ = 0;
};

TEST_F(VolumesTest, DataOutlivesTheTaskAndDestroyDeletesIt) {
  cluster_.startMaster();
  cluster_.startAgent(0, "cpus:2;mem:1024;disk:1024;disk(eng):256;ports:[31000-31100]");
  ASSERT_TRUE(cluster_.waitForAgents(1));
  TestFramework framework(cluster_.masterAddress(), {.name = "volumes", .role = "eng"});
  framework.scheduler.setDeclineUnused(false);  // The test answers the offers itself.
  ASSERT_TRUE(framework.start());

  const v1::Resource volume = sdk::persistentVolume("eng", "data-1", "store", 64);
  Resources volumeResources = *Resources::parse("disk(eng)[data-1:store]:64");
  auto hasVolume = [](const Resources& r) { return r.hasVolume("eng", "data-1"); };
  auto onVolume = [&](const std::string& id, const std::string& command) {
    v1::TaskInfo task = shellTask(id, command);
    *task.add_resources() = volume;
    return task;
  };
  v1::Filters now;
  now.set_refuse_seconds(0);

  // CREATE and a task writing into the new volume, in one ACCEPT.
  auto offer = nextOffer(
      framework, [](const Resources& r) { return r.reservedTo("eng").scalar("disk") >= 256; });
  ASSERT_TRUE(offer.has_value());
  framework.driver->acceptOffers({offer->id()},
                                 {sdk::createVolumes({volume}),
                                  sdk::launch({onVolume("writer", "echo persisted > store/file")})},
                                 now);
  ASSERT_TRUE(framework.scheduler.waitForState("writer", v1::TASK_FINISHED))
      << "writer did not finish: "
      << (framework.scheduler.lastStatus("writer")
              ? framework.scheduler.lastStatus("writer")->message()
              : "no status");
  const std::string directory = cluster_.dir() + "/agent0/volumes/roles/eng/data-1";
  std::ifstream written(directory + "/file");
  std::string text((std::istreambuf_iterator<char>(written)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "persisted\n");

  // The volume comes back to the role; a second task finds the data (exit 0 only if so).
  offer = nextOffer(framework, hasVolume);
  ASSERT_TRUE(offer.has_value());
  EXPECT_TRUE(Resources::fromProto(offer->resources())->contains(volumeResources));
  framework.driver->acceptOffers(
      {offer->id()}, {sdk::launch({onVolume("reader", "test \"$(cat store/file)\" = persisted")})},
      now);
  ASSERT_TRUE(framework.scheduler.waitForState("reader", v1::TASK_FINISHED))
      << "reader did not read the data back: "
      << (framework.scheduler.lastStatus("reader")
              ? framework.scheduler.lastStatus("reader")->message()
              : "no status");

  // DESTROY: the directory goes, and the role is offered its plain reserved disk again.
  offer = nextOffer(framework, hasVolume);
  ASSERT_TRUE(offer.has_value());
  framework.driver->acceptOffers({offer->id()}, {sdk::destroyVolumes({volume})}, now);
  EXPECT_TRUE(cluster_.waitFor([&] { return !std::filesystem::exists(directory); }, 15,
                               "the agent deletes the destroyed volume"));
  offer = nextOffer(framework, [](const Resources& r) {
    return r.volumes().empty() && r.reservedTo("eng").scalar("disk") >= 256;
  });
  ASSERT_TRUE(offer.has_value());
  nlohmann::json state = cluster_.state();
  for (const auto& resource : state["slaves"][0]["reserved_resources_full"]["eng"]) {
    EXPECT_FALSE(resource.contains("disk")) << resource.dump();
  }
}

}  // namespace
}  // namespace agora::testing
