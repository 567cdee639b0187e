// Fitting an app's task into an offer, and the TaskInfo it becomes (command, environment,
// ports, image).
#include "frameworks/services/task_builder.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace agora::services {
namespace {

v1::Offer offerOf(const std::string& resources) {
  v1::Offer offer;
  offer.mutable_id()->set_value("o1");
  offer.mutable_agent_id()->set_value("a1");
  offer.set_hostname("host1");
  Resources::parse(resources)->toProto(offer.mutable_resources());
  return offer;
}

std::map<std::string, std::string> envOf(const v1::TaskInfo& task) {
  std::map<std::string, std::string> env;
  for (const auto& variable : task.command().environment().variables()) {
    env[variable.name()] = variable.value();
  }
  return env;
}

App webApp(int ports) {
  App app = appFromJson({{"id", "/shop/web"}, {"cmd", "sleep 1000"}, {"cpus", 0.5}, {"mem", 64}});
  app.ports = ports;
  app.hostPorts.assign(ports, 0);
  app.version = "v1";
  return app;
}

TEST(TaskBuilderTest, FitsScalarsAndTheLowestFreePorts) {
  auto offered = Resources::parse("cpus:1;mem:128;ports:[31000-31001,31005-31010]");
  auto fit = fitTask(webApp(3), *offered);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->ports, (std::vector<int>{31000, 31001, 31005}));
  EXPECT_EQ(fit->resources.scalar("cpus"), 0.5);
  EXPECT_TRUE(offered->contains(fit->resources));
}

TEST(TaskBuilderTest, DoesNotFitWhenAnythingIsShort) {
  EXPECT_FALSE(fitTask(webApp(0), *Resources::parse("cpus:0.4;mem:128")).has_value());
  EXPECT_FALSE(fitTask(webApp(0), *Resources::parse("cpus:1;mem:32")).has_value());
  EXPECT_FALSE(fitTask(webApp(2), *Resources::parse("cpus:1;mem:128;ports:[1-1]")).has_value());
  EXPECT_TRUE(fitTask(webApp(0), *Resources::parse("cpus:1;mem:128")).has_value());
}

TEST(TaskBuilderTest, RequirePortsTakesExactlyTheDefinedPorts) {
  nlohmann::json body = {
      {"id", "/fixed"},       {"cmd", "x"},
      {"cpus", 0.5},          {"mem", 64},
      {"requirePorts", true}, {"portDefinitions", {{{"port", 31007}}, {{"port", 31000}}}}};
  ASSERT_TRUE(validateApp(body).empty());
  App app = appFromJson(body);
  auto offered = Resources::parse("cpus:1;mem:128;ports:[31000-31001,31005-31010]");
  auto fit = fitTask(app, *offered);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->ports, (std::vector<int>{31007, 31000}));
  EXPECT_FALSE(fitTask(app, *Resources::parse("cpus:1;mem:128;ports:[31000-31005]")).has_value());
  EXPECT_EQ(noFitReason(app, *Resources::parse("cpus:1;mem:128;ports:[31000-31005]")),
            "InsufficientPorts");
  EXPECT_EQ(appToJson(app)["requirePorts"], true);
  body["portDefinitions"] = {{{"port", 0}}};
  EXPECT_EQ(validateApp(body)[0].path, "/portDefinitions(0)/port");
}

TEST(TaskBuilderTest, FixedAndFreeHostPortsMix) {
  App app = webApp(3);
  app.hostPorts = {0, 31001, 0};
  auto fit = fitTask(app, *Resources::parse("cpus:1;mem:128;ports:[31000-31002]"));
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->ports, (std::vector<int>{31000, 31001, 31002})) << "31001 is not picked twice";
  app.hostPorts = {31001, 31001};
  app.ports = 2;
  EXPECT_FALSE(fitTask(app, *Resources::parse("cpus:1;mem:128;ports:[31000-31002]")).has_value());
}

