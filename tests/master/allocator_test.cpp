// The DRF allocator: one offer per agent per framework, fairness by dominant share and
// role weight, decline filters, suppress/revive, recovery and agent removal.
#include <gtest/gtest.h>

#include <set>

#include "master/allocator/drf_allocator.hpp"

namespace agora::master {
namespace {

using Clock = std::chrono::steady_clock;

Resources res(const std::string& text) { return *Resources::parse(text); }

TEST(DrfAllocatorTest, OffersEachAgentToOneFramework) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:4096"));
  allocator.addAgent("a2", res("cpus:4;mem:4096"));
  allocator.addFramework("f1", {"*"});
  auto now = Clock::now();
  auto allocations = allocator.allocate(now);
  ASSERT_EQ(allocations.size(), 2u);
  EXPECT_EQ(allocations[0].frameworkId, "f1");
  EXPECT_DOUBLE_EQ(allocations[0].resources.scalar("cpus") + allocations[1].resources.scalar("cpus"),
                   8);
  // Everything is allocated: a second pass offers nothing.
  EXPECT_TRUE(allocator.allocate(now).empty());
}

TEST(DrfAllocatorTest, LowestDominantShareGoesFirst) {
  DrfAllocator allocator;
  allocator.addFramework("f1", {"*"});
  allocator.addFramework("f2", {"*"});
  allocator.addAgent("a1", res("cpus:10;mem:1000"));
  allocator.addUsed("f1", "*", "a1", res("cpus:5"));  // f1 already holds half the cpus.
  allocator.addAgent("a2", res("cpus:10;mem:1000"));
  auto allocations = allocator.allocate(Clock::now());
  ASSERT_EQ(allocations.size(), 2u);
  // Whichever agent comes first goes to f2 (share 0 < 0.25).
  EXPECT_EQ(allocations[0].frameworkId, "f2");
}

TEST(DrfAllocatorTest, WeightsDivideRoleShares) {
  DrfAllocator allocator;
  allocator.setWeight("heavy", 3);
  allocator.addFramework("light", {"light"});
  allocator.addFramework("heavy", {"heavy"});
  for (int i = 0; i < 40; ++i) {
    allocator.addAgent("a" + std::to_string(i), res("cpus:1;mem:100"));
  }
  auto allocations = allocator.allocate(Clock::now());
  int heavy = 0;
  for (const auto& a : allocations) heavy += a.frameworkId == "heavy";
  EXPECT_EQ(allocations.size(), 40u);
  EXPECT_EQ(heavy, 30);  // 3:1.
}

TEST(DrfAllocatorTest, DeclineFilterHoldsUntilExpiryOrMoreResources) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:1024"));
  allocator.addFramework("f1", {"*"});
  auto now = Clock::now();
  auto first = allocator.allocate(now);
  ASSERT_EQ(first.size(), 1u);
  allocator.recover("f1", "*", "a1", first[0].resources, now + std::chrono::seconds(5));
  EXPECT_TRUE(allocator.allocate(now + std::chrono::seconds(1)).empty());
  EXPECT_NE(allocator.pendingReason("f1", now + std::chrono::seconds(1)).find("DECLINE"),
            std::string::npos);
  EXPECT_EQ(allocator.allocate(now + std::chrono::seconds(6)).size(), 1u);
}

TEST(DrfAllocatorTest, PendingScanResumesAcrossSlicesAndSeesAgentsAddedMeanwhile) {
  DrfAllocator allocator;
  for (int i = 0; i < 5; ++i) {
    allocator.addAgent("a" + std::to_string(i), res("cpus:4;mem:1024"));
  }
  allocator.addFramework("f1", {"*"});
  auto now = Clock::now();
  for (const auto& offer : allocator.allocate(now)) {  // Every agent declined for 5 s.
    allocator.recover("f1", offer.role, offer.agentId, offer.resources,
                      now + std::chrono::seconds(5));
  }
  std::vector<DrfAllocator::PendingScan> scans = allocator.pendingScans("f1");
  ASSERT_EQ(scans.size(), 1u);
  auto later = now + std::chrono::seconds(1);
  int slices = 1;
  while (!allocator.scanPending(scans[0], later, 2)) {
    ++slices;
  }
  EXPECT_EQ(slices, 3);  // 5 agents, 2 a slice.
  EXPECT_EQ(*scans[0].reason, allocator.pendingReason("f1", later));
  EXPECT_NE(scans[0].reason->find("DECLINE"), std::string::npos);
  // A scan that reaches the end of the agents finds one added after it started.
  DrfAllocator single;
  single.addAgent("a1", res("cpus:4;mem:1024"));
  single.addFramework("f1", {"*"});
  auto offers = single.allocate(now);
  ASSERT_EQ(offers.size(), 1u);
  single.recover("f1", "*", "a1", offers[0].resources, now + std::chrono::seconds(5));
  std::vector<DrfAllocator::PendingScan> one = single.pendingScans("f1");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_FALSE(single.scanPending(one[0], later, 0));
  single.addAgent("a2", res("cpus:4;mem:1024"));
  while (!single.scanPending(one[0], later, 1)) {
  }
  EXPECT_EQ(DrfAllocator::joinPendingReasons(one),
            "offers are outstanding or another framework or role has a lower dominant share");
  // Without the new agent, the same scan would have ended filtered by the decline.
  std::vector<DrfAllocator::PendingScan> again = single.pendingScans("f1");
  single.removeAgent("a2");
  while (!single.scanPending(again[0], later, 1)) {
  }
  EXPECT_NE(again[0].reason->find("DECLINE"), std::string::npos);
}

