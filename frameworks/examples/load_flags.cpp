#include "frameworks/examples/load_flags.hpp"

#include <gflags/gflags.h>

#include "common/http/http.hpp"

DEFINE_string(master, "",
              "Master HTTP address host:port (default $AGORA_MASTER or 127.0.0.1:5050)");
DEFINE_string(command, "", "Shell command each task runs");
DEFINE_int32(num_tasks, 1, "How many tasks to launch");
DEFINE_string(task_resources, "cpus:0.1;mem:32", "Resources of each task");
DEFINE_string(role, "*", "Role the framework subscribes with");
DEFINE_string(name, "agora-load", "Framework name");
DEFINE_int32(tasks_per_offer, 0, "At most this many tasks per offer (0: as many as fit)");

namespace agora::examples {

StatusOr<LoadFrameworkOptions> loadOptionsFromFlags() {
  if (FLAGS_command.empty()) {
    return Status::invalid("--command is required");
  }
  if (FLAGS_num_tasks < 1) {
    return Status::invalid("--num_tasks must be at least 1");
  }
  if (FLAGS_tasks_per_offer < 0) {
    return Status::invalid("--tasks_per_offer must not be negative");
  }
  auto resources = Resources::parse(FLAGS_task_resources);
  if (!resources.isOk()) {
    return resources.status().withContext("--task_resources");
  }
  if (resources->empty()) {
    return Status::invalid("--task_resources must not be empty");
  }
  LoadFrameworkOptions options;
  options.master = masterAddressFromFlagOrEnv(FLAGS_master);
  options.name = FLAGS_name;
  options.role = FLAGS_role;
  options.plan = LoadPlanOptions{.command = FLAGS_command,
                                 .numTasks = FLAGS_num_tasks,
                                 .taskResources = *resources,
                                 .tasksPerOffer = FLAGS_tasks_per_offer};
  return options;
}

}  // namespace agora::examples
