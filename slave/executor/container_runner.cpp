#include "slave/executor/container_runner.hpp"

#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "common/base/ids.hpp"
#include "common/base/strings.hpp"
#include "common/resources/resources.hpp"
#include "slave/containerizer/bundle.hpp"
#include "slave/executor/task_environment.hpp"
#include "slave/images/digest.hpp"
#include "slave/images/image_store.hpp"
#include "slave/images/registry_client.hpp"
#include "slave/images/registry_credentials.hpp"

namespace agora::slave {
namespace {

namespace fs = std::filesystem;

// The id of `name` in the image's /etc/passwd (field 3, or 4 for its group) or
// /etc/group (field 3), as the container would see it.
std::optional<uint32_t> idInFile(const std::string& path, const std::string& name, int field) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields = splitAll(line, ':');
    if (fields.size() > static_cast<size_t>(field) && fields[0] == name && !fields[field].empty() &&
        fields[field].size() <= 9 &&
        fields[field].find_first_not_of("0123456789") == std::string::npos) {
      return static_cast<uint32_t>(std::stoul(fields[field]));
    }
  }
  return std::nullopt;
}

// "user[:group]", each a number or a name of the image's /etc/passwd and /etc/group (a
// named user without a group runs with the user's primary group, as Docker does).
Status resolveUser(const std::string& user, const std::string& rootfs, uint32_t* uid,
                   uint32_t* gid) {
  if (user.empty()) return Status::ok();
  size_t colon = user.find(':');
  std::string u = user.substr(0, colon);
  std::string g = colon == std::string::npos ? "" : user.substr(colon + 1);
  auto numeric = [](const std::string& text) -> std::optional<uint32_t> {
    if (text.empty() || text.size() > 9 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    return static_cast<uint32_t>(std::stoul(text));
  };
  std::optional<uint32_t> userId = numeric(u);
  std::optional<uint32_t> primaryGroup = userId;
  if (!userId) {
    userId = idInFile(rootfs + "/etc/passwd", u, 2);
    primaryGroup = idInFile(rootfs + "/etc/passwd", u, 3);
  }
  if (!userId) {
    return Status::invalid("user '" + u + "' is not a number and not in the image's /etc/passwd");
  }
  std::optional<uint32_t> groupId = g.empty() ? primaryGroup : numeric(g);
  if (!groupId && !g.empty()) groupId = idInFile(rootfs + "/etc/group", g, 2);
  if (!groupId) {
    return Status::invalid("group '" + g + "' is not a number and not in the image's /etc/group");
  }
  *uid = *userId;
  *gid = *groupId;
  return Status::ok();
}

// What the container runs: the task's command if it has one (a shell command through the
// image's /bin/sh), else the image's entrypoint and cmd.
StatusOr<std::vector<std::string>> containerArgs(const v1::CommandInfo& command,
                                                 const images::ImageConfig& image) {
  if (!command.value().empty()) {
    if (!command.has_shell() || command.shell()) {
      return std::vector<std::string>{"/bin/sh", "-c", command.value()};
    }
    std::vector<std::string> args{command.value()};
    for (int i = 1; i < command.arguments_size(); ++i) args.push_back(command.arguments(i));
    return args;
  }
  std::vector<std::string> args = image.entrypoint;
  if (command.arguments_size() > 0) {
    args.insert(args.end(), command.arguments().begin(), command.arguments().end());
  } else {
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  }
  if (args.empty()) {
    return Status::invalid("the task has no command and the image no entrypoint or cmd");
  }
  return args;
}

}  // namespace

std::string containerIdForSandbox(const std::string& sandbox) {
  return "agora-" + images::sha256Digest(sandbox).substr(7, 32);
}

std::string containerCgroupsPath(const std::string& containerId) { return "/agora/" + containerId; }

ContainerRunner::ContainerRunner(ContainerRunnerOptions options, v1::TaskInfo task)
    : options_(std::move(options)),
      task_(std::move(task)),
      containerId_(containerIdForSandbox(options_.sandbox)) {}

