// The OCI runtime spec built for a task: namespaces (network only without host networking),
// cpu shares and CFS quota from `cpus`, memory and pids limits, the standard mounts plus the
// sandbox bind mount, a read-only root on request, runc's default hardening; and invalid
// input refused with an error naming the field. Pure function, no runc needed.
#include "slave/containerizer/oci_spec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include "slave/containerizer/bundle.hpp"
#include "test_dir.hpp"

namespace agora::slave::oci {
namespace {

using nlohmann::json;

ContainerConfig validConfig() {
  return ContainerConfig{
      .rootfs = "/var/lib/agora/rootfs/t1",
      .args = {"sh", "-c", "echo hi"},
      .env = {"FOO=bar"},
      .cwd = "/sandbox",
      .uid = 1000,
      .gid = 1000,
      .hostname = "task-1",
      .cpus = 1.5,
      .memBytes = 256ull << 20,
      .pidsLimit = 100,
      .hostNetwork = false,
      .sandboxHostPath = "/var/lib/agora/sandboxes/t1",
      .sandboxContainerPath = "/sandbox",
      .cgroupsPath = "/agora/t1",
  };
}

json build(const ContainerConfig& config) {
  StatusOr<json> spec = buildOciSpec(config);
  EXPECT_TRUE(spec.isOk()) << spec.status().message();
  return spec.isOk() ? *spec : json();
}

std::vector<std::string> namespaceTypes(const json& spec) {
  std::vector<std::string> types;
  for (const json& ns : spec["linux"]["namespaces"]) {
    types.push_back(ns["type"]);
  }
  std::sort(types.begin(), types.end());
  return types;
}

const json* findMount(const json& spec, const std::string& destination) {
  for (const json& mount : spec["mounts"]) {
    if (mount["destination"] == destination) {
      return &mount;
    }
  }
  return nullptr;
}

// The error message for `config`, or "" if it was accepted.
std::string errorFor(const ContainerConfig& config) {
  StatusOr<json> spec = buildOciSpec(config);
  EXPECT_FALSE(spec.isOk());
  if (spec.isOk()) {
    return "";
  }
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  return spec.status().message();
}

TEST(OciSpecTest, HasProcessUserEnvAndHostname) {
  json spec = build(validConfig());
  EXPECT_EQ(spec["process"]["args"], json({"sh", "-c", "echo hi"}));
  EXPECT_EQ(spec["process"]["cwd"], "/sandbox");
  EXPECT_EQ(spec["process"]["user"]["uid"], 1000);
  EXPECT_EQ(spec["process"]["user"]["gid"], 1000);
  EXPECT_EQ(spec["process"]["terminal"], false);
  EXPECT_EQ(spec["process"]["noNewPrivileges"], true);
  EXPECT_EQ(spec["hostname"], "task-1");
  const json& env = spec["process"]["env"];
  EXPECT_NE(std::find(env.begin(), env.end(), "FOO=bar"), env.end());
  // A PATH is added so runc can resolve `sh`.
  EXPECT_NE(std::find_if(env.begin(), env.end(),
                         [](const json& e) { return e.get<std::string>().starts_with("PATH="); }),
            env.end());
}

TEST(OciSpecTest, KeepsACallerPath) {
  ContainerConfig config = validConfig();
  config.env = {"PATH=/opt/bin"};
  EXPECT_EQ(build(config)["process"]["env"], json({"PATH=/opt/bin"}));
}

TEST(OciSpecTest, HasRuncDefaultCapabilitiesAndHardening) {
  json spec = build(validConfig());
  json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  for (const char* set : {"bounding", "effective", "permitted", "ambient"}) {
    EXPECT_EQ(spec["process"]["capabilities"][set], caps) << set;
  }
  const json& masked = spec["linux"]["maskedPaths"];
  EXPECT_NE(std::find(masked.begin(), masked.end(), "/proc/kcore"), masked.end());
  const json& readonly = spec["linux"]["readonlyPaths"];
  EXPECT_NE(std::find(readonly.begin(), readonly.end(), "/proc/sys"), readonly.end());
  EXPECT_EQ(spec["linux"]["resources"]["devices"],
            json::array({{{"allow", false}, {"access", "rwm"}}}));
}

TEST(OciSpecTest, HasPrivateNamespacesIncludingNetwork) {
  EXPECT_EQ(namespaceTypes(build(validConfig())),
            (std::vector<std::string>{"ipc", "mount", "network", "pid", "uts"}));
}

TEST(OciSpecTest, HostNetworkingDropsTheNetworkNamespace) {
  ContainerConfig config = validConfig();
  config.hostNetwork = true;
  EXPECT_EQ(namespaceTypes(build(config)),
            (std::vector<std::string>{"ipc", "mount", "pid", "uts"}));
}

TEST(OciSpecTest, DerivesCpuSharesAndQuotaFromCpus) {
  json cpu = build(validConfig())["linux"]["resources"]["cpu"];
  EXPECT_EQ(cpu["shares"], 1536);  // 1.5 * 1024
  EXPECT_EQ(cpu["period"], 100000);
  EXPECT_EQ(cpu["quota"], 150000);  // 1.5 * period
}

TEST(OciSpecTest, ClampsTinyCpusToKernelMinimums) {
  ContainerConfig config = validConfig();
  config.cpus = 0.001;
  json cpu = build(config)["linux"]["resources"]["cpu"];
  EXPECT_EQ(cpu["shares"], 2);
  EXPECT_EQ(cpu["quota"], 1000);
}

TEST(OciSpecTest, SetsMemoryAndPidsLimits) {
  json resources = build(validConfig())["linux"]["resources"];
  EXPECT_EQ(resources["memory"]["limit"], 256ull << 20);
  EXPECT_EQ(resources["pids"]["limit"], 100);
  EXPECT_EQ(build(validConfig())["linux"]["cgroupsPath"], "/agora/t1");
}

TEST(OciSpecTest, NoPidsLimitWhenMinusOne) {
  ContainerConfig config = validConfig();
  config.pidsLimit = -1;
  EXPECT_FALSE(build(config)["linux"]["resources"].contains("pids"));
}

TEST(OciSpecTest, MountsTheStandardFilesystemsAndTheSandbox) {
  ContainerConfig config = validConfig();
  config.extraMounts = {{.source = "/etc/ssl", .destination = "/etc/ssl", .readOnly = true}};
  json spec = build(config);
  for (const char* destination :
       {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sandbox", "/etc/ssl"}) {
    EXPECT_NE(findMount(spec, destination), nullptr) << destination;
  }
  const json* sys = findMount(spec, "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_NE(std::find((*sys)["options"].begin(), (*sys)["options"].end(), "ro"),
            (*sys)["options"].end());
  const json* sandbox = findMount(spec, "/sandbox");
  ASSERT_NE(sandbox, nullptr);
  EXPECT_EQ((*sandbox)["type"], "bind");
  EXPECT_EQ((*sandbox)["source"], "/var/lib/agora/sandboxes/t1");
  EXPECT_EQ((*sandbox)["options"], json({"rbind", "rw"}));
  EXPECT_EQ((*findMount(spec, "/etc/ssl"))["options"], json({"rbind", "ro"}));
}

TEST(OciSpecTest, ReadOnlyRootfsWhenAsked) {
  ContainerConfig config = validConfig();
  EXPECT_EQ(build(config)["root"], json({{"path", config.rootfs}, {"readonly", false}}));
  config.readOnlyRootfs = true;
  EXPECT_EQ(build(config)["root"]["readonly"], true);
}

TEST(OciSpecTest, RejectsEmptyArgs) {
  ContainerConfig config = validConfig();
  config.args.clear();
  EXPECT_EQ(errorFor(config), "args: must not be empty");
  config.args = {""};
  EXPECT_EQ(errorFor(config), "args: must not be empty");
}

TEST(OciSpecTest, RejectsRelativeOrEscapingPaths) {
  ContainerConfig config = validConfig();
  config.rootfs = "rootfs";
  EXPECT_TRUE(errorFor(config).starts_with("rootfs: must be an absolute path"));
  config = validConfig();
  config.sandboxHostPath = "/var/lib/../../etc";
  EXPECT_TRUE(errorFor(config).starts_with("sandboxHostPath: must not contain '..'"));
  config = validConfig();
  config.cwd = "tmp";
  EXPECT_TRUE(errorFor(config).starts_with("cwd:"));
  config = validConfig();
  config.cgroupsPath = "";
  EXPECT_TRUE(errorFor(config).starts_with("cgroupsPath:"));
  config = validConfig();
  config.extraMounts = {{.source = "/data", .destination = "data"}};
  EXPECT_TRUE(errorFor(config).starts_with("extraMounts[0].destination:"));
}

TEST(OciSpecTest, RejectsBadResources) {
  ContainerConfig config = validConfig();
  config.cpus = -1;
  EXPECT_TRUE(errorFor(config).starts_with("cpus:"));
  config.cpus = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(errorFor(config).starts_with("cpus:"));
  config = validConfig();
  config.memBytes = 0;
  EXPECT_TRUE(errorFor(config).starts_with("memBytes:"));
  config = validConfig();
  config.pidsLimit = 0;
  EXPECT_TRUE(errorFor(config).starts_with("pidsLimit:"));
}

TEST(OciSpecTest, RejectsBadEnvAndHostname) {
  ContainerConfig config = validConfig();
  config.env = {"FOO=1", "NOEQUALS"};
  EXPECT_TRUE(errorFor(config).starts_with("env[1]:"));
  config = validConfig();
  config.hostname = "bad host";
  EXPECT_TRUE(errorFor(config).starts_with("hostname:"));
}

TEST(OciSpecTest, WritesTheSpecIntoABundle) {
  slave::testing::TestDir dir;
  const std::string bundle = dir / "bundle";
  ASSERT_TRUE(writeBundle(bundle, validConfig()).isOk());
  std::ifstream in(configPath(bundle));
  EXPECT_EQ(json::parse(in), build(validConfig()));

  ContainerConfig bad = validConfig();
  bad.args.clear();
  Status status = writeBundle(dir / "bad", bad);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace agora::slave::oci