TEST(DrfAllocatorTest, FilteredAgentGoesToAnotherFramework) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:1024"));
  allocator.addFramework("f1", {"*"});
  auto now = Clock::now();
  auto first = allocator.allocate(now);
  ASSERT_EQ(first.size(), 1u);
  allocator.addFramework("f2", {"*"});
  allocator.recover(first[0].frameworkId, "*", "a1", first[0].resources, now + std::chrono::hours(1));
  auto second = allocator.allocate(now);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].frameworkId, first[0].frameworkId);
}

TEST(DrfAllocatorTest, SuppressAndReviveClearFilters) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:1024"));
  allocator.addFramework("f1", {"*"});
  auto now = Clock::now();
  allocator.suppress("f1");
  EXPECT_TRUE(allocator.allocate(now).empty());
  allocator.revive("f1");
  auto offers = allocator.allocate(now);
  ASSERT_EQ(offers.size(), 1u);
  allocator.recover("f1", "*", "a1", offers[0].resources, now + std::chrono::hours(1));
  EXPECT_TRUE(allocator.allocate(now).empty());
  allocator.revive("f1");
  EXPECT_EQ(allocator.allocate(now).size(), 1u);
}

TEST(DrfAllocatorTest, ReservedResourcesOnlyGoToTheirRole) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus(eng):2;cpus:1;mem:100"));
  allocator.addFramework("f1", {"other"});
  auto offers = allocator.allocate(Clock::now());
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_DOUBLE_EQ(offers[0].resources.scalar("cpus"), 1);
  allocator.addFramework("f2", {"eng"});
  offers = allocator.allocate(Clock::now());
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].frameworkId, "f2");
  EXPECT_DOUBLE_EQ(offers[0].resources.scalar("cpus"), 2);
}

TEST(DrfAllocatorTest, RemovingAgentOrFrameworkReleasesAllocation) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:1024"));
  allocator.addAgent("a2", res("cpus:4;mem:1024"));
  allocator.addFramework("f1", {"*"});
  auto now = Clock::now();
  ASSERT_EQ(allocator.allocate(now).size(), 2u);
  allocator.removeAgent("a1");
  EXPECT_DOUBLE_EQ(allocator.allocatedTo("f1").scalar("cpus"), 4);
  allocator.removeFramework("f1");
  EXPECT_DOUBLE_EQ(allocator.available("a2").scalar("cpus"), 4);
  allocator.addFramework("f2", {"*"});
  EXPECT_EQ(allocator.allocate(now).size(), 1u);
}

TEST(DrfAllocatorTest, InactiveFrameworksGetNothing) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:1024"));
  allocator.addFramework("f1", {"*"});
  allocator.deactivateFramework("f1");
  EXPECT_TRUE(allocator.allocate(Clock::now()).empty());
  allocator.activateFramework("f1");
  EXPECT_EQ(allocator.allocate(Clock::now()).size(), 1u);
}

