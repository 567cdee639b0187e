// `agora agents | frameworks | tasks [--json]`.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/views.hpp"

namespace agora::cli {

int fail(const std::string& message) {
  std::fprintf(stderr, "agora: %s\n", message.c_str());
  return 1;
}

namespace {

// The master's /tasks pages; ask for plenty so one page is the whole list in practice.
constexpr const char* kTasksPath = "/tasks?limit=10000";

int print(const CliArgs& args, const nlohmann::json& array, const Table& table) {
  if (args.json) {
    std::printf("%s\n", (array.is_array() ? array : nlohmann::json::array()).dump(2).c_str());
  } else {
    std::fputs(table.render().c_str(), stdout);
  }
  return 0;
}

}  // namespace

int listCommand(const CliArgs& args, const Cluster& cluster) {
  bool tasks = args.command == "tasks";
  auto reply = cluster.masterJson(tasks ? kTasksPath : "/state");
  if (!reply.isOk()) {
    return fail(reply.status().message());
  }
  const nlohmann::json& json = *reply;
  auto member = [&](const char* key) { return arrayField(json, key); };
  if (tasks) {
    return print(args, member("tasks"), tasksTable(json));
  }
  if (args.command == "agents") {
    return print(args, member("slaves"), agentsTable(json));
  }
  return print(args, member("frameworks"), frameworksTable(json));
}

}  // namespace agora::cli
