// Deployment plans (what Marathon plans for each kind of change), their JSON, the store
// round trip, and the event bus's delivery and filtering.
#include "frameworks/services/deployment.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "frameworks/services/event_bus.hpp"
#include "frameworks/services/group.hpp"

namespace agora::services {
namespace {

using nlohmann::json;

App app(const std::string& cmd, int instances) {
  return appFromJson({{"id", "/shop/web"}, {"cmd", cmd}, {"instances", instances}});
}

// The plan for one app from `before` to `after`, with no dependencies.
std::vector<DeploymentStep> planFor(const std::optional<App>& before,
                                    const std::optional<App>& after, bool restart) {
  std::string id = before.has_value() ? before->id : after->id;
  std::set<std::string> restarts;
  if (restart) {
    restarts.insert(id);
  }
  return *planChange({{id, before}}, {{id, after}}, restarts,
                     [](const std::string&) { return std::vector<std::string>{}; });
}

std::vector<std::string> actions(const std::vector<DeploymentStep>& steps) {
  std::vector<std::string> out;
  Deployment deployment{.id = "d", .steps = steps};
  json plan = deploymentToJson(deployment);
  for (const json& step : plan["steps"]) {
    for (const json& action : step["actions"]) {
      out.push_back(action["action"].get<std::string>() + " " + action["app"].get<std::string>());
    }
  }
  return out;
}

TEST(DeploymentPlan, EachChangeGetsMarathonsSteps) {
  using V = std::vector<std::string>;
  EXPECT_EQ(actions(planFor(std::nullopt, app("a", 1), false)),
            (V{"StartApplication /shop/web", "ScaleApplication /shop/web"}));
  EXPECT_EQ(actions(planFor(app("a", 1), app("a", 3), false)), (V{"ScaleApplication /shop/web"}));
  EXPECT_EQ(actions(planFor(app("a", 1), app("b", 1), false)), (V{"RestartApplication /shop/web"}));
  EXPECT_EQ(actions(planFor(app("a", 1), app("a", 1), true)), (V{"RestartApplication /shop/web"}));
  EXPECT_EQ(actions(planFor(app("a", 1), std::nullopt, false)), (V{"StopApplication /shop/web"}));
}

TEST(DeploymentPlan, JsonShowsTheCurrentStep) {
  Deployment deployment{.id = "d1",
                        .version = "2026-12-02T10:00:00.000Z",
                        .steps = planFor(std::nullopt, app("a", 2), false)};
  json out = deploymentToJson(deployment);
  EXPECT_EQ(out["id"], "d1");
  EXPECT_EQ(out["affectedApps"], json::array({"/shop/web"}));
  EXPECT_EQ(out["totalSteps"], 2);
  EXPECT_EQ(out["currentStep"], 1);
  EXPECT_EQ(out["currentActions"][0]["action"], "StartApplication");
  deployment.stepsDone = 1;
  out = deploymentToJson(deployment);
  EXPECT_EQ(out["currentStep"], 2);
  EXPECT_EQ(out["currentActions"][0]["action"], "ScaleApplication");
}

TEST(DeploymentPlan, SurvivesTheStoreRoundTrip) {
  Deployment deployment{.id = "d2",
                        .version = "v",
                        .steps = planFor(app("a", 1), app("b", 1), false),
                        .previous = {{"/shop/web", app("a", 1)}, {"/gone", std::nullopt}},
                        .stepsDone = 0};
  auto parsed = parseDeployment(serializeDeployment(deployment));
  ASSERT_TRUE(parsed.isOk()) << parsed.status().message();
  EXPECT_EQ(deploymentToJson(*parsed), deploymentToJson(deployment));
  ASSERT_EQ(parsed->previous.size(), 2u);
  ASSERT_TRUE(parsed->previous["/shop/web"].has_value());
  EXPECT_EQ(*parsed->previous["/shop/web"]->cmd, "a");
  EXPECT_FALSE(parsed->previous["/gone"].has_value());
  EXPECT_FALSE(parseDeployment("{").isOk());
  EXPECT_FALSE(
      parseDeployment(R"({"id": "x", "steps": [{"actions": [{"action": "Dance"}]}]})").isOk());
}

TEST(EventBus, DeliversFilteredFramesInOrder) {
  EventBus bus;
  auto all = bus.subscribe({});
  auto deployments = bus.subscribe({"deployment_success"});
  ASSERT_NE(all, nullptr);
  bus.publish("status_update_event", {{"taskId", "t1"}});
  bus.publish("deployment_success", {{"id", "d1"}});
  auto first = all->next(std::chrono::milliseconds(0));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->rfind("event: status_update_event\ndata: {", 0), 0u) << *first;
  EXPECT_NE(first->find("\"taskId\":\"t1\""), std::string::npos);
  EXPECT_EQ(first->substr(first->size() - 2), "\n\n");
  EXPECT_NE(all->next(std::chrono::milliseconds(0))->find("deployment_success"), std::string::npos);
  auto only = deployments->next(std::chrono::milliseconds(0));
  ASSERT_TRUE(only.has_value());
  EXPECT_NE(only->find("\"eventType\":\"deployment_success\""), std::string::npos);
  EXPECT_FALSE(deployments->next(std::chrono::milliseconds(0)).has_value());
}

TEST(EventBus, WakesAWaitingReaderAndEndsStreamsOnClose) {
  EventBus bus;
  auto subscription = bus.subscribe({});
  std::thread publisher([&] { bus.publish("app_terminated_event", {{"appId", "/a"}}); });
  auto frame = subscription->next(std::chrono::seconds(30));
  publisher.join();
  ASSERT_TRUE(frame.has_value());
  EXPECT_FALSE(subscription->closed());
  bus.closeAll();
  EXPECT_TRUE(subscription->closed());
  EXPECT_EQ(bus.subscribe({}), nullptr) << "no new stream after shutdown";
}

TEST(EventBus, RefusesSubscribersBeyondTheLimit) {
  EventBus bus;
  bus.maxSubscribers = 1;
  auto first = bus.subscribe({});
  EXPECT_NE(first, nullptr);
  EXPECT_EQ(bus.subscribe({}), nullptr);
  bus.unsubscribe(first);
  EXPECT_NE(bus.subscribe({}), nullptr);
}

}  // namespace
}  // namespace agora::services
