// App definitions: Marathon's validation (every 422 path), id normalisation, task ids, and
// the JSON round trip the store and the REST API rely on.
#include "frameworks/services/app.hpp"

#include <gtest/gtest.h>

namespace agora::services {
namespace {

using nlohmann::json;

// The errors at `path`, or an empty list when the path is not reported.
std::vector<std::string> errorsAt(const std::vector<FieldError>& errors, const std::string& path) {
  for (const FieldError& error : errors) {
    if (error.path == path) {
      return error.errors;
    }
  }
  return {};
}

TEST(AppIdTest, NormalisesSlashes) {
  EXPECT_EQ(*normalizeAppId("web"), "/web");
  EXPECT_EQ(*normalizeAppId("/shop/web/"), "/shop/web");
  EXPECT_EQ(*normalizeAppId("shop//web"), "/shop/web");
  EXPECT_EQ(*normalizeAppId("/a.b/c-d"), "/a.b/c-d");
}

TEST(AppIdTest, RejectsWhatMarathonRejects) {
  for (const char* bad : {"", "/", "Web", "we_b", "-web", "web-", "a b", "web!"}) {
    EXPECT_FALSE(normalizeAppId(bad).isOk()) << bad;
  }
}

TEST(TaskIdTest, NamesTheAppAndRoundTrips) {
  std::string id = newTaskId("/shop/web");
  EXPECT_EQ(id.rfind("shop_web.", 0), 0u) << id;
  EXPECT_EQ(appIdOfTask(id), "/shop/web");
  EXPECT_EQ(appIdOfTask(newTaskId("/a.b")), "/a.b");
  EXPECT_NE(newTaskId("/web"), newTaskId("/web"));
  EXPECT_EQ(appIdOfTask("no-dot"), "");
}

TEST(AppValidationTest, AcceptsAMinimalApp) {
  EXPECT_TRUE(validateApp({{"id", "/web"}, {"cmd", "sleep 1000"}}).empty());
  EXPECT_TRUE(validateApp({{"id", "web"}, {"args", {"sleep", "1"}}}).empty());
  EXPECT_TRUE(
      validateApp({{"id", "web"}, {"container", {{"docker", {{"image", "busybox"}}}}}}).empty());
  EXPECT_TRUE(validateApp({{"cmd", "x"}}, std::string("shop/web")).empty());
}

TEST(AppValidationTest, ListsEveryBadFieldAtItsPath) {
  json body = {{"id", "Bad_Id"},          {"cpus", -1},
               {"mem", "lots"},           {"disk", -0.5},
               {"instances", -2},         {"env", {{"GOOD", "x"}, {"BAD", 3}}},
               {"labels", {{"L", true}}}, {"portDefinitions", {{{"port", 70000}}}}};
  auto errors = validateApp(body);
  EXPECT_EQ(errorsAt(errors, "/id").size(), 1u);
  EXPECT_EQ(errorsAt(errors, "/"),
            std::vector<std::string>{
                "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."});
  EXPECT_EQ(errorsAt(errors, "/cpus"), std::vector<std::string>{"got -1.0, expected 0.0 or more"});
  EXPECT_EQ(errorsAt(errors, "/mem"), std::vector<std::string>{"error.expected.jsnumber"});
  EXPECT_EQ(errorsAt(errors, "/disk"), std::vector<std::string>{"got -0.5, expected 0.0 or more"});
  EXPECT_EQ(errorsAt(errors, "/instances"), std::vector<std::string>{"got -2, expected 0 or more"});
  EXPECT_EQ(errorsAt(errors, "/env/BAD"), std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_TRUE(errorsAt(errors, "/env/GOOD").empty());
  EXPECT_EQ(errorsAt(errors, "/labels/L"), std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errorsAt(errors, "/portDefinitions(0)/port").size(), 1u);
  EXPECT_EQ(errors.size(), 9u);
}

TEST(AppValidationTest, ChecksIdPresenceAndType) {
  EXPECT_EQ(errorsAt(validateApp({{"cmd", "x"}}), "/id"),
            std::vector<std::string>{"error.path.missing"});
  EXPECT_EQ(errorsAt(validateApp({{"id", 5}, {"cmd", "x"}}), "/id"),
            std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errorsAt(validateApp({{"cmd", "x"}}, std::string("Bad")), "/id").size(), 1u);
}

TEST(AppValidationTest, ChecksCommandShapes) {
  EXPECT_EQ(errorsAt(validateApp({{"id", "a"}, {"cmd", "x"}, {"args", {"y"}}}), "/"),
            std::vector<std::string>{
                "AppDefinition must either contain a 'cmd' or a 'args', but not both."});
  EXPECT_EQ(errorsAt(validateApp({{"id", "a"}, {"cmd", 3}}), "/cmd"),
            std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errorsAt(validateApp({{"id", "a"}, {"args", {"x", 1}}}), "/args(1)"),
            std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errorsAt(validateApp({{"id", "a"}, {"args", "x"}}), "/args"),
            std::vector<std::string>{"error.expected.jsarray"});
  EXPECT_EQ(errorsAt(validateApp({{"id", "a"}, {"instances", 1.5}, {"cmd", "x"}}), "/instances"),
            std::vector<std::string>{"error.expected.jsnumber"});
}

TEST(AppValidationTest, ChecksTheContainer) {
  EXPECT_EQ(errorsAt(validateApp({{"id", "a"}, {"container", {{"type", "DOCKER"}}}}),
                     "/container/docker/image")
                .size(),
            1u);
  EXPECT_EQ(errorsAt(validateApp({{"id", "a"}, {"container", {{"type", "RKT"}}}, {"cmd", "x"}}),
                     "/container/type")
                .size(),
            1u);
  EXPECT_EQ(errorsAt(validateApp({{"id", "a"}, {"container", 3}}), "/container").size(), 1u);
  // A MESOS container without an image runs the command on the host.
  EXPECT_TRUE(validateApp({{"id", "a"}, {"container", {{"type", "MESOS"}}}, {"cmd", "x"}}).empty());
}

TEST(AppValidationTest, UpgradeStrategyIsTwoFractions) {
  json body = {{"id", "/a"}, {"cmd", "x"}};
  body["upgradeStrategy"] = {{"minimumHealthCapacity", 1.5}, {"maximumOverCapacity", "lots"}};
  auto errors = validateApp(body);
  EXPECT_EQ(errorsAt(errors, "/upgradeStrategy/minimumHealthCapacity"),
            std::vector<std::string>{"got 1.5, expected between 0.0 and 1.0"});
  EXPECT_EQ(errorsAt(errors, "/upgradeStrategy/maximumOverCapacity"),
            std::vector<std::string>{"error.expected.jsnumber"});
  body["upgradeStrategy"] = {{"minimumHealthCapacity", 0.5}};
  ASSERT_TRUE(validateApp(body).empty());
  json out = appToJson(appFromJson(body));
  EXPECT_EQ(out["upgradeStrategy"]["minimumHealthCapacity"], 0.5);
  EXPECT_EQ(out["upgradeStrategy"]["maximumOverCapacity"], 1.0) << "Marathon's default";
}

TEST(AppValidationTest, DependenciesAreIds) {
  json body = {{"id", "/shop/web"}, {"cmd", "x"}, {"dependencies", {"db", "../infra/dns", "/x"}}};
  EXPECT_TRUE(validateApp(body).empty());
  body["dependencies"] = {5, "Not_An_Id"};
  auto errors = validateApp(body);
  EXPECT_EQ(errorsAt(errors, "/dependencies(0)"),
            std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errorsAt(errors, "/dependencies(1)"),
            std::vector<std::string>{"is not a valid app or group id"});
  body["dependencies"] = "db";
  EXPECT_EQ(errorsAt(validateApp(body), "/dependencies"),
            std::vector<std::string>{"error.expected.jsarray"});
}

TEST(AppValidationTest, NonObjectBodyIsOneError) {
  auto errors = validateApp(json::array());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "/");
}

TEST(AppValidationTest, ErrorBodyIsMarathons) {
  json body = validationErrorBody({{"/cpus", {"got -1.0, expected 0.0 or more"}}});
  EXPECT_EQ(body, json::parse(R"({"message": "Object is not valid",
      "details": [{"path": "/cpus", "errors": ["got -1.0, expected 0.0 or more"]}]})"));
}

TEST(AppJsonTest, FillsMarathonsDefaults) {
  App app = appFromJson({{"id", "web"}, {"cmd", "sleep 1"}});
  EXPECT_EQ(app.id, "/web");
  EXPECT_EQ(app.cpus, 1);
  EXPECT_EQ(app.mem, 128);
  EXPECT_EQ(app.disk, 0);
  EXPECT_EQ(app.instances, 1);
  EXPECT_EQ(app.ports, 0);
  json out = appToJson(app);
  EXPECT_EQ(out["id"], "/web");
  EXPECT_EQ(out["instances"], 1);
  EXPECT_EQ(out["env"], json::object());
}

TEST(AppJsonTest, RoundTripsEveryFieldIncludingUnmodelledOnes) {
  json body = {{"id", "/shop/web"},
               {"cmd", "sleep 1000"},
               {"cpus", 0.25},
               {"mem", 64},
               {"disk", 10},
               {"instances", 3},
               {"env", {{"A", "1"}}},
               {"labels", {{"team", "shop"}}},
               {"container", {{"type", "MESOS"}, {"docker", {{"image", "busybox"}}}}},
               {"portDefinitions", {{{"port", 0}}, {{"port", 0}, {"name", "admin"}}}},
               {"healthChecks", {{{"protocol", "TCP"}}}},
               {"version", "2026-11-23T20:00:00.000Z"}};
  App app = appFromJson(body);
  EXPECT_EQ(app.image, "busybox");
  EXPECT_EQ(app.ports, 2);
  json out = appToJson(app);
  for (const auto& [key, value] : body.items()) {
    EXPECT_EQ(out[key], value) << key;
  }
  App again = appFromJson(out);
  EXPECT_EQ(appToJson(again), out);
  EXPECT_TRUE(validateApp(out).empty());
}

TEST(AppJsonTest, PathIdWinsOverBodyId) {
  App app = appFromJson({{"id", "/other"}, {"cmd", "x"}}, std::string("shop/web"));
  EXPECT_EQ(app.id, "/shop/web");
}

TEST(VersionTest, LooksLikeMarathons) {
  std::string version = versionNow();
  ASSERT_EQ(version.size(), 24u) << version;
  EXPECT_EQ(version[10], 'T');
  EXPECT_EQ(version.back(), 'Z');
}

}  // namespace
}  // namespace agora::services

