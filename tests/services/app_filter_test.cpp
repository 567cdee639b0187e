// GET /v2/apps filters: id and cmd substrings, and Marathon's label selectors.
#include "frameworks/services/app_filter.hpp"

#include <gtest/gtest.h>

namespace agora::services {
namespace {

App labelled() {
  return appFromJson({{"id", "/shop/web"},
                      {"cmd", "python3 -m http.server"},
                      {"labels", {{"team", "shop"}, {"tier", "front"}}}});
}

bool matches(const AppFilter& filter) {
  auto result = appMatches(labelled(), filter);
  EXPECT_TRUE(result.isOk()) << result.status().message();
  return result.isOk() && *result;
}

TEST(AppFilterTest, IdAndCmdAreSubstrings) {
  EXPECT_TRUE(matches({}));
  EXPECT_TRUE(matches({.id = "shop"}));
  EXPECT_FALSE(matches({.id = "db"}));
  EXPECT_TRUE(matches({.cmd = "http.server"}));
  EXPECT_FALSE(matches({.cmd = "sleep"}));
}

TEST(AppFilterTest, LabelSelectors) {
  EXPECT_TRUE(matches({.label = "team"}));
  EXPECT_FALSE(matches({.label = "owner"}));
  EXPECT_TRUE(matches({.label = "!owner"}));
  EXPECT_TRUE(matches({.label = "team==shop"}));
  EXPECT_FALSE(matches({.label = "team==db"}));
  EXPECT_TRUE(matches({.label = "team!=db"}));
  EXPECT_TRUE(matches({.label = "tier in (front, back)"}));
  EXPECT_FALSE(matches({.label = "tier notin (front, back)"}));
  EXPECT_TRUE(matches({.label = "team==shop, tier in (front)"}));
  EXPECT_FALSE(matches({.label = "team==shop,tier==back"}));
}

TEST(AppFilterTest, BadSelectorIsAnError) {
  EXPECT_FALSE(appMatches(labelled(), {.label = "tier in front"}).isOk());
  EXPECT_FALSE(appMatches(labelled(), {.label = "team,,tier"}).isOk());
}

}  // namespace
}  // namespace agora::services
