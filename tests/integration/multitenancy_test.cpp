// Multi-tenancy end to end, over real processes: weighted fairness converges, quota
// guarantees and limits hold against a greedy role, reservations reach only their role, and
// all of it still holds after the master is killed and restarted.
#include <gtest/gtest.h>

#include <httplib.h>

#include <signal.h>

#include <set>

#include "tests/integration/framework_fixture.hpp"
#include "tests/support/cluster.hpp"

namespace agora::testing {
namespace {

class MultiTenancyTest : public ::testing::Test {
 protected:
  // Cpus used by tasks of each framework, from the master's /state.
  std::map<std::string, double> usedCpus() const {
    std::map<std::string, double> out;
    nlohmann::json state = cluster_.state();
    if (state.is_object()) {
      for (const auto& framework : state["frameworks"]) {
        out[framework["name"].get<std::string>()] =
            framework["used_resources"]["cpus"].get<double>();
      }
    }
    return out;
  }

  int post(const std::string& path, const std::string& body) {
    httplib::Client client(cluster_.masterAddress());
    auto res = client.Post(path, body, "application/json");
    return res ? res->status : -1;
  }

  // Queues `count` tasks named `prefix`-N running `command` with one cpu each.
  static void queue(TestFramework& framework, const std::string& prefix, int count,
                    const std::string& command, const std::string& resources = "cpus:1;mem:16") {
    for (int i = 0; i < count; ++i) {
      framework.scheduler.queueTask(
          shellTask(prefix + "-" + std::to_string(i), command, resources));
    }
  }

  TestCluster cluster_;
};

// heavy starts alone and takes the whole cluster; light arrives later. Tasks keep ending
// and both always want more, so every freed cpu goes to the role with the lower weighted
// share: the split converges to the 1:3 weights (12 and 4 of 16 cpus), not to 1:1.
TEST_F(MultiTenancyTest, WeightedFairnessConverges) {
  cluster_.startMaster({"--weights=light=1,heavy=3"});
  for (int i = 0; i < 8; ++i) cluster_.startAgent(i, "cpus:2;mem:1024");
  ASSERT_TRUE(cluster_.waitForAgents(8));
  TestFramework heavy(cluster_.masterAddress(), {.name = "heavy", .role = "heavy"});
  queue(heavy, "h", 400, "sleep 2");
  ASSERT_TRUE(heavy.start());
  ASSERT_TRUE(cluster_.waitFor([&] { return usedCpus()["heavy"] == 16; }, 60,
                               "heavy holds the whole cluster"));
  TestFramework light(cluster_.masterAddress(), {.name = "light", .role = "light"});
  queue(light, "l", 400, "sleep 2");
  ASSERT_TRUE(light.start());
  // Converged: three samples in a row within one cpu of 12:4.
  int stable = 0;
  EXPECT_TRUE(cluster_.waitFor(
      [&] {
        auto used = usedCpus();
        bool near = std::abs(used["heavy"] - 12) <= 1 && std::abs(used["light"] - 4) <= 1;
        stable = near ? stable + 1 : 0;
        return stable >= 3;
      },
      90, "heavy and light settle near 12:4 cpus"));
}

// A guarantee is set aside for its role while a greedy role wants everything, a limit is
// never exceeded, reserved resources go only to their role — before and after a master
// restart.
TEST_F(MultiTenancyTest, QuotaAndReservationsHoldAcrossAMasterRestart) {
  cluster_.startMaster();
  for (int i = 0; i < 3; ++i) cluster_.startAgent(i, "cpus:4;mem:1024");
  cluster_.startAgent(3, "cpus(owner):2;mem(owner):256;cpus:2;mem:768");
  ASSERT_TRUE(cluster_.waitForAgents(4));
  ASSERT_EQ(post("/quota", R"({"role":"guaranteed","guarantee":[
      {"name":"cpus","type":"SCALAR","scalar":{"value":4}}]})"), 200);
  ASSERT_EQ(post("/quota", R"({"role":"capped","limits":{"cpus":3}})"), 200);

