// The allocator over a role hierarchy, with multi-role frameworks and fault domains: DRF
// at every level, weights among siblings, reservations and quota that nest, per-role
// accounting and filters, remote regions only for REGION_AWARE frameworks.
#include <gtest/gtest.h>

#include "master/allocator/drf_allocator.hpp"

namespace agora::master {
namespace {

using Clock = std::chrono::steady_clock;

Resources res(const std::string& text) { return *Resources::parse(text); }

void addAgents(DrfAllocator& allocator, int count, const std::string& resources) {
  for (int i = 0; i < count; ++i) {
    allocator.addAgent("a" + std::to_string(i), res(resources));
  }
}

// Agents handed to each framework in one pass (every agent holds one cpu).
std::map<std::string, int> countByFramework(const std::vector<DrfAllocator::Allocation>& out) {
  std::map<std::string, int> counts;
  for (const auto& a : out) counts[a.frameworkId]++;
  return counts;
}

TEST(RoleTreeTest, ParentsAndChains) {
  EXPECT_EQ(RoleTree::parentOf("eng/web/api"), "eng/web");
  EXPECT_EQ(RoleTree::parentOf("eng"), "");
  EXPECT_EQ(RoleTree::chainOf("eng/web"), (std::vector<std::string>{"eng/web", "eng"}));
}

TEST(HierarchicalAllocatorTest, SiblingsShareTheirParentsShare) {
  DrfAllocator allocator;
  allocator.addFramework("web", {"eng/web"});
  allocator.addFramework("batch", {"eng/batch"});
  allocator.addFramework("ops", {"ops"});
  addAgents(allocator, 40, "cpus:1;mem:100");
  auto counts = countByFramework(allocator.allocate(Clock::now()));
  // Top level: eng and ops 1:1; inside eng: web and batch 1:1. A flat DRF would give each
  // framework a third.
  EXPECT_EQ(counts["ops"], 20);
  EXPECT_EQ(counts["web"], 10);
  EXPECT_EQ(counts["batch"], 10);
  EXPECT_DOUBLE_EQ(allocator.allocatedToRole("eng").scalar("cpus"), 20);
}

TEST(HierarchicalAllocatorTest, WeightsApplyAmongSiblings) {
  DrfAllocator allocator;
  allocator.setWeight("eng/web", 3);
  allocator.addFramework("web", {"eng/web"});
  allocator.addFramework("batch", {"eng/batch"});
  allocator.addFramework("ops", {"ops"});
  addAgents(allocator, 40, "cpus:1;mem:100");
  auto counts = countByFramework(allocator.allocate(Clock::now()));
  EXPECT_EQ(counts["ops"], 20);  // eng/web's weight does not count against ops.
  EXPECT_EQ(counts["web"], 15);
  EXPECT_EQ(counts["batch"], 5);
}

TEST(HierarchicalAllocatorTest, OwnFrameworksCompeteWithChildren) {
  DrfAllocator allocator;
  allocator.addFramework("lead", {"eng"});
  allocator.addFramework("web", {"eng/web"});
  addAgents(allocator, 10, "cpus:1;mem:100");
  auto counts = countByFramework(allocator.allocate(Clock::now()));
  EXPECT_EQ(counts["lead"], 5);
  EXPECT_EQ(counts["web"], 5);
}

TEST(HierarchicalAllocatorTest, ParentReservationsServeChildrenOnly) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus(eng):2;mem(eng):100"));
  allocator.addFramework("ops", {"ops"});
  EXPECT_TRUE(allocator.allocate(Clock::now()).empty());
  allocator.addFramework("web", {"eng/web"});
  auto offers = allocator.allocate(Clock::now());
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].frameworkId, "web");
  EXPECT_EQ(offers[0].role, "eng/web");
  EXPECT_DOUBLE_EQ(offers[0].resources.reservedTo("eng").scalar("cpus"), 2);
}

TEST(HierarchicalAllocatorTest, ParentLimitBoundsTheSubtree) {
  DrfAllocator allocator;
  allocator.setQuota("eng", {{"cpus", 5}}, Resources());
  allocator.addFramework("web", {"eng/web"});
  allocator.addFramework("batch", {"eng/batch"});
  addAgents(allocator, 20, "cpus:1;mem:100");
  allocator.allocate(Clock::now());
  EXPECT_DOUBLE_EQ(allocator.allocatedToRole("eng").scalar("cpus"), 5);
  EXPECT_NE(allocator.pendingReason("web", "eng/web", Clock::now()).find("role eng reached"),
            std::string::npos);
}

TEST(HierarchicalAllocatorTest, ParentGuaranteeServesItsChildrenFirst) {
  DrfAllocator allocator;
  allocator.setQuota("eng", {}, res("cpus:6"));
  allocator.setQuota("eng/web", {}, res("cpus:2"));
  allocator.addFramework("other", {"batch"});
  addAgents(allocator, 10, "cpus:1;mem:100");
  // Nobody in eng yet: its 6 cpus are set aside (the child's 2 are inside them).
  auto counts = countByFramework(allocator.allocate(Clock::now()));
  EXPECT_EQ(counts["other"], 4);
  allocator.addFramework("api", {"eng/api"});
  counts = countByFramework(allocator.allocate(Clock::now()));
  EXPECT_EQ(counts["api"], 6);  // eng's guarantee is met through its child.
}

