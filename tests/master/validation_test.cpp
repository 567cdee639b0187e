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

// A health check is checked at launch: errors name the field that is wrong.
TEST(ValidationTest, HealthCheckErrorsNameTheField) {
  Resources offer = *Resources::parse("cpus:1;mem:100");
  auto errorOf = [&](const v1::HealthCheck& check) {
    v1::TaskInfo t = task("t1", "cpus:1");
    *t.mutable_health_check() = check;
    return validateTask(t, offer, {}).value_or("");
  };
  v1::HealthCheck http;
  http.set_type(v1::HealthCheck::HTTP);
  http.mutable_http()->set_port(8080);
  http.mutable_http()->set_path("/health");
  http.set_interval_seconds(0.2);
  EXPECT_EQ(errorOf(http), "");

  v1::HealthCheck unknown;
  EXPECT_NE(errorOf(unknown).find("health_check.type"), std::string::npos);
  v1::HealthCheck command;
  command.set_type(v1::HealthCheck::COMMAND);
  EXPECT_NE(errorOf(command).find("health_check.command.value"), std::string::npos);
  command.mutable_command()->set_value("true");
  EXPECT_EQ(errorOf(command), "");
  v1::HealthCheck tcp;
  tcp.set_type(v1::HealthCheck::TCP);
  EXPECT_NE(errorOf(tcp).find("health_check.tcp.port"), std::string::npos);

  v1::HealthCheck bad = http;
  bad.mutable_http()->set_port(0);
  EXPECT_NE(errorOf(bad).find("health_check.http.port"), std::string::npos);
  bad = http;
  bad.mutable_http()->set_scheme("https");
  EXPECT_NE(errorOf(bad).find("health_check.http.scheme"), std::string::npos);
  bad = http;
  bad.mutable_http()->set_path("health");
  EXPECT_NE(errorOf(bad).find("health_check.http.path"), std::string::npos);
  bad = http;
  bad.mutable_http()->add_statuses(42);
  EXPECT_NE(errorOf(bad).find("health_check.http.statuses"), std::string::npos);
  bad = http;
  bad.set_interval_seconds(-1);
  EXPECT_NE(errorOf(bad).find("health_check.interval_seconds"), std::string::npos);
  bad = http;
  bad.set_timeout_seconds(0);
  EXPECT_NE(errorOf(bad).find("health_check.timeout_seconds"), std::string::npos);
  bad = http;
  bad.set_delay_seconds(NAN);
  EXPECT_NE(errorOf(bad).find("health_check.delay_seconds"), std::string::npos);
  bad = http;
  bad.set_grace_period_seconds(-0.5);
  EXPECT_NE(errorOf(bad).find("health_check.grace_period_seconds"), std::string::npos);
  bad = http;
  bad.set_delay_seconds(0);  // 0 is a valid delay (and grace period).
  EXPECT_EQ(errorOf(bad), "");
}