  TestFramework capped(cluster_.masterAddress(), {.name = "capped", .failoverTimeout = 60, .role = "capped"});
  queue(capped, "c", 40, "sleep 600");
  ASSERT_TRUE(capped.start());
  ASSERT_TRUE(cluster_.waitFor([&] { return usedCpus()["capped"] == 3; }, 20,
                               "capped reaches its limit"))
      << cluster_.state()["frameworks"].dump();
  TestFramework greedy(cluster_.masterAddress(), {.name = "greedy", .failoverTimeout = 60, .role = "greedy"});
  queue(greedy, "g", 40, "sleep 600");
  ASSERT_TRUE(greedy.start());
  // 14 unreserved cpus, 4 set aside for `guaranteed`: greedy and capped share the other 10,
  // capped at most 3.
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto used = usedCpus();
        return used["greedy"] + used["capped"] == 10;
      },
      60, "greedy and capped use every cpu but the guarantee"));
  EXPECT_EQ(usedCpus()["capped"], 3);

  TestFramework guaranteed(cluster_.masterAddress(), {.name = "guaranteed", .failoverTimeout = 60,
                                                      .role = "guaranteed"});
  queue(guaranteed, "q", 4, "sleep 600");
  ASSERT_TRUE(guaranteed.start());
  ASSERT_TRUE(cluster_.waitFor([&] { return usedCpus()["guaranteed"] == 4; }, 60,
                               "the guarantee is met"));
  TestFramework owner(cluster_.masterAddress(), {.name = "owner", .failoverTimeout = 60, .role = "owner"});
  // Tasks name the reservation they use (as in Mesos).
  queue(owner, "o", 2, "sleep 600", "cpus(owner):1;mem(owner):16");
  ASSERT_TRUE(owner.start());
  ASSERT_TRUE(cluster_.waitFor([&] { return usedCpus()["owner"] == 2; }, 60,
                               "the owner role uses its reservation"))
      << [&] {
           std::string out;
           for (const auto& f : cluster_.state()["frameworks"]) {
             out += f["name"].dump() + ": " + f["pending_reason"].dump() + " used " +
                    f["used_resources"].dump() + " offered " + f["offered_resources"].dump() + "\n";
           }
           return out;
         }();

  // The master counts a task as used once it accepts it; wait until every one of them
  // runs on its agent, or a restart would (rightly) forget a launch still on its way.
  ASSERT_TRUE(capped.scheduler.waitForRunning(3));
  ASSERT_TRUE(greedy.scheduler.waitForRunning(7));
  ASSERT_TRUE(guaranteed.scheduler.waitForRunning(4));
  ASSERT_TRUE(owner.scheduler.waitForRunning(2));

  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster();
  ASSERT_TRUE(cluster_.waitForAgents(4));
  // Everything re-registered, the quota is back, and nobody moved past a limit or into
  // someone else's reservation.
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        auto used = usedCpus();
        return used["guaranteed"] == 4 && used["owner"] == 2 && used["capped"] == 3 &&
               used["greedy"] == 7;
      },
      60, "every task is back in the master's accounts"))
      << cluster_.state()["frameworks"].dump().substr(0, 3000);
  capped.driver->reviveOffers();
  EXPECT_TRUE(cluster_.waitFor(
      [&] {
        httplib::Client client(cluster_.masterAddress());
        auto res = client.Get("/roles");
        if (!res) return false;
        nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
        for (const auto& role : body["roles"]) {
          if (role["name"] == "capped") {
            for (const auto& pending : role["why_pending"]) {
              if (pending["reason"].get<std::string>().find("quota limit") != std::string::npos) {
                return true;
              }
            }
          }
        }
        return false;
      },
      30, "/roles says capped waits on its quota limit"))
      << [&] {
           httplib::Client client(cluster_.masterAddress());
           auto res = client.Get("/roles");
           return res ? res->body : std::string("no /roles");
         }();
  // The framework can ask the same question through the SDK.
  auto reasons = capped.driver->pendingReasons();
  ASSERT_TRUE(reasons.isOk()) << reasons.status().message();
  EXPECT_NE((*reasons)["capped"].find("quota limit"), std::string::npos) << (*reasons)["capped"];
  EXPECT_EQ(usedCpus()["capped"], 3);
  for (TestFramework* framework : {&greedy, &capped, &guaranteed}) {
    for (const v1::Offer& offer : framework->scheduler.offers()) {
      for (const v1::Resource& resource : offer.resources()) {
        EXPECT_NE(resource.role(), "owner") << "a reservation of 'owner' was offered elsewhere";
      }
    }
  }
}

