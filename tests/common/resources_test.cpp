// Resources arithmetic: parsing, +/-, contains, ranges and roles.
#include <gtest/gtest.h>

#include "common/resources/resources.hpp"

namespace agora {
namespace {

Resources parse(const std::string& text) {
  auto r = Resources::parse(text);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? *r : Resources();
}

TEST(ResourcesTest, ParsesScalarsRangesAndRoles) {
  Resources r = parse("cpus:4;mem:8192;disk:100;ports:[31000-31005,31010-31010];cpus(eng):2");
  EXPECT_DOUBLE_EQ(r.scalar("cpus"), 6);
  EXPECT_DOUBLE_EQ(r.scalar("mem"), 8192);
  EXPECT_EQ(r.ranges("ports").size(), 7u);
  EXPECT_DOUBLE_EQ(r.reservedTo("eng").scalar("cpus"), 2);
  EXPECT_DOUBLE_EQ(r.allocatableTo("eng").scalar("cpus"), 6);
  EXPECT_DOUBLE_EQ(r.allocatableTo("other").scalar("cpus"), 4);
}

TEST(ResourcesTest, RejectsMalformedText) {
  EXPECT_FALSE(Resources::parse("cpus").isOk());
  EXPECT_FALSE(Resources::parse("cpus:-1").isOk());
  EXPECT_FALSE(Resources::parse("cpus:abc").isOk());
  EXPECT_FALSE(Resources::parse("ports:[5-3]").isOk());
  EXPECT_FALSE(Resources::parse("ports:[1-2").isOk());
  EXPECT_FALSE(Resources::parse("cpus(eng:1").isOk());
}

TEST(ResourcesTest, AddSubtractContains) {
  Resources total = parse("cpus:4;mem:1024;ports:[100-200]");
  Resources task = parse("cpus:1.5;mem:256;ports:[150-150]");
  EXPECT_TRUE(total.contains(task));
  Resources left = total - task;
  EXPECT_DOUBLE_EQ(left.scalar("cpus"), 2.5);
  EXPECT_FALSE(left.ranges("ports").contains(task.ranges("ports")));
  EXPECT_EQ(left + task, total);
  EXPECT_FALSE(task.contains(total));
  EXPECT_FALSE(parse("cpus:1").contains(parse("cpus(eng):1")));
}

TEST(ResourcesTest, FractionalCrumbsVanish) {
  Resources r = parse("cpus:1");
  for (int i = 0; i < 10; ++i) r -= parse("cpus:0.1");
  EXPECT_TRUE(r.empty()) << r.toString();
}

TEST(ResourcesTest, ProtoRoundTripAndValidation) {
  Resources r = parse("cpus:2;mem:64;ports:[1-3]");
  google::protobuf::RepeatedPtrField<v1::Resource> protos;
  r.toProto(&protos);
  auto back = Resources::fromProto(protos);
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(*back, r);
  protos.Mutable(0)->mutable_scalar()->set_value(-1);
  EXPECT_FALSE(Resources::fromProto(protos).isOk());
}

TEST(ResourcesTest, AttributesParse) {
  auto attrs = parseAttributes("rack:r1;level:3;ids:[1-4]");
  ASSERT_TRUE(attrs.isOk());
  ASSERT_EQ(attrs->size(), 3u);
  EXPECT_EQ((*attrs)[0].text().value(), "r1");
  EXPECT_DOUBLE_EQ((*attrs)[1].scalar().value(), 3);
  EXPECT_FALSE(parseAttributes("norack").isOk());
}

}  // namespace
}  // namespace agora

namespace agora {
namespace {

TEST(ResourcesTest, WithScalarAtMostTakesFromUnreservedFirst) {
  Resources r = *Resources::parse("cpus:4;cpus(eng):2;mem:100");
  Resources capped = r.withScalarAtMost("cpus", 3);
  EXPECT_DOUBLE_EQ(capped.scalar("cpus"), 3);
  EXPECT_DOUBLE_EQ(capped.reservedTo("eng").scalar("cpus"), 2);
  EXPECT_DOUBLE_EQ(capped.scalar("mem"), 100);
  EXPECT_DOUBLE_EQ(r.withScalarAtMost("cpus", 1).reservedTo("eng").scalar("cpus"), 1);
  EXPECT_EQ(r.withScalarAtMost("cpus", 10), r);
  EXPECT_DOUBLE_EQ(r.withScalarAtMost("cpus", -1).scalar("cpus"), 0);
}

}  // namespace
}  // namespace agora
