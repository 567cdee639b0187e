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

// A persistent volume is an item of its own: it never merges with plain disk of its role,
// subtraction and containment are exact, and it round-trips through protos and text.
TEST(ResourcesTest, PersistentVolumesAreSeparateExactItems) {
  Resources agent = parse("disk(eng):1024;disk(eng)[v1:data]:64;cpus:2");
  EXPECT_DOUBLE_EQ(agent.scalar("disk"), 1088);
  EXPECT_TRUE(agent.hasVolume("eng", "v1"));
  EXPECT_FALSE(agent.hasVolume("ops", "v1"));
  ASSERT_EQ(agent.volumeList().size(), 1u);
  EXPECT_EQ(agent.volumeList()[0].containerPath, "data");
  EXPECT_FALSE(agent.volumeList()[0].readOnly);

  Resources volume = parse("disk(eng)[v1:data]:64");
  EXPECT_TRUE(agent.contains(volume));
  // Plain disk does not contain a volume, and a volume is not plain disk.
  EXPECT_FALSE(parse("disk(eng):2048").contains(volume));
  EXPECT_FALSE(volume.contains(parse("disk(eng):1")));
  // Same id, another size or path: not the same volume.
  EXPECT_FALSE(agent.contains(parse("disk(eng)[v1:data]:32")));
  EXPECT_FALSE(agent.contains(parse("disk(eng)[v1:other]:64")));
  EXPECT_FALSE(agent.contains(parse("disk(eng)[v1:data:ro]:64")));
  EXPECT_EQ(agent - parse("disk(eng)[v1:data]:32"), agent);

  Resources rest = agent - volume;
  EXPECT_FALSE(rest.hasVolume("eng", "v1"));
  EXPECT_DOUBLE_EQ(rest.reservedTo("eng").scalar("disk"), 1024);
  // Adding it twice keeps one volume.
  EXPECT_EQ(rest + volume + volume, agent);

  EXPECT_EQ(volume.volumesAsDisk(), parse("disk(eng):64"));
  EXPECT_EQ(agent.volumes(), volume);
  EXPECT_EQ(agent.reservedTo("eng").volumes(), volume);
  EXPECT_TRUE(agent.reservedTo("*").volumes().empty());
  EXPECT_TRUE(agent.allocatableTo("ops").volumes().empty());
  EXPECT_EQ(agent.allocatableTo("eng").volumes(), volume);
  EXPECT_EQ(agent.roles(), (std::vector<std::string>{"*", "eng"}));
  // Quota cuts never split a volume.
  EXPECT_TRUE(agent.withScalarAtMost("disk", 10).hasVolume("eng", "v1"));

  google::protobuf::RepeatedPtrField<v1::Resource> protos;
  agent.toProto(&protos);
  auto back = Resources::fromProto(protos);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(*back, agent);
  EXPECT_EQ(agent.toString(), "cpus:2;disk(eng):1024;disk(eng)[v1:data]:64");
  EXPECT_DOUBLE_EQ(agent.toJson()["disk"].get<double>(), 1088);
}

TEST(ResourcesTest, RejectsMalformedVolumes) {
  auto volume = [](const std::string& name, const std::string& id, double size) {
    google::protobuf::RepeatedPtrField<v1::Resource> protos;
    v1::Resource* r = protos.Add();
    r->set_name(name);
    r->set_type(v1::Value::SCALAR);
    r->set_role("eng");
    r->mutable_scalar()->set_value(size);
    r->mutable_disk()->mutable_persistence()->set_id(id);
    r->mutable_disk()->mutable_volume()->set_container_path("data");
    return Resources::fromProto(protos);
  };
  EXPECT_TRUE(volume("disk", "v1", 10).isOk());
  EXPECT_FALSE(volume("disk", "", 10).isOk());
  EXPECT_FALSE(volume("cpus", "v1", 10).isOk());
  EXPECT_FALSE(volume("disk", "v1", 0).isOk());
  EXPECT_FALSE(Resources::parse("disk(eng)[v1:data:64").isOk());
  EXPECT_FALSE(Resources::parse("disk(eng)[:data]:64").isOk());
  EXPECT_FALSE(Resources::parse("disk(eng)[v1:data]:x").isOk());
  EXPECT_FALSE(Resources::parse("disk(eng)[v1:a]:1;disk(eng)[v1:b]:1").isOk());
}

}  // namespace
}  // namespace agora
