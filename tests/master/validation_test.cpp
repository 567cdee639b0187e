// Pure validation of agent infos, framework infos and tasks in an ACCEPT.
#include <gtest/gtest.h>

#include <cmath>

#include "master/flags.hpp"
#include "master/validation.hpp"

namespace agora::master {
namespace {

v1::TaskInfo task(const std::string& id, const std::string& resources) {
  v1::TaskInfo t;
  t.mutable_task_id()->set_value(id);
  t.mutable_command()->set_value("true");
  Resources::parse(resources)->toProto(t.mutable_resources());
  return t;
}

TEST(ValidationTest, TaskWithinOfferIsValid) {
  EXPECT_FALSE(validateTask(task("t1", "cpus:1;mem:10"), *Resources::parse("cpus:2;mem:100"), {}));
}

TEST(ValidationTest, TaskErrorsNameTheProblem) {
  Resources offer = *Resources::parse("cpus:1;mem:100");
  EXPECT_NE(validateTask(task("t1", "cpus:2;mem:10"), offer, {})->find("more than"),
            std::string::npos);
  EXPECT_NE(validateTask(task("t1", "cpus:1"), offer, {"t1"})->find("already in use"),
            std::string::npos);
  EXPECT_TRUE(validateTask(task("", "cpus:1"), offer, {}));
  EXPECT_TRUE(validateTask(task("a/b", "cpus:1"), offer, {}));
  EXPECT_TRUE(validateTask(task("t2", "disk:1"), offer, {}));
  v1::TaskInfo noCommand = task("t3", "cpus:1");
  noCommand.clear_command();
  EXPECT_NE(validateTask(noCommand, offer, {})->find("no command"), std::string::npos);
}

TEST(ValidationTest, FrameworkInfo) {
  v1::FrameworkInfo info;
  EXPECT_TRUE(validateFrameworkInfo(info));  // No name.
  info.set_name("fw");
  EXPECT_FALSE(validateFrameworkInfo(info));
  info.set_role("bad role");
  EXPECT_TRUE(validateFrameworkInfo(info));
  info.set_role("eng/web");
  EXPECT_FALSE(validateFrameworkInfo(info));
  info.set_failover_timeout(-1);
  EXPECT_TRUE(validateFrameworkInfo(info));
  info.set_failover_timeout(std::nan(""));
  EXPECT_TRUE(validateFrameworkInfo(info));
  info.set_failover_timeout(1e300);
  EXPECT_TRUE(validateFrameworkInfo(info));
  info.set_failover_timeout(3600);
  EXPECT_FALSE(validateFrameworkInfo(info));
}

TEST(ValidationTest, AgentInfo) {
  v1::AgentInfo info;
  info.set_hostname("h");
  info.set_port(5051);
  EXPECT_FALSE(validateAgentInfo(info));
  info.set_port(0);
  EXPECT_TRUE(validateAgentInfo(info));
}

}  // namespace
}  // namespace agora::master

namespace agora::master {
namespace {

TEST(FlagsTest, ParsesRoleWeights) {
  auto weights = parseWeights("eng=3,batch=0.5");
  ASSERT_TRUE(weights.isOk());
  EXPECT_DOUBLE_EQ(weights->at("eng"), 3);
  EXPECT_DOUBLE_EQ(weights->at("batch"), 0.5);
  EXPECT_FALSE(parseWeights("eng").isOk());
  EXPECT_FALSE(parseWeights("eng=0").isOk());
  EXPECT_FALSE(parseWeights("=2").isOk());
  EXPECT_FALSE(parseWeights("eng=2x").isOk());
}

}  // namespace
}  // namespace agora::master