// A framework in two roles (one of them nested) receives offers allocated to each, launches
// into both, and the master and agents remember which role each task belongs to across a
// master restart.
TEST_F(MultiTenancyTest, MultiRoleFrameworkGetsOffersForEachRole) {
  cluster_.startMaster();
  cluster_.startAgent(0, "cpus(eng):1;mem(eng):64");
  cluster_.startAgent(1, "cpus(ops/web):1;mem(ops/web):64");
  ASSERT_TRUE(cluster_.waitForAgents(2));
  TestFramework framework(cluster_.masterAddress(), {.name = "multi", .failoverTimeout = 60,
                                                     .roles = {"eng", "ops/web"}});
  framework.scheduler.queueTask(shellTask("in-eng", "sleep 600", "cpus(eng):1;mem(eng):16"));
  framework.scheduler.queueTask(
      shellTask("in-web", "sleep 600", "cpus(ops/web):1;mem(ops/web):16"));
  ASSERT_TRUE(framework.start());
  ASSERT_TRUE(framework.scheduler.waitForState("in-eng", v1::TASK_RUNNING));
  ASSERT_TRUE(framework.scheduler.waitForState("in-web", v1::TASK_RUNNING));
  std::set<std::string> offeredRoles;
  for (const v1::Offer& offer : framework.scheduler.offers()) {
    offeredRoles.insert(offer.allocation_info().role());
  }
  EXPECT_EQ(offeredRoles, (std::set<std::string>{"eng", "ops/web"}));

  cluster_.stopMaster(SIGKILL);
  cluster_.startMaster();
  ASSERT_TRUE(cluster_.waitForAgents(2));
  ASSERT_TRUE(cluster_.waitFor(
      [&] {
        return cluster_.findTask("in-eng")["role"] == "eng" &&
               cluster_.findTask("in-web")["role"] == "ops/web";
      },
      30, "each task keeps its role after the restart"));
  nlohmann::json state = cluster_.state();
  ASSERT_EQ(state["frameworks"].size(), 1u);
  EXPECT_EQ(state["frameworks"][0]["roles"], nlohmann::json({"eng", "ops/web"}));
}

std::string domain(const std::string& region, const std::string& zone) {
  return "--domain={\"fault_domain\":{\"region\":{\"name\":\"" + region +
         "\"},\"zone\":{\"name\":\"" + zone + "\"}}}";
}

// Offers carry the agent's fault domain; an agent in another region than the master's is
// offered only to a REGION_AWARE framework.
TEST_F(MultiTenancyTest, RemoteRegionOnlyForRegionAwareFrameworks) {
  cluster_.startMaster({domain("east", "east-a")});
  cluster_.startAgent(0, "cpus:1;mem:64", {domain("east", "east-b")});
  cluster_.startAgent(1, "cpus:1;mem:64", {domain("west", "west-a")});
  ASSERT_TRUE(cluster_.waitForAgents(2));
  TestFramework plain(cluster_.masterAddress(), {.name = "plain"});
  plain.scheduler.setDeclineUnused(true, 3600);
  ASSERT_TRUE(plain.start());
  ASSERT_TRUE(plain.scheduler.waitUntil(
      [&] { return !plain.scheduler.offersLocked().empty(); }));
  TestFramework aware(cluster_.masterAddress(), {.name = "aware", .regionAware = true});
  ASSERT_TRUE(aware.start());
  ASSERT_TRUE(aware.scheduler.waitUntil([&] {
    for (const v1::Offer& offer : aware.scheduler.offersLocked()) {
      if (offer.domain().fault_domain().region().name() == "west") return true;
    }
    return false;
  })) << "the REGION_AWARE framework never got the west agent";
  for (const v1::Offer& offer : plain.scheduler.offers()) {
    EXPECT_EQ(offer.domain().fault_domain().region().name(), "east");
    EXPECT_EQ(offer.domain().fault_domain().zone().name(), "east-b");
  }
  nlohmann::json state = cluster_.state();
  std::set<std::string> regions;
  for (const auto& agent : state["slaves"]) {
    regions.insert(agent["domain"]["fault_domain"]["region"]["name"].get<std::string>());
  }
  EXPECT_EQ(regions, (std::set<std::string>{"east", "west"}));
}

}  // namespace
}  // namespace agora::testing