StatusOr<std::string> ContainerRunner::pullImage(
    images::ImageStore& store, const std::string& text,
    const std::function<void(const std::string&)>& progress) {
  auto reference = images::parseImageReference(text);
  if (!reference.isOk()) return reference.status();
  std::string canonical = reference->toString();
  // One pull per image at a time on this agent: a second executor waits here and then
  // finds the image in the store.
  fs::create_directories(store.dir() + "/locks");
  images::FileLock lock(
      store.dir() + "/locks/" + images::sha256Digest(canonical).substr(7) + ".lock",
      images::FileLock::Mode::kExclusive);
  if (!lock.held()) return Status::io("cannot lock the image store for " + canonical);
  auto cached = store.resolve(canonical);
  if (cached.isOk()) {
    progress("image " + canonical + " is in the store (" + *cached + ")");
    return cached;
  }
  images::RegistryOptions registry;
  registry.insecureRegistries = options_.insecureRegistries;
  if (!options_.registryCredentials.empty()) {
    auto credentials = images::loadRegistryCredentials(options_.registryCredentials);
    if (!credentials.isOk()) return credentials.status();
    registry.credentials = *credentials;
  }
  registry.progress = progress;
  pulled_ = true;
  return images::RegistryClient(registry).pull(store, *reference);
}

Status ContainerRunner::attachNetwork(oci::ContainerConfig& config,
                                      std::map<std::string, std::string>& env) {
  const v1::ContainerInfo& container = task_.container();
  if (container.network() != v1::ContainerInfo::BRIDGE) {
    if (container.port_mappings_size() > 0) {
      return Status::invalid("port mappings need BRIDGE networking");
    }
    return Status::ok();
  }
  auto ports = taskPortMappings(task_);
  if (!ports.isOk()) return ports.status();
  std::string address;
  if (!options_.podDir.empty()) {
    // The pod's namespace, shared with its other tasks (the first one attaches
    // it).
    PodNetwork pod(options_.podDir, options_.cniDir);
    auto joined = pod.join(task_.task_id().value());
    if (!joined.isOk()) return joined.status();
    joinedPod_ = true;
    address = *joined;
    config.networkNamespacePath = pod.netnsPath();
  } else {
    oci::CniNetwork network(oci::CniOptions{.stateDir = options_.cniDir});
    auto attached = network.attach(containerId_, *ports);
    if (!attached.isOk()) return attached.status();
    attachedPorts_ = *ports;
    address = *attached;
    config.networkNamespacePath = oci::CniNetwork::netnsPath(containerId_);
  }
  config.hostNetwork = false;
  env["AGORA_CONTAINER_IP"] = address;
  address_ = address;
  return Status::ok();
}

StatusOr<std::vector<oci::Mount>> ContainerRunner::declaredVolumes() const {
  std::vector<oci::Mount> mounts;
  for (const auto& volume : task_.container().volumes()) {
    const std::string& host = volume.host_path();
    const std::string& inside = volume.container_path();
    if (host.empty() || inside.empty() || host.find("..") != std::string::npos ||
        inside.find("..") != std::string::npos) {
      return Status::invalid("volume '" + host + "' -> '" + inside +
                             "' needs a host and a container path, without '..'");
    }
    std::string source;
    if (volume.parent_sandbox()) {
      if (options_.podDir.empty() || host.front() == '/') {
        return Status::invalid("volume '" + host +
                               "' in the pod's shared directory needs a relative path and a "
                               "task of a pod (LAUNCH_GROUP)");
      }
      source = options_.podDir + "/shared/" + host;
      std::error_code ignored;
      fs::create_directories(source, ignored);
    } else if (host.front() == '/') {
      std::error_code error;
      std::string real = fs::canonical(host, error).string();
      bool allowed =
          !error && std::any_of(options_.allowedHostPaths.begin(), options_.allowedHostPaths.end(),
                                [&](const std::string& allowed) {
                                  std::error_code ignored;
                                  std::string prefix =
                                      fs::weakly_canonical(allowed, ignored).string();
                                  return real == prefix || real.rfind(prefix + "/", 0) == 0;
                                });
      if (!allowed) {
        return Status::error(StatusCode::kPermissionDenied,
                             "host path " + host +
                                 " is not under the agent's "
                                 "--allowed_host_paths" +
                                 (error ? " (" + error.message() + ")" : ""));
      }
      source = real;
    } else {
      source = options_.sandbox + "/" + host;  // A directory of the sandbox.
      std::error_code ignored;
      fs::create_directories(source, ignored);
    }
    mounts.push_back(oci::Mount{.source = source,
                                .destination = inside.front() == '/'
                                                   ? inside
                                                   : std::string(kContainerSandbox) + "/" + inside,
                                .readOnly = volume.mode() == v1::Volume::RO});
  }
  return mounts;
}

