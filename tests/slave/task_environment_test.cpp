// The task environment: basics from the executor, the command's variables, the Agora and
// Mesos variables, and PORTn from the `ports` resource.
#include "slave/executor/task_environment.hpp"

#include <gtest/gtest.h>

namespace agora::slave {
namespace {

TEST(TaskEnvironmentTest, BuildsTheDocumentedVariables) {
  TaskEnvironmentInput input;
  input.inherited = {{"PATH", "/bin"}, {"HOME", "/root"}, {"SECRET_TOKEN", "x"}};
  input.task.mutable_task_id()->set_value("t1");
  auto* var = input.task.mutable_command()->mutable_environment()->add_variables();
  var->set_name("FOO");
  var->set_value("bar");
  auto* ports = input.task.add_resources();
  ports->set_name("ports");
  ports->set_type(v1::Value::RANGES);
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(31005);
  range->set_end(31006);
  auto* first = ports->mutable_ranges()->add_range();
  first->set_begin(31000);
  first->set_end(31000);
  input.frameworkId = "f1";
  input.sandbox = "/w/sandboxes/f1/t1";
  input.hostname = "h1";

  auto env = taskEnvironment(input);
  EXPECT_EQ(env["PATH"], "/bin");
  EXPECT_EQ(env["HOME"], "/root");
  EXPECT_EQ(env.count("SECRET_TOKEN"), 0u);
  EXPECT_EQ(env["FOO"], "bar");
  EXPECT_EQ(env["AGORA_TASK_ID"], "t1");
  EXPECT_EQ(env["AGORA_FRAMEWORK_ID"], "f1");
  EXPECT_EQ(env["MESOS_TASK_ID"], "t1");
  EXPECT_EQ(env["MESOS_SANDBOX"], "/w/sandboxes/f1/t1");
  EXPECT_EQ(env["MESOS_DIRECTORY"], "/w/sandboxes/f1/t1");
  EXPECT_EQ(env["AGORA_SANDBOX"], "/w/sandboxes/f1/t1");
  EXPECT_EQ(env["HOST"], "h1");
  EXPECT_EQ(env["PORT0"], "31000");
  EXPECT_EQ(env["PORT1"], "31005");
  EXPECT_EQ(env["PORT2"], "31006");
  EXPECT_EQ(env["PORT"], "31000");
  EXPECT_EQ(env["PORTS"], "31000,31005,31006");
}

TEST(TaskEnvironmentTest, DefaultsPathAndOmitsPortsWithoutPortResources) {
  TaskEnvironmentInput input;
  input.task.mutable_task_id()->set_value("t1");
  auto env = taskEnvironment(input);
  EXPECT_FALSE(env["PATH"].empty());
  EXPECT_EQ(env.count("PORT0"), 0u);
  EXPECT_EQ(env.count("PORTS"), 0u);
}

}  // namespace
}  // namespace agora::slave
