// Marathon healthChecks: validation at Marathon's paths and the check each task carries.
#include "frameworks/services/health_check.hpp"

#include <gtest/gtest.h>

namespace agora::services {
namespace {

using nlohmann::json;

json appWith(const json& checks) {
  return {
      {"id", "/web"}, {"cmd", "x"}, {"portDefinitions", {{{"port", 0}}}}, {"healthChecks", checks}};
}

TEST(HealthCheckTest, ValidatesAtMarathonPaths) {
  EXPECT_TRUE(validateHealthChecks(appWith(json::array({{{"protocol", "HTTP"}}}))).empty());
  auto errors = validateHealthChecks(appWith(json::array(
      {{{"protocol", "SMOKE"}},
       {{"protocol", "HTTPS"}},
       {{"protocol", "COMMAND"}},
       {{"protocol", "TCP"}, {"portIndex", 3}, {"intervalSeconds", 0}, {"timeoutSeconds", -1}}})));
  std::map<std::string, std::string> byPath;
  for (const FieldError& error : errors) {
    byPath[error.path] = error.errors[0];
  }
  EXPECT_EQ(byPath["/healthChecks(0)/protocol"], "error.unknown.enum.literal");
  EXPECT_NE(byPath["/healthChecks(1)/protocol"].find("HTTPS"), std::string::npos);
  EXPECT_NE(byPath["/healthChecks(2)/command"].find("command.value"), std::string::npos);
  EXPECT_NE(byPath["/healthChecks(3)/portIndex"].find("it has 1"), std::string::npos);
  EXPECT_EQ(byPath["/healthChecks(3)/intervalSeconds"], "got 0, expected more than 0");
  EXPECT_EQ(byPath["/healthChecks(3)/timeoutSeconds"], "got -1, expected 0 or more");
  EXPECT_EQ(validateHealthChecks(appWith(json::array({{{"protocol", "TCP"}, {"port", 99999}}})))
                .at(0)
                .path,
            "/healthChecks(0)/port");
  // Through the app's own validation too.
  EXPECT_FALSE(validateApp(appWith("nope")).empty());
}

TEST(HealthCheckTest, TasksCarryTheFirstCheckWithTheirPort) {
  App app = appFromJson(appWith(json::array({{{"protocol", "MESOS_HTTP"},
                                              {"path", "/health"},
                                              {"intervalSeconds", 2},
                                              {"maxConsecutiveFailures", 5}},
                                             {{"protocol", "TCP"}}})));
  auto check = healthCheckFor(app, {31005});
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->type(), v1::HealthCheck::HTTP);
  EXPECT_EQ(check->http().port(), 31005u);
  EXPECT_EQ(check->http().path(), "/health");
  EXPECT_EQ(check->interval_seconds(), 2);
  EXPECT_EQ(check->consecutive_failures(), 5u);
  EXPECT_EQ(check->grace_period_seconds(), 300) << "Marathon's default";
  EXPECT_EQ(check->timeout_seconds(), 20);

  App command = appFromJson(
      appWith(json::array({{{"protocol", "COMMAND"}, {"command", {{"value", "test -f ok"}}}}})));
  check = healthCheckFor(command, {31005});
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->type(), v1::HealthCheck::COMMAND);
  EXPECT_EQ(check->command().value(), "test -f ok");
  EXPECT_FALSE(healthCheckFor(appFromJson({{"id", "/x"}, {"cmd", "x"}}), {}).has_value());
}

}  // namespace
}  // namespace agora::services
