// The duplicate-update filter: each (task, uuid) is delivered once and remembered, within a
// bound.
#include "frameworks/sdk/src/update_filter.hpp"

#include <gtest/gtest.h>

namespace agora::sdk {
namespace {

v1::TaskStatus status(const std::string& task, const std::string& uuid) {
  v1::TaskStatus s;
  s.mutable_task_id()->set_value(task);
  s.set_uuid(uuid);
  return s;
}

TEST(UpdateFilterTest, NewThenDeliveredThenAcknowledged) {
  UpdateFilter filter(10);
  auto s = status("t1", "u1");
  EXPECT_EQ(filter.check(s), UpdateFilter::Verdict::kNew);
  filter.markDelivered(s);
  EXPECT_EQ(filter.check(s), UpdateFilter::Verdict::kAwaitingAcknowledgement);
  filter.markAcknowledged(s);
  EXPECT_EQ(filter.check(s), UpdateFilter::Verdict::kAcknowledged);
  filter.markDelivered(s);  // Never downgrades.
  EXPECT_EQ(filter.check(s), UpdateFilter::Verdict::kAcknowledged);
}

TEST(UpdateFilterTest, TaskAndUuidBothMatter) {
  UpdateFilter filter(10);
  filter.markAcknowledged(status("t1", "u1"));
  EXPECT_EQ(filter.check(status("t1", "u2")), UpdateFilter::Verdict::kNew);
  EXPECT_EQ(filter.check(status("t2", "u1")), UpdateFilter::Verdict::kNew);
}

TEST(UpdateFilterTest, UpdatesWithoutUuidAreAlwaysNew) {
  UpdateFilter filter(10);
  filter.markAcknowledged(status("t1", ""));
  EXPECT_EQ(filter.check(status("t1", "")), UpdateFilter::Verdict::kNew);
  EXPECT_EQ(filter.size(), 0u);
}

TEST(UpdateFilterTest, ForgetsTheOldestBeyondCapacity) {
  UpdateFilter filter(3);
  for (int i = 0; i < 5; ++i) {
    filter.markAcknowledged(status("t", std::to_string(i)));
  }
  EXPECT_EQ(filter.size(), 3u);
  EXPECT_EQ(filter.check(status("t", "0")), UpdateFilter::Verdict::kNew);
  EXPECT_EQ(filter.check(status("t", "1")), UpdateFilter::Verdict::kNew);
  EXPECT_EQ(filter.check(status("t", "4")), UpdateFilter::Verdict::kAcknowledged);
}

}  // namespace
}  // namespace agora::sdk
