#include "slave/containerizer/runc.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/base/strings.hpp"
#include "slave/containerizer/subprocess.hpp"

namespace agora::slave::oci {

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// The last non-empty line of `path`: where runc puts the reason a command failed.
std::string lastLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (!line.empty()) {
      last = line;
    }
  }
  return last;
}

Status checkId(const std::string& id) {
  bool valid =
      !id.empty() && id[0] != '-' &&
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") ==
          std::string::npos;
  return valid ? Status::ok() : Status::invalid("container id '" + id + "' must match [\\w+.-]+");
}

}  // namespace

StatusOr<Runc> Runc::open(const RuncOptions& options) {
  if (options.stateDir.empty()) {
    return Status::invalid("stateDir: must not be empty");
  }
  std::optional<std::string> binary = findOnPath(options.binary);
  if (!binary) {
    return Status::notFound("runc binary '" + options.binary + "' not found or not executable");
  }
  std::error_code error;
  std::filesystem::create_directories(options.stateDir, error);
  if (error) {
    return Status::io("cannot create runc state dir " + options.stateDir + ": " + error.message());
  }
  return Runc(*binary, options.stateDir);
}

std::vector<std::string> Runc::command(std::vector<std::string> args) const {
  std::vector<std::string> argv = {binary_, "--root", stateDir_};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

StatusOr<Runc::Output> Runc::run(std::vector<std::string> args) const {
  auto ran = runProcess(command(std::move(args)));
  if (!ran.isOk()) {
    return ran.status();
  }
  return Output{ran->exitCode, std::move(ran->out), std::move(ran->err)};
}

Status Runc::runChecked(const std::string& what, std::vector<std::string> args) const {
  StatusOr<Output> output = run(std::move(args));
  if (!output.isOk()) {
    return output.status().withContext(what);
  }
  if (output->exitCode != 0) {
    return Status::error(StatusCode::kInternal, what + ": runc exited with " +
                                                    std::to_string(output->exitCode) + ": " +
                                                    trimmed(output->err));
  }
  return Status::ok();
}

StatusOr<pid_t> Runc::create(const std::string& id, const std::string& bundleDir,
                             const std::string& stdoutPath, const std::string& stderrPath) const {
  return launch("create", id, bundleDir, stdoutPath, stderrPath);
}

StatusOr<pid_t> Runc::runDetached(const std::string& id, const std::string& bundleDir,
                                  const std::string& stdoutPath,
                                  const std::string& stderrPath) const {
  return launch("run", id, bundleDir, stdoutPath, stderrPath);
}

bool Runc::exists(const std::string& id) const {
  std::error_code error;
  return checkId(id).isOk() && std::filesystem::exists(stateDir_ + "/" + id, error);
}

StatusOr<pid_t> Runc::launch(const std::string& verb, const std::string& id,
                             const std::string& bundleDir, const std::string& stdoutPath,
                             const std::string& stderrPath) const {
  AGORA_RETURN_IF_ERROR(checkId(id));
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  Fd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd out(::open(stdoutPath.c_str(), flags, 0644));
  Fd err(::open(stderrPath.c_str(), flags, 0644));
  if (devNull.get() < 0 || out.get() < 0 || err.get() < 0) {
    return Status::io(errnoText("cannot open stdio for container " + id));
  }
  // The container inherits runc's stdio, so runc's own errors go to a log file instead.
  const std::string logPath = bundleDir + "/runc.log";
  const std::string pidPath = bundleDir + "/init.pid";
  std::vector<std::string> args = {"--log", logPath, verb};
  if (verb == "run") args.push_back("--detach");
  args.insert(args.end(), {"--bundle", bundleDir, "--pid-file", pidPath, id});
  StatusOr<pid_t> runc = spawn(command(std::move(args)), {devNull.get(), out.get(), err.get()});
  if (!runc.isOk()) {
    return runc.status();
  }
  int exitCode = reap(*runc);
  if (exitCode != 0) {
    return Status::error(StatusCode::kInternal, "runc " + verb + " " + id + " exited with " +
                                                    std::to_string(exitCode) + ": " +
                                                    lastLine(logPath));
  }
  std::ifstream pidFile(pidPath);
  pid_t pid = 0;
  if (!(pidFile >> pid) || pid <= 0) {
    return Status::io("runc " + verb + " " + id + " wrote no pid to " + pidPath);
  }
  return pid;
}

Status Runc::start(const std::string& id) const {
  AGORA_RETURN_IF_ERROR(checkId(id));
  return runChecked("runc start " + id, {"start", id});
}

StatusOr<ContainerState> Runc::state(const std::string& id) const {
  AGORA_RETURN_IF_ERROR(checkId(id));
  StatusOr<Output> output = run({"state", id});
  if (!output.isOk()) {
    return output.status().withContext("runc state " + id);
  }
  if (output->exitCode != 0) {
    return Status::notFound("runc state " + id + ": " + trimmed(output->err));
  }
  auto json = nlohmann::json::parse(output->out, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("status") || !json["status"].is_string() ||
      !json.contains("pid") || !json["pid"].is_number_integer()) {
    return Status::error(StatusCode::kInternal,
                         "runc state " + id + ": unexpected output: " + output->out);
  }
  return ContainerState{.status = json["status"].get<std::string>(),
                        .pid = json["pid"].get<pid_t>()};
}

Status Runc::kill(const std::string& id, int signal) const {
  AGORA_RETURN_IF_ERROR(checkId(id));
  return runChecked("runc kill " + id, {"kill", id, std::to_string(signal)});
}

Status Runc::remove(const std::string& id, RemoveMode mode) const {
  AGORA_RETURN_IF_ERROR(checkId(id));
  std::vector<std::string> args = {"delete"};
  if (mode == RemoveMode::kForce) {
    args.push_back("--force");
  }
  args.push_back(id);
  return runChecked("runc delete " + id, std::move(args));
}

Status Runc::removeExited(const std::string& id) const {
  AGORA_RETURN_IF_ERROR(checkId(id));
  const std::string stateDir = stateDir_ + "/" + id;
  std::ifstream in(stateDir + "/state.json");
  auto state = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!state.is_object() || !state.contains("cgroup_paths") || !state["cgroup_paths"].is_object()) {
    return Status::notFound("no readable runc state for container " + id + " in " + stateDir);
  }
  // Every hierarchy runc joined (v1 controllers, named and unified ones; v2: one). `cpu`
  // and `cpuacct` may name one directory twice: the second rmdir finds it gone.
  for (const auto& [controller, path] : state["cgroup_paths"].items()) {
    if (!path.is_string()) continue;
    std::string dir = path.get<std::string>();
    if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      return Status::io(errnoText("cannot remove cgroup " + dir + " of container " + id));
    }
  }
  std::error_code error;
  std::filesystem::remove_all(stateDir, error);
  if (error) {
    return Status::io("cannot remove runc's state " + stateDir + ": " + error.message());
  }
  return Status::ok();
}