// A bridged container app: its portMappings take host ports from the offer and become the
// task's port mappings; volumes are mounted; health checks use the container port.
TEST(TaskBuilderTest, BridgeNetworkPortMappingsAndVolumes) {
  nlohmann::json body = nlohmann::json::parse(R"({"id": "/web", "cmd": "httpd", "cpus": 0.5,
      "mem": 64, "networks": [{"mode": "container/bridge"}],
      "container": {"type": "MESOS", "docker": {"image": "reg/busybox:1"},
                    "portMappings": [{"containerPort": 8080, "hostPort": 0, "name": "http"}],
                    "volumes": [{"containerPath": "/data", "hostPath": "/srv/data",
                                 "mode": "RO"}]},
      "healthChecks": [{"protocol": "MESOS_HTTP", "portIndex": 0}]})");
  ASSERT_TRUE(validateApp(body).empty()) << validationErrorBody(validateApp(body)).dump();
  App app = appFromJson(body);
  auto fit = fitTask(app, *Resources::parse("cpus:1;mem:128;ports:[31000-31002]"));
  ASSERT_TRUE(fit.has_value());
  v1::TaskInfo task = buildTask(app, "web.1", offerOf("cpus:1;mem:128;ports:[31000-31002]"), *fit);
  ASSERT_EQ(task.container().network(), v1::ContainerInfo::BRIDGE);
  ASSERT_EQ(task.container().port_mappings_size(), 1);
  EXPECT_EQ(task.container().port_mappings(0).host_port(), 31000u);
  EXPECT_EQ(task.container().port_mappings(0).container_port(), 8080u);
  ASSERT_EQ(task.container().volumes_size(), 1);
  EXPECT_EQ(task.container().volumes(0).host_path(), "/srv/data");
  EXPECT_EQ(task.container().volumes(0).mode(), v1::Volume::RO);
  EXPECT_EQ(task.health_check().http().port(), 8080u);
  EXPECT_EQ(envOf(task)["PORT0"], "31000");

  body["networks"] = {{{"mode", "container"}}};
  body["container"]["volumes"][0] = {{"containerPath", "/d"}, {"persistent", {{"size", 10}}}};
  auto errors = validateApp(body);
  std::set<std::string> paths;
  for (const FieldError& error : errors) {
    paths.insert(error.path);
  }
  // Without the bridge the port mapping, and so the health check's port, have no place.
  EXPECT_EQ(paths, (std::set<std::string>{"/networks(0)/mode", "/container/portMappings",
                                          "/container/volumes(0)", "/healthChecks(0)/portIndex"}));
}

TEST(TaskBuilderTest, UserGpusAndKillGracePeriod) {
  nlohmann::json body = {{"id", "/gpu"},
                         {"cmd", "x"},
                         {"cpus", 0.5},
                         {"mem", 64},
                         {"gpus", 1},
                         {"user", "nobody"},
                         {"taskKillGracePeriodSeconds", 12}};
  ASSERT_TRUE(validateApp(body).empty());
  App app = appFromJson(body);
  EXPECT_FALSE(fitTask(app, *Resources::parse("cpus:1;mem:128")).has_value()) << "no gpu";
  auto fit = fitTask(app, *Resources::parse("cpus:1;mem:128;gpus:2"));
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->resources.scalar("gpus"), 1);
  v1::TaskInfo task = buildTask(app, "gpu.1", offerOf("cpus:1;mem:128;gpus:2"), *fit);
  EXPECT_EQ(task.command().user(), "nobody");
  EXPECT_EQ(task.kill_policy().grace_period_seconds(), 12);
  body["user"] = 7;
  body["taskKillGracePeriodSeconds"] = -1;
  EXPECT_EQ(validateApp(body).size(), 2u);
}

TEST(TaskBuilderTest, BuildsTheCommandAndMarathonsEnvironment) {
  App app = webApp(2);
  app.env["MINE"] = "yes";
  v1::Offer offer = offerOf("cpus:1;mem:128;ports:[31000-31100]");
  auto fit = fitTask(app, *Resources::fromProto(offer.resources()));
  ASSERT_TRUE(fit.has_value());
  v1::TaskInfo task = buildTask(app, "shop_web.x", offer, *fit);
  EXPECT_EQ(task.task_id().value(), "shop_web.x");
  EXPECT_EQ(task.agent_id().value(), "a1");
  EXPECT_EQ(task.command().value(), "sleep 1000");
  EXPECT_TRUE(task.command().shell());
  EXPECT_FALSE(task.has_container());
  auto env = envOf(task);
  EXPECT_EQ(env["MINE"], "yes");
  EXPECT_EQ(env["MARATHON_APP_ID"], "/shop/web");
  EXPECT_EQ(env["MARATHON_APP_VERSION"], "v1");
  EXPECT_EQ(env["MESOS_TASK_ID"], "shop_web.x");
  EXPECT_EQ(env["HOST"], "host1");
  EXPECT_EQ(env["PORT0"], "31000");
  EXPECT_EQ(env["PORT1"], "31001");
  EXPECT_EQ(env["PORTS"], "31000,31001");
  EXPECT_TRUE(
      Resources::fromProto(offer.resources())->contains(*Resources::fromProto(task.resources())));
}

TEST(TaskBuilderTest, ArgsAndImage) {
  App app = appFromJson({{"id", "/web"},
                         {"args", {"sleep", "5"}},
                         {"container", {{"type", "MESOS"}, {"docker", {{"image", "busybox"}}}}}});
  v1::Offer offer = offerOf("cpus:2;mem:256");
  auto fit = fitTask(app, *Resources::fromProto(offer.resources()));
  ASSERT_TRUE(fit.has_value());
  v1::TaskInfo task = buildTask(app, "web.y", offer, *fit);
  EXPECT_FALSE(task.command().shell());
  EXPECT_EQ(task.command().value(), "sleep");
  EXPECT_EQ(task.command().arguments_size(), 2);
  EXPECT_EQ(task.container().image().reference(), "busybox");
  EXPECT_EQ(envOf(task)["MARATHON_APP_DOCKER_IMAGE"], "busybox");
}

}  // namespace
}  // namespace agora::services
