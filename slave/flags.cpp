#include "slave/flags.hpp"

#include <gflags/gflags.h>
#include <limits.h>
#include <unistd.h>

#include <filesystem>

#include "common/base/duration.hpp"
#include "common/base/strings.hpp"
#include "common/http/http.hpp"
#include "slave/images/registry_credentials.hpp"

DEFINE_string(master, "",
              "The master's HTTP address host:port (default $AGORA_MASTER or "
              "127.0.0.1:5050)");
DEFINE_int32(port, 5051, "Port of the agent's HTTP API");
DEFINE_string(ip, "127.0.0.1", "Address the agent's HTTP API binds to");
DEFINE_string(hostname, "",
              "Hostname the agent reports and clients connect to (default: --ip, or the "
              "host's name when --ip is 0.0.0.0)");
DEFINE_string(work_dir, "/tmp/agora-agent", "Directory for the checkpoint and the sandboxes");
DEFINE_string(resources, "",
              "Resources to offer, e.g. \"cpus:4;mem:8192;disk:20000;ports:[31000-32000]\" "
              "(default: detected)");
DEFINE_string(attributes, "", "Attributes, e.g. \"rack:r1;zone:z1\"");
DEFINE_string(domain, "",
              "Fault domain as JSON: "
              "{\"fault_domain\":{\"region\":{\"name\":\"r1\"},\"zone\":{\"name\":\"z1\"}}}");
DEFINE_string(executor_path, "", "Path of agora-executor (default: next to this binary)");
DEFINE_string(executor_reregister_timeout, "5secs",
              "How long recovered executors get to reconnect after an agent restart");
DEFINE_string(containerizers, "oci,posix",
              "Comma-separated: 'oci' runs tasks with an image in runc containers, 'posix' "
              "runs tasks without one as plain processes");
DEFINE_string(insecure_registries, "",
              "Comma-separated registries (host:port) pulled from over plain HTTP");
DEFINE_string(allowed_host_paths, "",
              "Comma-separated host directories that containers' volumes may mount (and "
              "what is under them); empty: none");
DEFINE_string(registry_credentials, "",
              "A Docker config.json ({\"auths\": {\"host:port\": {\"auth\": base64(user:pass)}}}) "
              "with the credentials to pull from registries that ask for them");
DEFINE_string(container_rootfs, "auto",
              "How a container gets its root filesystem: 'auto' (an overlayfs mount of the "
              "image's layers where the kernel allows it, else a copy) or 'copy'");
DEFINE_bool(executor_zygote, true,
            "Fork executors from one preloaded agora-executor instead of starting each from "
            "its binary (saves ~10 ms of cpu per launch)");
DEFINE_string(cni_lease_dir, "/run/agora/cni",
              "Where the bridge network's address leases are kept; shared by every agent on "
              "the host, as the bridge is");
DEFINE_int64(image_store_max_mb, 10240,
             "After a pull, the image store sheds its least recently used images down to "
             "this size (0: never)");

namespace agora::slave {

namespace {

std::string selfDirectory() {
  char buffer[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) {
    return ".";
  }
  return std::filesystem::path(std::string(buffer, static_cast<size_t>(n))).parent_path().string();
}

std::string defaultHostname() {
  char buffer[HOST_NAME_MAX + 1] = {0};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0 || buffer[0] == '\0') {
    return "localhost";
  }
  return buffer;
}

}  // namespace

StatusOr<AgentOptions> optionsFromFlags() {
  AgentOptions options;
  auto master = parseHostPort(masterAddressFromFlagOrEnv(FLAGS_master));
  if (!master.isOk()) {
    return master.status().withContext("--master");
  }
  options.master = *master;
  if (FLAGS_port <= 0 || FLAGS_port > 65535) {
    return Status::invalid("--port must be in 1..65535");
  }
  options.port = FLAGS_port;
  options.ip = FLAGS_ip;
  // The hostname is what clients (the CLI, frameworks) connect to for sandbox files, so by
  // default it is the address the HTTP API is bound to; the machine's name only when the
  // agent listens on every interface.
  options.hostname = !FLAGS_hostname.empty() ? FLAGS_hostname
                     : FLAGS_ip == "0.0.0.0" ? defaultHostname()
                                             : FLAGS_ip;
  if (FLAGS_work_dir.empty()) {
    return Status::invalid("--work_dir must not be empty");
  }
  std::error_code error;
  std::filesystem::create_directories(FLAGS_work_dir, error);
  auto workDir = std::filesystem::weakly_canonical(std::filesystem::absolute(FLAGS_work_dir));
  options.workDir = workDir.string();
  options.resources = FLAGS_resources;
  options.attributes = FLAGS_attributes;
  options.domain = FLAGS_domain;
  options.executorPath =
      FLAGS_executor_path.empty() ? selfDirectory() + "/agora-executor" : FLAGS_executor_path;
  auto timeout = parseDuration(FLAGS_executor_reregister_timeout);
  if (!timeout.isOk()) {
    return timeout.status().withContext("--executor_reregister_timeout");
  }
  options.executorReregisterTimeout = *timeout;
  auto containerizers = parseContainerizers(FLAGS_containerizers);
  if (!containerizers.isOk()) {
    return containerizers.status().withContext("--containerizers");
  }
  options.containerizers = *containerizers;
  options.insecureRegistries = FLAGS_insecure_registries;
  if (!FLAGS_registry_credentials.empty()) {
    auto credentials = images::loadRegistryCredentials(FLAGS_registry_credentials);
    if (!credentials.isOk()) return credentials.status().withContext("--registry_credentials");
    options.registryCredentials = FLAGS_registry_credentials;
  }
  if (FLAGS_image_store_max_mb < 0) {
    return Status::invalid("--image_store_max_mb must not be negative");
  }
  options.imageStoreMaxMb = FLAGS_image_store_max_mb;
  if (FLAGS_container_rootfs != "auto" && FLAGS_container_rootfs != "copy") {
    return Status::invalid("--container_rootfs must be 'auto' or 'copy', not '" +
                           FLAGS_container_rootfs + "'");
  }
  options.copyRootfs = FLAGS_container_rootfs == "copy";
  for (const std::string& path : splitAll(FLAGS_allowed_host_paths, ',')) {
    if (!path.empty() && path.front() != '/') {
      return Status::invalid("--allowed_host_paths: '" + path + "' is not an absolute path");
    }
  }
  options.allowedHostPaths = FLAGS_allowed_host_paths;
  if (FLAGS_cni_lease_dir.empty() || FLAGS_cni_lease_dir.front() != '/') {
    return Status::invalid("--cni_lease_dir must be an absolute path, not '" + FLAGS_cni_lease_dir +
                           "'");
  }
  options.cniLeaseDir = FLAGS_cni_lease_dir;
  options.executorZygote = FLAGS_executor_zygote;

  std::vector<gflags::CommandLineFlagInfo> all;
  gflags::GetAllFlags(&all);
  for (const auto& flag : all) {
    options.flagValues[flag.name] = flag.current_value;
  }
  options.flagValues["master"] = options.master.toString();
  options.flagValues["work_dir"] = options.workDir;
  options.flagValues["executor_path"] = options.executorPath;
  options.flagValues["hostname"] = options.hostname;
  return options;
}

}  // namespace agora::slave
