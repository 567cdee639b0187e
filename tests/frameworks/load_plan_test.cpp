// The load framework's packing and bookkeeping.
#include "frameworks/examples/load_plan.hpp"

#include <gtest/gtest.h>

namespace agora::examples {
namespace {

Resources parse(const std::string& text) {
  auto r = Resources::parse(text);
  CHECK(r.isOk()) << r.status().message();
  return *r;
}

v1::Offer offer(const std::string& resources, const std::string& role = "*") {
  v1::Offer o;
  o.mutable_id()->set_value("offer-1");
  o.mutable_agent_id()->set_value("agent-1");
  o.mutable_allocation_info()->set_role(role);
  parse(resources).toProto(o.mutable_resources());
  return o;
}

LoadPlan plan(int tasks, int perOffer = 0) {
  return LoadPlan(LoadPlanOptions{.command = "sleep 1",
                                  .numTasks = tasks,
                                  .taskResources = parse("cpus:0.5;mem:100"),
                                  .tasksPerOffer = perOffer});
}

v1::TaskStatus status(const std::string& task, v1::TaskState state) {
  v1::TaskStatus s;
  s.mutable_task_id()->set_value(task);
  s.set_state(state);
  return s;
}

TEST(LoadPlanTest, CountsTasksThatFitTheScarcestResource) {
  Resources perTask = parse("cpus:0.5;mem:100");
  EXPECT_EQ(countTasksThatFit(parse("cpus:4;mem:250"), perTask, "*", 0), 2);
  EXPECT_EQ(countTasksThatFit(parse("cpus:1.2;mem:1000"), perTask, "*", 0), 2);
  EXPECT_EQ(countTasksThatFit(parse("cpus:4;mem:1000"), perTask, "*", 3), 3);
  EXPECT_EQ(countTasksThatFit(parse("cpus:0.4;mem:1000"), perTask, "*", 0), 0);
  EXPECT_EQ(countTasksThatFit(parse("mem:1000"), perTask, "*", 0), 0);
}

TEST(LoadPlanTest, UsesResourcesReservedToTheRole) {
  Resources perTask = parse("cpus:0.5;mem:100");
  Resources offered = parse("cpus(eng):1;mem(eng):200;cpus:0.5;mem:100");
  EXPECT_EQ(countTasksThatFit(offered, perTask, "eng", 0), 3);
  EXPECT_EQ(countTasksThatFit(parse("cpus(eng):1;mem(eng):200"), perTask, "*", 0), 0);
}

TEST(LoadPlanTest, PacksAnOfferAndNamesTasksInOrder) {
  LoadPlan p = plan(5);
  auto tasks = p.tasksFor(offer("cpus:1;mem:1000"));
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].task_id().value(), "load-1");
  EXPECT_EQ(tasks[1].task_id().value(), "load-2");
  EXPECT_EQ(tasks[0].agent_id().value(), "agent-1");
  EXPECT_EQ(tasks[0].command().value(), "sleep 1");
  EXPECT_EQ(Resources::fromProto(tasks[0].resources()).value(), parse("cpus:0.5;mem:100"));
  EXPECT_EQ(p.launched(), 2);
  EXPECT_FALSE(p.allLaunched());
}

TEST(LoadPlanTest, StopsAtTheTotalAndThePerOfferLimit) {
  LoadPlan p = plan(3, 2);
  EXPECT_EQ(p.tasksFor(offer("cpus:10;mem:10000")).size(), 2u);
  EXPECT_EQ(p.tasksFor(offer("cpus:10;mem:10000")).size(), 1u);
  EXPECT_TRUE(p.allLaunched());
  EXPECT_TRUE(p.tasksFor(offer("cpus:10;mem:10000")).empty());
}

TEST(LoadPlanTest, CountsTerminalStatesOnce) {
  LoadPlan p = plan(3);
  p.tasksFor(offer("cpus:10;mem:10000"));
  EXPECT_FALSE(p.record(status("load-1", v1::TASK_RUNNING)));
  EXPECT_TRUE(p.record(status("load-1", v1::TASK_FINISHED)));
  EXPECT_FALSE(p.record(status("load-1", v1::TASK_FINISHED)));
  auto failed = status("load-2", v1::TASK_FAILED);
  failed.set_reason(v1::TaskStatus::REASON_COMMAND_EXECUTOR_FAILED);
  failed.set_exit_code(3);
  failed.set_message("boom");
  EXPECT_TRUE(p.record(failed));
  EXPECT_FALSE(p.allTerminal());
  EXPECT_EQ(p.progress(), "launched 3/3, finished 1, failed 1");
  EXPECT_FALSE(p.record(status("load-3", v1::TASK_UNREACHABLE)));
  EXPECT_TRUE(p.record(status("load-3", v1::TASK_LOST)));
  EXPECT_TRUE(p.allTerminal());
  ASSERT_EQ(p.failures().size(), 2u);
  EXPECT_EQ(p.failures()[0],
            "load-2: TASK_FAILED (REASON_COMMAND_EXECUTOR_FAILED) exit code 3: boom");
  EXPECT_EQ(p.failures()[1], "load-3: TASK_LOST");
}

}  // namespace
}  // namespace agora::examples
