// agora-executor: runs one task for the agent (see slave/executor/executor.hpp). Started by
// the agent with the flags below; its own output goes to `<sandbox>/executor.log`.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/base/duration.hpp"
#include "common/base/strings.hpp"
#include "slave/executor/executor.hpp"
#include "slave/executor/handover.hpp"
#include "slave/images/digest.hpp"

DEFINE_string(agent_endpoint, "", "The agent's executor endpoint (ipc://...)");
DEFINE_string(framework_id, "", "Framework of the task");
DEFINE_string(task_id, "", "The task to run");
DEFINE_string(sandbox, "", "The task's sandbox directory");
DEFINE_string(task_path, "", "Path of the serialized TaskInfo");
DEFINE_string(hostname, "", "Value of $HOST for the task");
DEFINE_string(image_store, "", "The agent's image store (tasks with an image)");
DEFINE_string(runc_root, "", "runc's state directory for the agent's containers");
DEFINE_string(cni_dir, "", "CNI's state directory (bridge networking)");
DEFINE_string(registry_credentials, "", "A Docker config.json with registry credentials");
DEFINE_bool(copy_rootfs, false, "Copy the image into the rootfs instead of an overlayfs mount");
DEFINE_int64(image_store_max_mb, 0, "Collect the image store down to this size (0: never)");
DEFINE_string(allowed_host_paths, "", "Comma-separated host directories volumes may mount");
DEFINE_string(insecure_registries, "",
              "Comma-separated registries (host:port) pulled from over plain HTTP");
DEFINE_string(pod_dir, "", "The pod's directory, for a task of a pod (LAUNCH_GROUP)");
DEFINE_string(agent_timeout, "1hrs",
              "Kill the task and exit after hearing nothing from any agent for this long");

extern char** environ;

namespace {

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    size_t eq = text.find('=');
    if (eq != std::string::npos) {
      env[text.substr(0, eq)] = text.substr(eq + 1);
    }
  }
  return env;
}

std::set<std::string> splitList(const std::string& text) {
  std::set<std::string> out;
  for (const std::string& item : agora::splitAll(text, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // What needs no flags is set up first: a zygote has it ready before it forks.
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);  // argv[0] stays the same through a hand-over.
  signal(SIGPIPE, SIG_IGN);
  // OpenSSL 3 loads its configuration and providers on the first digest (~1 ms): container
  // ids and image digests are SHA-256.
  (void)agora::slave::images::sha256Digest("");

  // A zygote (see slave/executor_zygote.hpp): from here on, single threaded, it keeps a
  // spare forked; the spare goes on below.
  std::optional<int> spare;
  if (argc >= 2 && std::strcmp(argv[1], "--zygote") == 0) {
    unsetenv("LD_BIND_NOW");  // Bound at load (see executor_zygote.cpp); not for children.
    spare = agora::slave::forkSpares(STDIN_FILENO);
    if (!spare) {
      return EXIT_SUCCESS;  // The agent went away.
    }
  }
  // Made in the spare (after the zygote's fork: the loop's descriptors are its own) before
  // it waits for a task. (ZeroMQ starts its threads with the first socket.)
  agora::EventLoop loop;
  zmq::context_t context(1);
  std::vector<char*> handed;
  if (spare) {
    auto args = agora::slave::awaitCommandLine(STDIN_FILENO, *spare);
    if (!args) {
      return EXIT_SUCCESS;
    }
    auto rewritten = agora::slave::becomeHandedExecutor(argc, argv, *args);
    if (!rewritten.isOk()) {
      std::cerr << "The spare executor cannot take its task: " << rewritten.status().message()
                << std::endl;
      return EXIT_FAILURE;
    }
    handed = std::move(*rewritten);
    argc = static_cast<int>(handed.size()) - 1;
    argv = handed.data();
  }
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  FLAGS_logtostderr = true;

  for (const auto& [name, value] :
       {std::pair<const char*, const std::string&>{"agent_endpoint", FLAGS_agent_endpoint},
        {"framework_id", FLAGS_framework_id},
        {"task_id", FLAGS_task_id},
        {"sandbox", FLAGS_sandbox},
        {"task_path", FLAGS_task_path}}) {
    if (value.empty()) {
      LOG(ERROR) << "--" << name << " is required";
      return EXIT_FAILURE;
    }
  }
  auto timeout = agora::parseDuration(FLAGS_agent_timeout);
  if (!timeout.isOk()) {
    LOG(ERROR) << "--agent_timeout: " << timeout.status().message();
    return EXIT_FAILURE;
  }

  auto executor = agora::slave::Executor::create(
      loop, context,
      agora::slave::ExecutorOptions{
          .agentEndpoint = FLAGS_agent_endpoint,
          .frameworkId = FLAGS_framework_id,
          .taskId = FLAGS_task_id,
          .sandbox = FLAGS_sandbox,
          .taskPath = FLAGS_task_path,
          .hostname = FLAGS_hostname,
          .agentTimeout = *timeout,
          .inheritedEnvironment = environment(),
          .imageStore = FLAGS_image_store,
          .runcRoot = FLAGS_runc_root,
          .cniDir = FLAGS_cni_dir,
          .insecureRegistries = splitList(FLAGS_insecure_registries),
          .registryCredentials = FLAGS_registry_credentials,
          .imageStoreMaxMb = FLAGS_image_store_max_mb,
          .copyRootfs = FLAGS_copy_rootfs,
          .allowedHostPaths =
              [] {
                auto set = splitList(FLAGS_allowed_host_paths);
                return std::vector<std::string>(set.begin(), set.end());
              }(),
          .podDir = FLAGS_pod_dir,
      });
  if (!executor.isOk()) {
    LOG(ERROR) << executor.status().message();
    return EXIT_FAILURE;
  }
  (*executor)->start();
  loop.run();
  int code = (*executor)->exitCode();
  executor->reset();
  return code;
}