Status becomeSubreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return Status::error(StatusCode::kInternal, errnoText("prctl(PR_SET_CHILD_SUBREAPER)"));
  }
  return Status::ok();
}

namespace {

// Waits until `pidfd` is readable (its process exited); false on timeout.
bool pollExit(int pidfd, std::optional<std::chrono::milliseconds> timeout) {
  const auto deadline =
      std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  while (true) {
    int waitMs = -1;
    if (timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      waitMs = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd fd{pidfd, POLLIN, 0};
    int rc = ::poll(&fd, 1, waitMs);
    if (rc > 0) {
      return true;
    }
    if (rc == 0) {
      return false;
    }
    if (errno != EINTR) {
      return true;  // Let waitpid() below report what is wrong.
    }
  }
}

}  // namespace

StatusOr<ExitStatus> waitContainer(pid_t pid, std::optional<std::chrono::milliseconds> timeout) {
  siginfo_t info{};
  // Checks parenthood first: blocking on a process we can never reap would hang forever.
  if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return Status::error(StatusCode::kFailedPrecondition,
                         errnoText("cannot wait for pid " + std::to_string(pid) +
                                   " (is this process its subreaper?)"));
  }
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) {
    return Status::error(StatusCode::kInternal, errnoText("pidfd_open " + std::to_string(pid)));
  }
  if (!pollExit(pidfd.get(), timeout)) {
    return Status::unavailable("pid " + std::to_string(pid) + " still running after " +
                               std::to_string(timeout->count()) + " ms");
  }
  int status = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (reaped != pid) {
    return Status::error(StatusCode::kInternal, errnoText("waitpid " + std::to_string(pid)));
  }
  if (WIFSIGNALED(status)) {
    return ExitStatus{.code = 0, .signal = WTERMSIG(status)};
  }
  return ExitStatus{.code = WEXITSTATUS(status), .signal = 0};
}

}  // namespace agora::slave::oci
