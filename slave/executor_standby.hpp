// `ExecutorStandby`: a spare `agora-executor`, started ahead of the next task.
//
// An executor spends ~10 ms before its main() runs (the dynamic loader maps some 55 shared
// libraries), a fifth of a container launch. So the agent keeps one spare executor, started
// with `--standby`: loaded, in its own session, blocked reading its stdin (a socket from
// the agent). A launch writes the executor's command line into it and closes it; the spare
// takes that command line as its own (rewriting its /proc/<pid>/cmdline, so `ps` and the
// agent's recovery see the task's arguments as for a spawned executor, followed by the
// unused rest of the spare's argument area as NULs), moves its output and working
// directory into the sandbox and runs the task. A new spare is started after each launch,
// off the launch's path. Its output before a hand-over goes to
// `<work_dir>/executor-standby.log`.
//
// A spare whose stdin closes with nothing in it exits: the agent stopped or died.
//
// Thread-safety: not thread-safe (the agent's loop thread only). Not copyable.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace agora::slave {

class ExecutorStandby {
 public:
  // The spare's command line has room for this many bytes of the executor's arguments.
  static constexpr size_t kCommandLineBytes = 8192;

  ExecutorStandby(std::string executorPath, std::string workDir);
  ~ExecutorStandby();  // Stops the spare, if any.
  ExecutorStandby(const ExecutorStandby&) = delete;
  ExecutorStandby& operator=(const ExecutorStandby&) = delete;

  // Starts a spare unless a live one is waiting. A failure is logged: launches spawn then.
  void replenish();

  // Hands `args` (see executorArguments) to the spare and returns its pid; nullopt when no
  // live spare is waiting or `args` do not fit its command line (the caller spawns).
  std::optional<pid_t> take(const std::vector<std::string>& args);

 private:
  bool spareAlive() const;
  void stop();

  std::string executorPath_;
  std::string workDir_;
  pid_t pid_ = -1;
  int pidfd_ = -1;  // Readable once the spare has exited (a pid may be reaped and reused).
  int channel_ = -1;  // The agent's end of the spare's stdin (a socket).
};

}  // namespace agora::slave
