#include "slave/executor/handover.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/base/strings.hpp"

namespace agora::slave {
namespace {

// The value of `--name=` in `args`, or empty.
std::string flagValue(const std::vector<std::string>& args, const std::string& name) {
  std::string prefix = "--" + name + "=";
  for (const std::string& arg : args) {
    if (arg.compare(0, prefix.size(), prefix) == 0) return arg.substr(prefix.size());
  }
  return "";
}

Status redirectInto(const std::string& sandbox) {
  if (sandbox.empty()) {
    return Status::invalid("the handed command line has no --sandbox");
  }
  std::string log = sandbox + "/executor.log";
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Status::io(errnoText("cannot open " + log));
  int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  bool redirected = in >= 0 && dup2(in, 0) == 0 && dup2(out, 1) == 1 && dup2(out, 2) == 2;
  int saved = errno;
  close(out);
  if (in >= 0) close(in);
  errno = saved;
  if (!redirected) return Status::io(errnoText("cannot redirect the executor's output"));
  if (chdir(sandbox.c_str()) != 0) return Status::io(errnoText("cannot enter " + sandbox));
  return Status::ok();
}

}  // namespace

std::optional<std::vector<std::string>> readHandedCommandLine(int fd) {
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  if (text.empty()) return std::nullopt;
  std::vector<std::string> args;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    args.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

StatusOr<std::vector<char*>> becomeHandedExecutor(int argc, char** argv,
                                                  const std::vector<std::string>& args) {
  AGORA_RETURN_IF_ERROR(redirectInto(flagValue(args, "sandbox")));
  if (argc < 1 || args.empty()) {
    return Status::invalid("an empty command line was handed to the spare executor");
  }
  // The kernel lays the arguments out one after another; /proc/<pid>/cmdline shows that area.
  char* begin = argv[0];
  for (int i = 1; i < argc; ++i) {
    if (argv[i] != argv[i - 1] + std::strlen(argv[i - 1]) + 1) {
      return Status::error(StatusCode::kInternal,
                           "the spare executor's arguments are not contiguous");
    }
  }
  char* end = argv[argc - 1] + std::strlen(argv[argc - 1]) + 1;
  size_t needed = 0;
  for (const std::string& arg : args) needed += arg.size() + 1;
  if (needed > static_cast<size_t>(end - begin)) {
    return Status::invalid("the handed command line (" + std::to_string(needed) +
                           " bytes) does not fit the spare executor's (" +
                           std::to_string(end - begin) + " bytes)");
  }
  std::memset(begin, 0, static_cast<size_t>(end - begin));
  std::vector<char*> rewritten;
  char* at = begin;
  for (const std::string& arg : args) {
    std::memcpy(at, arg.c_str(), arg.size() + 1);
    rewritten.push_back(at);
    at += arg.size() + 1;
  }
  rewritten.push_back(nullptr);
  return rewritten;
}

}  // namespace agora::slave
