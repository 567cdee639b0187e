// Groups: relative ids, Marathon's validation paths for nested definitions, dependency
// cycles, and the deployment steps of a change of many apps in dependency order.
#include "frameworks/services/group.hpp"

#include <gtest/gtest.h>

namespace agora::services {
namespace {

using nlohmann::json;

TEST(GroupIdTest, ResolvesRelativeIds) {
  EXPECT_EQ(*resolveId("/shop", "web"), "/shop/web");
  EXPECT_EQ(*resolveId("/shop", "./web"), "/shop/web");
  EXPECT_EQ(*resolveId("/shop/web", "../db"), "/shop/db");
  EXPECT_EQ(*resolveId("/shop", "/other/x"), "/other/x");
  EXPECT_EQ(*resolveId("/", ""), "/");
  EXPECT_FALSE(resolveId("/", "../x").isOk());
  EXPECT_FALSE(resolveId("/shop", "Bad_Id").isOk());
  EXPECT_EQ(parentOf("/shop/web"), "/shop");
  EXPECT_EQ(parentOf("/web"), "/");
  EXPECT_TRUE(isUnder("/shop/web", "/shop"));
  EXPECT_FALSE(isUnder("/shopping/web", "/shop"));
  EXPECT_TRUE(isUnder("/anything", "/"));
}

const char* kShop = R"({"id": "/shop", "dependencies": ["/infra"],
  "apps": [{"id": "db", "cmd": "db"}, {"id": "web", "cmd": "web", "dependencies": ["db"]}],
  "groups": [{"id": "/shop/batch", "apps": [{"id": "/shop/batch/etl", "cmd": "etl"}]}]})";

TEST(GroupTest, FlattensTheTreeWithAbsoluteIds) {
  json body = json::parse(kShop);
  ASSERT_TRUE(validateGroup(body).empty());
  GroupTree tree = groupFromJson(body);
  EXPECT_EQ(tree.id, "/shop");
  ASSERT_EQ(tree.groups.size(), 2u);
  EXPECT_EQ(tree.groups[0].id, "/shop");
  EXPECT_EQ(tree.groups[0].dependencies, std::vector<std::string>{"/infra"});
  EXPECT_EQ(tree.groups[1].id, "/shop/batch");
  ASSERT_EQ(tree.apps.size(), 3u);
  EXPECT_EQ(tree.apps[1].id, "/shop/web");
  EXPECT_EQ(tree.apps[1].extra["dependencies"], json::array({"/shop/db"}));
  std::map<std::string, std::vector<std::string>> groupDeps = {{"/shop", {"/infra"}}};
  EXPECT_EQ(dependenciesOf(tree.apps[1], groupDeps),
            (std::vector<std::string>{"/shop/db", "/infra"}));
}

TEST(GroupTest, ReportsNestedErrorsAtTheirPaths) {
  json body = json::parse(R"({"id": "/shop", "apps": [{"id": "web", "cmd": "x", "cpus": -1},
                                                      {"cmd": "y"}],
                              "groups": [{"id": "/elsewhere/g"}], "dependencies": [3]})");
  auto errors = validateGroup(body);
  std::map<std::string, std::vector<std::string>> byPath;
  for (const FieldError& error : errors) {
    byPath[error.path] = error.errors;
  }
  EXPECT_EQ(byPath["/apps(0)/cpus"], std::vector<std::string>{"got -1.0, expected 0.0 or more"});
  EXPECT_EQ(byPath["/apps(1)/id"], std::vector<std::string>{"error.path.missing"});
  ASSERT_EQ(byPath["/groups(0)/id"].size(), 1u);
  EXPECT_NE(byPath["/groups(0)/id"][0].find("not a direct child"), std::string::npos);
  EXPECT_EQ(byPath["/dependencies(0)"], std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(validateGroup(json::array())[0].path, "/");
  EXPECT_EQ(validateGroup(json::parse(R"({"apps": []})"))[0].path, "/id");
}

TEST(GroupTest, RejectsDependencyCyclesAndDuplicates) {
  json cyclic = json::parse(R"({"id": "/g", "apps": [
      {"id": "a", "cmd": "a", "dependencies": ["b"]},
      {"id": "b", "cmd": "b", "dependencies": ["/g/a"]}]})");
  auto errors = validateGroup(cyclic);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/");
  EXPECT_EQ(errors[0].errors[0], "Dependency graph has cyclic dependencies.");
  json twice = json::parse(R"({"id": "/g", "apps": [{"id": "a", "cmd": "a"},
                                                    {"id": "/g/a", "cmd": "b"}]})");
  EXPECT_EQ(validateGroup(twice)[0].path, "/apps");
}

TEST(GroupPlanTest, StepsFollowDependencies) {
  GroupTree tree = groupFromJson(json::parse(kShop));
  std::map<std::string, std::optional<App>> before;
  std::map<std::string, std::optional<App>> after;
  for (const App& app : tree.apps) {
    after[app.id] = app;
  }
  App gone = appFromJson({{"id", "/shop/old"}, {"cmd", "old"}});
  before[gone.id] = gone;
  after[gone.id] = std::nullopt;
  std::map<std::string, std::vector<std::string>> groupDeps;
  auto steps = planChange(before, after, {}, [&](const std::string& id) {
    return dependenciesOf(*after[id], groupDeps);
  });
  ASSERT_TRUE(steps.isOk());
  Deployment deployment{.id = "d", .steps = *steps};
  json plan = deploymentToJson(deployment)["steps"];
  ASSERT_EQ(plan.size(), 4u) << plan.dump();
  EXPECT_EQ(plan[0]["actions"][0], json({{"action", "StopApplication"}, {"app", "/shop/old"}}));
  EXPECT_EQ(plan[1]["actions"].size(), 3u);  // Every new app starts (at 0 instances) at once.
  // Then db and etl (no dependencies) scale together, and web after db.
  EXPECT_EQ(plan[2]["actions"].size(), 2u);
  EXPECT_EQ(plan[3]["actions"],
            json::array({{{"action", "ScaleApplication"}, {"app", "/shop/web"}}}));

  // A cycle through existing definitions is an error, not an endless plan.
  App a = appFromJson({{"id", "/a"}, {"cmd", "a"}, {"dependencies", {"/b"}}});
  App b = appFromJson({{"id", "/b"}, {"cmd", "b"}, {"dependencies", {"/a"}}});
  std::map<std::string, std::optional<App>> both = {{"/a", a}, {"/b", b}};
  EXPECT_FALSE(planChange({}, both, {}, [&](const std::string& id) {
                 return dependenciesOf(*both[id], {});
               }).isOk());
}

}  // namespace
}  // namespace agora::services
