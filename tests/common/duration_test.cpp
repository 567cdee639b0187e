#include <gtest/gtest.h>

#include "common/base/duration.hpp"

namespace agora {
namespace {

TEST(DurationTest, ParsesMesosUnits) {
  EXPECT_DOUBLE_EQ(parseDuration("5secs")->count(), 5);
  EXPECT_DOUBLE_EQ(parseDuration("250ms")->count(), 0.25);
  EXPECT_DOUBLE_EQ(parseDuration("2mins")->count(), 120);
  EXPECT_DOUBLE_EQ(parseDuration("1.5")->count(), 1.5);
}

TEST(DurationTest, RejectsGarbage) {
  EXPECT_FALSE(parseDuration("").isOk());
  EXPECT_FALSE(parseDuration("secs").isOk());
  EXPECT_FALSE(parseDuration("5parsecs").isOk());
  EXPECT_FALSE(parseDuration("-1secs").isOk());
}

}  // namespace
}  // namespace agora