StatusOr<std::vector<oci::Mount>> ContainerRunner::volumeMounts(const Resources& resources) {
  // The agent links each persistent volume into the sandbox (a symlink to its directory,
  // which a container cannot follow): mount the directory there instead, read-only when
  // the volume is.
  std::vector<oci::Mount> mounts;
  for (const PersistentVolume& volume : resources.volumeList()) {
    fs::path link = fs::path(options_.sandbox) / volume.containerPath;
    std::error_code error;
    fs::path target = fs::read_symlink(link, error);
    if (error) {
      return Status::error(StatusCode::kFailedPrecondition,
                           "persistent volume '" + volume.id + "' is not linked at " +
                               link.string() + ": " + error.message());
    }
    fs::remove(link, error);
    fs::create_directories(link, error);
    mounts.push_back(
        oci::Mount{.source = target.string(),
                   .destination = std::string(kContainerSandbox) + "/" + volume.containerPath,
                   .readOnly = volume.readOnly});
  }
  return mounts;
}

Status ContainerRunner::makeRootfs(images::ImageStore& store, const std::string& digest,
                                   const std::function<void(const std::string&)>& progress) {
  std::string rootfs = bundleDir() + "/rootfs";
  if (!options_.copyRootfs) {
    Status mounted = store.mountRootfs(digest, bundleDir());
    if (mounted.isOk()) {
      overlay_ = true;
      progress("rootfs: an overlay of " + digest + "'s layers at " + rootfs);
      return Status::ok();
    }
    progress(mounted.message() + "; copying the image instead");
    std::error_code ignored;
    fs::remove_all(bundleDir(), ignored);
  }
  progress("unpacking " + digest + " into " + rootfs);
  return store.makeRootfs(digest, rootfs);
}

