#include "cli/args.hpp"

#include <cstdlib>
#include <set>

namespace agora::cli {

namespace {

const std::set<std::string> kCommands = {"run",  "agents", "frameworks", "tasks",
                                         "logs", "image",  "help"};

struct Option {
  std::string name;   // Without dashes.
  std::string value;  // Empty for flags.
  bool hasValue = false;
};

bool takesValue(const std::string& command, const std::string& name) {
  if (name == "master") {
    return true;
  }
  if (command == "image") {
    return name == "name" || name == "as" || name == "work_dir";
  }
  if (command == "run") {
    return name == "name" || name == "cpus" || name == "mem" || name == "env" || name == "role" ||
           name == "image" || name == "network" || name == "fetch";
  }
  return false;
}

bool isFlag(const std::string& command, const std::string& name) {
  if (name == "help" || name == "h") {
    return true;
  }
  if (command == "agents" || command == "frameworks" || command == "tasks") {
    return name == "json";
  }
  if (command == "logs") {
    return name == "stderr" || name == "f" || name == "follow";
  }
  return false;
}

StatusOr<double> positiveNumber(const std::string& name, const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !(value > 0)) {
    return Status::invalid("--" + name + " must be a positive number, not '" + text + "'");
  }
  return value;
}

Status apply(CliArgs& out, const Option& option) {
  const std::string& name = option.name;
  if (name == "help" || name == "h") {
    out.command = "help";
  } else if (name == "master") {
    out.master = option.value;
  } else if (name == "json") {
    out.json = true;
  } else if (name == "stderr") {
    out.logs.stderrFile = true;
  } else if (name == "f" || name == "follow") {
    out.logs.follow = true;
  } else if (name == "name" && out.command == "image") {
    out.image.name = option.value;
  } else if (name == "as") {
    out.image.as = option.value;
  } else if (name == "work_dir") {
    out.image.workDir = option.value;
  } else if (name == "name") {
    out.run.name = option.value;
  } else if (name == "role") {
    out.run.role = option.value;
  } else if (name == "image") {
    if (option.value.empty()) return Status::invalid("--image needs an image reference");
    out.run.image = option.value;
  } else if (name == "network") {
    if (option.value != "host" && option.value != "bridge") {
      return Status::invalid("--network must be 'host' or 'bridge', not '" + option.value + "'");
    }
    out.run.network = option.value;
  } else if (name == "cpus" || name == "mem") {
    auto value = positiveNumber(name, option.value);
    if (!value.isOk()) {
      return value.status();
    }
    (name == "cpus" ? out.run.cpus : out.run.mem) = *value;
  } else if (name == "fetch") {
    if (option.value.empty()) return Status::invalid("--fetch needs a URI");
    out.run.fetch.push_back(option.value);
  } else if (name == "env") {
    size_t eq = option.value.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::invalid("--env wants KEY=VALUE, not '" + option.value + "'");
    }
    out.run.env.emplace_back(option.value.substr(0, eq), option.value.substr(eq + 1));
  }
  return Status::ok();
}

// Parses the option at args[i] (advancing `i` past a separate value).
StatusOr<Option> readOption(const std::vector<std::string>& args, size_t& i,
                            const std::string& command) {
  std::string token = args[i];
  std::string body = token.substr(token.rfind("--", 0) == 0 ? 2 : 1);
  Option option;
  size_t eq = body.find('=');
  option.name = body.substr(0, eq);
  if (eq != std::string::npos) {
    option.value = body.substr(eq + 1);
    option.hasValue = true;
  }
  std::string where = command.empty() ? "" : " for '" + command + "'";
  if (takesValue(command, option.name)) {
    if (!option.hasValue) {
      if (i + 1 >= args.size()) {
        return Status::invalid("option " + token + " needs a value");
      }
      option.value = args[++i];
    }
    return option;
  }
  if (isFlag(command, option.name)) {
    if (option.hasValue) {
      return Status::invalid("option --" + option.name + " takes no value");
    }
    return option;
  }
  return Status::invalid("unknown option " + token + where);
}

Status validate(const CliArgs& out) {
  if (out.command.empty()) {
    return Status::invalid("no command given");
  }
  if (out.command == "run" && out.run.command.empty()) {
    return Status::invalid("'run' needs a command after --, e.g. agora run -- echo hello");
  }
  if (out.command == "logs" && out.logs.taskId.empty()) {
    return Status::invalid("'logs' needs a task id");
  }
  if (out.command == "image" && (out.image.action != "import" || out.image.path.empty())) {
    return Status::invalid("'image' takes: import PATH [--name N] [--as REF] [--work_dir DIR]");
  }
  return Status::ok();
}

}  // namespace

StatusOr<CliArgs> parseArgs(const std::vector<std::string>& args) {
  CliArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    if (token == "--") {
      if (out.command != "run") {
        return Status::invalid("'--' is only used by 'run'");
      }
      out.run.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (token.size() > 1 && token[0] == '-') {
      auto option = readOption(args, i, out.command);
      if (!option.isOk()) {
        return option.status();
      }
      AGORA_RETURN_IF_ERROR(apply(out, *option));
      continue;
    }
    if (out.command.empty()) {
      if (kCommands.count(token) == 0) {
        return Status::invalid("unknown command '" + token + "'");
      }
      out.command = token;
    } else if (out.command == "logs" && out.logs.taskId.empty()) {
      out.logs.taskId = token;
    } else if (out.command == "image" && out.image.action.empty()) {
      out.image.action = token;
    } else if (out.command == "image" && out.image.path.empty()) {
      out.image.path = token;
    } else if (out.command == "run") {
      // `agora run echo hi` works too: the command starts at the first word.
      out.run.command.assign(args.begin() + static_cast<long>(i), args.end());
      break;
    } else {
      return Status::invalid("unexpected argument '" + token + "' for '" + out.command + "'");
    }
  }
  if (out.command == "help") {
    return out;
  }
  AGORA_RETURN_IF_ERROR(validate(out));
  return out;
}

std::string usage() {
  return "usage: agora [--master=HOST:PORT] COMMAND\n"
         "\n"
         "commands:\n"
         "  run [--name N] [--cpus 0.1] [--mem 32] [--env K=V]... [--role R]\n"
         "      [--image REF [--network host|bridge]] [--fetch URI]... -- CMD ARGS...\n"
         "      run one task (in a container of image REF if given), stream its output,\n"
         "      exit with its exit status; each --fetch URI (http, https, file or an\n"
         "      absolute path) is put into the sandbox first, archives extracted\n"
         "  agents [--json]        list agents\n"
         "  frameworks [--json]    list frameworks\n"
         "  tasks [--json]         list tasks\n"
         "  logs TASK_ID [--stderr] [-f]\n"
         "      print a task's stdout (or stderr); -f follows it until the task ends\n"
         "  image import PATH [--name N] [--as REF] [--work_dir DIR]\n"
         "      put an image into the agent's image store on this host (no "
         "registry\n"
         "      needed): PATH is an OCI image layout directory or a `docker "
         "save` tarball;\n"
         "      tasks then run it as REF (default: its name N, or the "
         "tarball's tag)\n"
         "\n"
         "The master defaults to $AGORA_MASTER, else 127.0.0.1:5050.\n";
}

}  // namespace agora::cli