// The fetcher's URIs are checked at launch: an empty value, a scheme the fetcher does not
// speak (or a relative path), and an output_file that would leave the sandbox are refused,
// and the error names the field.
TEST(ValidationTest, CommandUriErrorsNameTheField) {
  Resources offer = *Resources::parse("cpus:1;mem:100");
  auto errorOf = [&](const std::string& value, const std::string* outputFile = nullptr) {
    v1::TaskInfo t = task("t1", "cpus:1");
    t.mutable_command()->add_uris()->set_value("http://example.org/ok.tgz");
    auto* uri = t.mutable_command()->add_uris();
    uri->set_value(value);
    if (outputFile != nullptr) uri->set_output_file(*outputFile);
    return validateTask(t, offer, {}).value_or("");
  };
  EXPECT_EQ(errorOf("https://example.org/a/b.tar.gz?x=1"), "");
  EXPECT_EQ(errorOf("file:///srv/app.zip"), "");
  EXPECT_EQ(errorOf("/srv/tool.sh"), "");
  EXPECT_NE(errorOf("").find("command.uris[1].value is empty"), std::string::npos);
  EXPECT_NE(errorOf("ftp://example.org/x").find("command.uris[1].value 'ftp://example.org/x'"),
            std::string::npos);
  EXPECT_NE(errorOf("relative/path").find("command.uris[1].value"), std::string::npos);
  EXPECT_NE(errorOf("file://relative").find("command.uris[1].value"), std::string::npos);
  for (std::string bad : {"a/b", "..", "x..y", ""}) {
    EXPECT_NE(errorOf("http://h/x", &bad).find("command.uris[1].output_file"), std::string::npos)
        << bad;
  }
  std::string good = "renamed.sh";
  EXPECT_EQ(errorOf("http://h/x", &good), "");
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
  info.set_port(5051);
  Resources::parse("disk(eng)[v1:data]:64")->toProto(info.mutable_resources());
  EXPECT_NE(validateAgentInfo(info)->find("persistent volumes"), std::string::npos);
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

// CREATE and DESTROY of persistent volumes: each mistake is refused with the field and
// the reason.
google::protobuf::RepeatedPtrField<v1::Resource> volumes(const std::string& text) {
  google::protobuf::RepeatedPtrField<v1::Resource> out;
  Resources::parse(text)->toProto(&out);
  return out;
}

std::string createError(const google::protobuf::RepeatedPtrField<v1::Resource>& list,
                        const VolumeRequester& requester = {"eng", ""},
                        const Resources& existing = {}) {
  auto result = validateCreateVolumes(list, requester, existing);
  return result.isOk() ? "" : result.status().message();
}

TEST(VolumeValidationTest, CreateChecksRolePersistenceAndPath) {
  auto ok = validateCreateVolumes(volumes("disk(eng)[v1:data]:64"), {"eng", ""}, {});
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_TRUE(ok->hasVolume("eng", "v1"));
  EXPECT_TRUE(validateCreateVolumes(volumes("disk(eng)[v1:a/b]:64"), {}, {}).isOk());

  EXPECT_NE(createError(volumes("disk(ops)[v1:data]:64")).find("framework's role"),
            std::string::npos);
  EXPECT_NE(createError(volumes("disk[v1:data]:64"), {}).find("reserved to a role"),
            std::string::npos);
  EXPECT_NE(createError(volumes("disk(eng)[v1:/abs]:64")).find("relative"), std::string::npos);
  EXPECT_NE(createError(volumes("disk(eng)[v1:a/../..]:64")).find(".."), std::string::npos);
  EXPECT_NE(createError(volumes("disk(eng)[v1:..]:64")).find(".."), std::string::npos);
  auto noPath = volumes("disk(eng)[v1:x]:64");
  noPath.Mutable(0)->mutable_disk()->mutable_volume()->clear_container_path();
  EXPECT_NE(createError(noPath).find("volumes[0]: disk.volume.container_path is missing"),
            std::string::npos);
  auto noId = volumes("disk(eng)[v1:x]:64");
  noId.Mutable(0)->mutable_disk()->mutable_persistence()->clear_id();
  EXPECT_NE(createError(noId).find("disk.persistence.id is missing"), std::string::npos);
  auto slash = volumes("disk(eng)[v1:x]:64");
  slash.Mutable(0)->mutable_disk()->mutable_persistence()->set_id("a/b");
  EXPECT_NE(createError(slash).find("disk.persistence.id"), std::string::npos);
  auto plain = volumes("disk(eng):64");
  EXPECT_NE(createError(plain).find("disk.persistence is missing"), std::string::npos);
  auto cpus = volumes("disk(eng)[v1:x]:64");
  cpus.Mutable(0)->set_name("cpus");
  EXPECT_NE(createError(cpus).find("name must be 'disk'"), std::string::npos);
  EXPECT_NE(createError(volumes("disk(eng)[v1:x]:64;disk(eng)[v2:y]:1"), {"eng", ""},
                        *Resources::parse("disk(eng)[v2:z]:5"))
                .find("volumes[1]: disk.persistence.id 'v2' is already used"),
            std::string::npos);
  auto twice = volumes("disk(eng)[v1:x]:64");
  *twice.Add() = twice.Get(0);
  EXPECT_NE(createError(twice).find("listed twice"), std::string::npos);
  auto principal = volumes("disk(eng)[v1:x]:64");
  principal.Mutable(0)->mutable_disk()->mutable_persistence()->set_principal("mallory");
  EXPECT_NE(createError(principal, {"eng", "alice"}).find("principal"), std::string::npos);
  EXPECT_NE(createError({}).find("empty"), std::string::npos);
}

TEST(VolumeValidationTest, DestroyNeedsAnExistingVolume) {
  Resources existing = *Resources::parse("disk(eng)[v1:data]:64");
  EXPECT_TRUE(validateDestroyVolumes(volumes("disk(eng)[v1:data]:64"), {"eng", ""}, existing)
                  .isOk());
  auto missing = validateDestroyVolumes(volumes("disk(eng)[v2:data]:64"), {"eng", ""}, existing);
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  EXPECT_FALSE(
      validateDestroyVolumes(volumes("disk(eng)[v1:data]:32"), {"eng", ""}, existing).isOk());
  EXPECT_FALSE(
      validateDestroyVolumes(volumes("disk(eng)[v1:data]:64"), {"ops", ""}, existing).isOk());
}

}  // namespace
}  // namespace agora::master