TEST(DrfAllocatorTest, ChangedScopeLooksOnlyAtAgentsThatFreedResources) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:1024"));
  allocator.addAgent("a2", res("cpus:4;mem:1024"));
  allocator.addFramework("f1", {"*"});
  auto now = Clock::now();
  auto first = allocator.allocate(now, DrfAllocator::Scope::kChanged);
  ASSERT_EQ(first.size(), 2u);
  // Both offers come back, but a filter on a2 expires only later: a2 stays out of the
  // event-driven pass until its filter expires and a periodic (kAll) pass runs.
  for (const auto& a : first) {
    auto until = a.agentId == "a2" ? std::optional(now + std::chrono::seconds(1)) : std::nullopt;
    allocator.recover("f1", "*", a.agentId, a.resources, until);
  }
  auto second = allocator.allocate(now, DrfAllocator::Scope::kChanged);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].agentId, "a1");
  EXPECT_TRUE(allocator.allocate(now + std::chrono::seconds(2), DrfAllocator::Scope::kChanged)
                  .empty());
  EXPECT_EQ(allocator.allocate(now + std::chrono::seconds(2), DrfAllocator::Scope::kAll).size(),
            1u);
}

TEST(DrfAllocatorTest, QuotaLimitCutsOffersDown) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:4096"));
  allocator.addAgent("a2", res("cpus:4;mem:4096"));
  allocator.addFramework("f1", {"eng"});
  allocator.setQuota("eng", {{"cpus", 3}}, Resources());
  auto offers = allocator.allocate(Clock::now());
  double cpus = 0;
  for (const auto& a : offers) cpus += a.resources.scalar("cpus");
  EXPECT_DOUBLE_EQ(cpus, 3);
  EXPECT_DOUBLE_EQ(allocator.allocatedToRole("eng").scalar("cpus"), 3);
  EXPECT_NE(allocator.pendingReason("f1", Clock::now()).find("quota limit"), std::string::npos);
  // A zero limit is a real limit.
  allocator.addFramework("f2", {"ops"});
  allocator.setQuota("ops", {{"cpus", 0}}, Resources());
  for (const auto& a : allocator.allocate(Clock::now())) {
    EXPECT_NE(a.frameworkId, "f2");
  }
}

TEST(DrfAllocatorTest, GuaranteeIsSetAsideFromOtherRoles) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:4096"));
  allocator.addAgent("a2", res("cpus:4;mem:4096"));
  allocator.setQuota("eng", {}, res("cpus:5"));
  allocator.addFramework("other", {"batch"});
  // eng has no framework yet: batch may only take 8 - 5 = 3 cpus.
  auto offers = allocator.allocate(Clock::now());
  double cpus = 0;
  for (const auto& a : offers) cpus += a.resources.scalar("cpus");
  EXPECT_DOUBLE_EQ(cpus, 3);
  // When eng arrives it gets its guarantee first.
  allocator.addFramework("e1", {"eng"});
  offers = allocator.allocate(Clock::now());
  double eng = 0;
  for (const auto& a : offers) eng += a.frameworkId == "e1" ? a.resources.scalar("cpus") : 0;
  EXPECT_DOUBLE_EQ(eng, 5);
}

TEST(DrfAllocatorTest, InactiveAgentIsOfferedToNobodyUntilActivated) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:4096"));
  allocator.addFramework("f1", {"*"});
  allocator.deactivateAgent("a1");
  auto now = Clock::now();
  EXPECT_TRUE(allocator.allocate(now).empty());
  allocator.activateAgent("a1");
  auto allocations = allocator.allocate(now, DrfAllocator::Scope::kChanged);
  ASSERT_EQ(allocations.size(), 1u);
  EXPECT_EQ(allocations[0].agentId, "a1");
}

}  // namespace
}  // namespace agora::master

namespace agora::master {
namespace {

// A sweep bounded per call (the master's loop turns) visits every agent exactly once over
// the calls that continue it; a framework-level change starts one.
TEST(DrfAllocatorTest, BoundedSweepVisitsEveryAgentOnceAcrossCalls) {
  DrfAllocator allocator;
  for (int i = 0; i < 5; ++i) {
    allocator.addAgent("a" + std::to_string(i), res("cpus:1;mem:100"));
  }
  auto now = Clock::now();
  EXPECT_TRUE(allocator.allocate(now).empty());  // Nobody to offer to; the agents are seen.
  allocator.addFramework("f1", {"*"});  // A new framework: every agent is worth a look.
  std::set<std::string> offered;
  int calls = 0;
  do {
    auto pass = allocator.allocate(now, DrfAllocator::Scope::kChanged, 2);
    ++calls;
    EXPECT_LE(pass.size(), 2u);
    for (const auto& a : pass) {
      EXPECT_TRUE(offered.insert(a.agentId).second) << a.agentId << " offered twice";
    }
  } while (allocator.sweeping() && calls < 10);
  EXPECT_EQ(offered.size(), 5u);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace agora::master