Status ContainerRunner::prepare(const std::function<void(const std::string&)>& progress) {
  auto resources = Resources::fromProto(task_.resources());
  if (!resources.isOk()) return resources.status();
  double cpus = resources->scalar("cpus");
  memMb_ = resources->scalar("mem");
  if (cpus <= 0 || memMb_ <= 0) {
    return Status::invalid("a container task needs cpus and mem resources");
  }
  const v1::ContainerInfo& container = task_.container();
  images::ImageStore store(options_.imageStore);
  if (Status s = store.init(); !s.isOk()) return s;
  std::optional<images::ImageStore::Lease> lease(std::in_place,
                                                 store);  // No collection while we use blobs.
  auto digest = pullImage(store, container.image().reference(), progress);
  if (!digest.isOk()) return digest.status();
  auto image = store.config(*digest);
  if (!image.isOk()) return image.status();
  // What a previous run of the same sandbox left.
  images::ImageStore::unmountRootfs(bundleDir() + "/rootfs");
  std::error_code ignored;
  fs::remove_all(bundleDir(), ignored);
  if (Status s = makeRootfs(store, *digest, progress); !s.isOk()) return s;
  lease.reset();
  if (pulled_ && options_.imageStoreMaxMb > 0) {
    // The store grew: it may now shed what is least recently used (layers a mounted rootfs
    // reads are kept). Not after a cached launch: nothing grew, and a burst of launches
    // would each scan the store.
    auto collected = store.collectGarbage(static_cast<uint64_t>(options_.imageStoreMaxMb) << 20);
    if (collected.isOk() && collected->blobsRemoved > 0) {
      progress("image store: removed " + std::to_string(collected->blobsRemoved) + " blobs (" +
               std::to_string(collected->bytesRemoved >> 20) + " MB)");
    }
  }

  oci::ContainerConfig config;
  config.rootfs = bundleDir() + "/rootfs";
  config.readOnlyRootfs = container.read_only_rootfs();
  auto args = containerArgs(task_.command(), *image);
  if (!args.isOk()) return args.status();
  config.args = *args;
  std::map<std::string, std::string> env;
  for (const std::string& entry : image->env) {
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  // The image's variables, then the task's and Agora's (the sandbox as seen inside).
  for (auto& [name, value] : taskEnvironment(TaskEnvironmentInput{
           .inherited = env,
          .task = task_,
          .frameworkId = options_.frameworkId,
          .sandbox = kContainerSandbox,
          .hostname = options_.hostname,
       })) {
    env[name] = value;
  }
  config.hostNetwork = container.network() == v1::ContainerInfo::HOST;
  if (Status s = attachNetwork(config, env); !s.isOk()) return s;
  config.env = toEnvStrings(env);
  config.cwd = kContainerSandbox;
  std::string user = task_.command().user().empty() ? image->user : task_.command().user();
  if (Status s = resolveUser(user, config.rootfs, &config.uid, &config.gid); !s.isOk()) return s;
  config.hostname =
      container.hostname().empty() ? task_.task_id().value().substr(0, 63) : container.hostname();
  config.cpus = cpus;
  config.memBytes = static_cast<uint64_t>(memMb_ * 1024 * 1024);
  config.pidsLimit = 4096;
  config.sandboxHostPath = options_.sandbox;
  config.sandboxContainerPath = kContainerSandbox;
  auto volumes = volumeMounts(*resources);
  if (!volumes.isOk()) return volumes.status();
  config.extraMounts = *volumes;
  auto declared = declaredVolumes();
  if (!declared.isOk()) return declared.status();
  config.extraMounts.insert(config.extraMounts.end(), declared->begin(), declared->end());
  config.cgroupsPath = cgroupsPath();
  return oci::writeBundle(bundleDir(), config);
}

StatusOr<pid_t> ContainerRunner::start() {
  auto runc = oci::Runc::open(oci::RuncOptions{.binary = "runc", .stateDir = options_.runcRoot});
  if (!runc.isOk()) return runc.status();
  runc_ = *runc;
  auto layout = oci::detectCgroupLayout();
  if (layout.isOk()) layout_ = *layout;
  // The id is the sandbox's: a container left by a run of this sandbox that died goes.
  if (runc_->exists(containerId_)) {
    runc_->remove(containerId_, oci::RemoveMode::kForce).ignoreError();
  }
  return runc_->runDetached(containerId_, bundleDir(), options_.sandbox + "/stdout",
                            options_.sandbox + "/stderr");
}

v1::CommandInfo ContainerRunner::execCommand(const v1::CommandInfo& command) const {
  v1::CommandInfo exec;
  exec.set_shell(false);
  exec.set_value(runc_ ? runc_->binary() : "runc");
  for (const std::string& arg : {exec.value(), std::string("--root"), options_.runcRoot,
                                 std::string("exec"), containerId_}) {
    exec.add_arguments(arg);
  }
  if (!command.has_shell() || command.shell()) {
    for (const std::string& arg : {std::string("/bin/sh"), std::string("-c"), command.value()}) {
      exec.add_arguments(arg);
    }
  } else if (command.arguments_size() == 0) {
    exec.add_arguments(command.value());
  } else {
    // runc runs argv[0] as the program: Mesos' `value` names it, so it comes first.
    exec.add_arguments(command.value());
    for (int i = 1; i < command.arguments_size(); ++i) exec.add_arguments(command.arguments(i));
  }
  return exec;
}

Status ContainerRunner::kill(int signal) const {
  if (!runc_) return Status::unavailable("the container has not started");
  return runc_->kill(containerId_, signal);
}

bool ContainerRunner::oomKilled() const {
  if (!layout_) return false;
  auto count = oci::oomKillCount(*layout_, cgroupsPath());
  return count.isOk() && *count > 0;
}

void ContainerRunner::cleanUp(InitState init) {
  // A container whose init this executor reaped has no process left (its pid namespace,
  // which every container here has, ended with its init), so all `runc delete` would do
  // is remove its cgroups and its state: done here, that is one Go process less per task
  // (~8 ms of cpu, and of the time to TASK_FINISHED). Anything else, or a failure, goes
  // through runc.
  if (runc_) {
    bool removed = false;
    if (init == InitState::kReaped) {
      Status exited = runc_->removeExited(containerId_);
      removed = exited.isOk();
      if (!removed) LOG(WARNING) << exited.message() << "; leaving it to runc delete";
    }
    if (!removed) runc_->remove(containerId_, oci::RemoveMode::kForce).ignoreError();
  }
  if (attachedPorts_) {
    oci::CniNetwork(oci::CniOptions{.stateDir = options_.cniDir})
        .detach(containerId_, *attachedPorts_)
        .ignoreError();
    attachedPorts_.reset();
  }
  if (joinedPod_) {
    PodNetwork(options_.podDir, options_.cniDir).leave(task_.task_id().value());
    joinedPod_ = false;
  }
  if (overlay_) {
    images::ImageStore::unmountRootfs(bundleDir() + "/rootfs");
    overlay_ = false;
  }
  std::error_code ignored;
  fs::remove_all(bundleDir(), ignored);
}

}  // namespace agora::slave