TEST(HierarchicalAllocatorTest, UnmetGuaranteeNeverHoldsBackAnotherRolesReservation) {
  DrfAllocator allocator;
  allocator.setQuota("guaranteed", {}, res("cpus:4"));
  allocator.addAgent("a1", res("cpus(owner):2;mem(owner):256;cpus:2;mem:768"));
  allocator.addFramework("g", {"greedy"});
  allocator.addUsed("g", "greedy", "a1", res("cpus:2;mem:32"));
  allocator.addFramework("o", {"owner"});
  // No unreserved cpu is left for the guarantee; the owner's reservation is still its own.
  auto offers = allocator.allocate(Clock::now());
  ASSERT_FALSE(offers.empty());
  EXPECT_EQ(offers[0].frameworkId, "o");
  EXPECT_DOUBLE_EQ(offers[0].resources.reservedTo("owner").scalar("cpus"), 2);
}

TEST(MultiRoleAllocatorTest, OffersCarryTheRoleAndCountPerRole) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus(a):1;mem(a):100"));
  allocator.addAgent("a2", res("cpus(b):1;mem(b):100"));
  allocator.addFramework("f", {"a", "b"});
  auto offers = allocator.allocate(Clock::now());
  ASSERT_EQ(offers.size(), 2u);
  std::map<std::string, std::string> roleByAgent;
  for (const auto& o : offers) roleByAgent[o.agentId] = o.role;
  EXPECT_EQ(roleByAgent["a1"], "a");
  EXPECT_EQ(roleByAgent["a2"], "b");
  EXPECT_DOUBLE_EQ(allocator.allocatedToRole("a").scalar("cpus"), 1);
  EXPECT_DOUBLE_EQ(allocator.allocatedTo("f").scalar("cpus"), 2);
}

TEST(MultiRoleAllocatorTest, DeclineFiltersOnlyTheRoleDeclined) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:1;mem:100"));
  allocator.addFramework("f", {"a", "b"});
  auto now = Clock::now();
  auto first = allocator.allocate(now);
  ASSERT_EQ(first.size(), 1u);
  std::string declined = first[0].role;
  allocator.recover("f", declined, "a1", first[0].resources, now + std::chrono::hours(1));
  auto second = allocator.allocate(now);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0].role, declined);
}

TEST(MultiRoleAllocatorTest, SuppressOneRoleKeepsTheOther) {
  DrfAllocator allocator;
  addAgents(allocator, 4, "cpus:1;mem:100");
  allocator.addFramework("f", {"a", "b"});
  allocator.suppress("f", {"a"});
  EXPECT_FALSE(allocator.isSuppressed("f"));
  for (const auto& o : allocator.allocate(Clock::now())) {
    EXPECT_EQ(o.role, "b");
  }
  allocator.suppress("f", {"b"});
  EXPECT_TRUE(allocator.isSuppressed("f"));
}

TEST(MultiRoleAllocatorTest, TasksReportedBeforeTheirFrameworkCountOnceItReturns) {
  DrfAllocator allocator;
  allocator.addAgent("a1", res("cpus:4;mem:400"), {{{"f", "eng"}, res("cpus:3")}});
  EXPECT_DOUBLE_EQ(allocator.allocatedToRole("eng").scalar("cpus"), 3);
  allocator.addFramework("f", {"eng"});
  EXPECT_DOUBLE_EQ(allocator.allocatedTo("f").scalar("cpus"), 3);
  allocator.recover("f", "eng", "a1", res("cpus:3"));
  EXPECT_DOUBLE_EQ(allocator.allocatedToRole("eng").scalar("cpus"), 0);
  EXPECT_DOUBLE_EQ(allocator.available("a1").scalar("cpus"), 4);
}

TEST(FaultDomainAllocatorTest, RemoteAgentsOnlyForRegionAwareFrameworks) {
  DrfAllocator allocator;
  allocator.setLocalRegion("east");
  allocator.addAgent("local", res("cpus:1;mem:100"), {}, "east");
  allocator.addAgent("remote", res("cpus:1;mem:100"), {}, "west");
  allocator.addFramework("plain", {"*"});
  auto offers = allocator.allocate(Clock::now());
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agentId, "local");
  EXPECT_NE(allocator.pendingReason("plain", "*", Clock::now()).find("another region"),
            std::string::npos);
  allocator.addFramework("aware", {"*"}, /*regionAware=*/true);
  offers = allocator.allocate(Clock::now());
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].agentId, "remote");
  EXPECT_EQ(offers[0].frameworkId, "aware");
}

}  // namespace
}  // namespace agora::master
