// The environment of a task's command (after Mesos' command executor): a few basics of
// the executor's own environment (inherited from the agent), then the CommandInfo's
// variables, then the Agora/Mesos variables that tell the task where it runs.
//
// Pure function; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agora/v1/common.pb.h"

namespace agora::slave {

struct TaskEnvironmentInput {
  // The executor's environment (`environ` as a map); only basics are kept from it.
  std::map<std::string, std::string> inherited;
  v1::TaskInfo task;
  std::string frameworkId;
  std::string sandbox;
  std::string hostname;
};

// The variables, later sources overriding earlier ones:
//   basics (PATH, HOME, USER, LOGNAME, SHELL, LANG, LC_ALL, TZ, TMPDIR; PATH defaults to
//   /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin),
//   CommandInfo.environment,
//   AGORA_TASK_ID, AGORA_FRAMEWORK_ID, AGORA_SANDBOX, MESOS_TASK_ID, MESOS_FRAMEWORK_ID,
//   MESOS_SANDBOX, MESOS_DIRECTORY, HOST, and from the `ports` resource PORT0..PORTn,
//   PORT (= PORT0) and PORTS (comma separated), in ascending port order.
std::map<std::string, std::string> taskEnvironment(const TaskEnvironmentInput& input);

// "NAME=value" strings for exec.
std::vector<std::string> toEnvStrings(const std::map<std::string, std::string>& env);

}  // namespace agora::slave