namespace agora::services {
namespace {

// Nothing from the network may crash the daemon: any JSON value in any field gives errors
// or a valid app, never an exception.
TEST(AppValidationTest, AnyValueInAnyFieldIsAnErrorOrAnApp) {
  const char* fields[] = {"id",
                          "cmd",
                          "args",
                          "cpus",
                          "mem",
                          "disk",
                          "instances",
                          "env",
                          "labels",
                          "container",
                          "version",
                          "ports",
                          "portDefinitions",
                          "backoffSeconds",
                          "backoffFactor",
                          "maxLaunchDelaySeconds"};
  std::vector<nlohmann::json> values = {nullptr,
                                        5,
                                        -1,
                                        1e300,
                                        "x",
                                        true,
                                        nlohmann::json::array(),
                                        nlohmann::json::object(),
                                        {1, "a"},
                                        {{"type", 3}, {"docker", 4}},
                                        {{"docker", {{"image", 4}}}},
                                        {{"a", nullptr}}};
  for (const char* field : fields) {
    for (const nlohmann::json& value : values) {
      for (std::optional<std::string> path :
           {std::optional<std::string>(), std::optional<std::string>("p")}) {
        nlohmann::json body = {{"id", "a"}, {"cmd", "x"}};
        body[field] = value;
        std::vector<FieldError> errors;
        ASSERT_NO_THROW(errors = validateApp(body, path)) << field << "=" << value.dump();
        if (errors.empty()) {
          ASSERT_NO_THROW(appToJson(appFromJson(body, path))) << field << "=" << value.dump();
        }
      }
    }
  }
}

}  // namespace
}  // namespace agora::services

namespace agora::services {
namespace {

TEST(AppJsonTest, ConfigChangedIgnoresInstancesAndVersions) {
  App a = appFromJson({{"id", "/web"}, {"cmd", "sleep 1"}, {"instances", 1}});
  App b = a;
  b.instances = 5;
  b.version = "later";
  b.lastScalingAt = "later";
  EXPECT_FALSE(configChanged(a, b));
  b.cmd = "sleep 2";
  EXPECT_TRUE(configChanged(a, b));
  App c = a;
  c.env["X"] = "1";
  EXPECT_TRUE(configChanged(a, c));
}

}  // namespace
}  // namespace agora::services
