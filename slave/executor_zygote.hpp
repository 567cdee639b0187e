// `ExecutorZygote`: executors forked from one preloaded `agora-executor`.
//
// Started from its binary, an executor spends ~10 ms of cpu before its main() runs (the
// dynamic loader maps and relocates some 55 shared libraries): a fifth of a container
// launch, and much of the agent's share of the cpu when many tasks start at once. So the
// agent keeps one `agora-executor --zygote`: loaded, with glog and OpenSSL set up, in a
// session of its own. The zygote keeps one spare forked from itself (with its event loop and
// ZeroMQ context made), waiting on the zygote's stdin: a SOCK_SEQPACKET socket from the
// agent. A launch sends the executor's command line as one message and returns at once;
// the spare that takes it tells the zygote (which forks the next spare), sends its pid back,
// takes the command line as its own (rewriting its /proc/<pid>/cmdline, so `ps` and the
// agent's recovery see the task's arguments as for a spawned executor, followed by the
// unused rest of the zygote's argument area as NULs), moves its output and working
// directory into the sandbox and runs the task. Requests queue in the socket, so a burst
// of launches never waits for spares on the agent's loop; answers come back in order and
// are handed to each request's callback on the loop.
//
// Why the spare, not the zygote, sends the pid: one that took a command line always says
// so, even if the zygote has died meanwhile, so the agent never starts a second executor
// for a task that has one. The socket reads as closed only once no process holds the
// zygote's end: then every request still unanswered was taken by no one, and the caller
// may spawn an executor for it instead.
//
// The zygote runs its binary as it was when it started: when the file changes (an upgrade
// in place), the next launch with no request in flight starts a new zygote first. Its
// output, and a spare's before it takes a task, go to `<work_dir>/executor-zygote.log`. It
// exits when its stdin closes (the agent stopped or died); executors it forked run on
// (reparented to init, like spawned ones).
//
// Thread-safety: the agent's loop thread only. Not copyable.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "common/event/event_loop.hpp"

namespace agora::slave {

class ExecutorZygote {
 public:
  // The zygote's command line has room for this many bytes of an executor's arguments.
  static constexpr size_t kCommandLineBytes = 8192;

  enum class Outcome {
    kForked,      // `pid` is the task's executor.
    kNotStarted,  // No executor was started for the request: spawn one instead.
    kUnknown,     // The zygote stopped answering; whether one started is not known.
  };
  struct Forked {
    Outcome outcome = Outcome::kNotStarted;
    pid_t pid = -1;
    std::string why = {};  // For kNotStarted and kUnknown.
  };
  using Callback = std::function<void(const Forked&)>;

  ExecutorZygote(EventLoop& loop, std::string executorPath, std::string workDir);
  ~ExecutorZygote();  // Stops the zygote, if any; callbacks still pending never run.
  ExecutorZygote(const ExecutorZygote&) = delete;
  ExecutorZygote& operator=(const ExecutorZygote&) = delete;

  // Starts the zygote unless a live one runs the current binary, or requests are in flight.
  // A failure is logged: launches spawn executors then.
  void start();

  // Asks for an executor with `args` (see executorArguments); `done` runs on the loop once
  // the answer is known. False, and `done` never runs, when the zygote cannot take it (none
  // running, `args` too long for its command line or naming another binary): spawn.
  bool fork(const std::vector<std::string>& args, Callback done);

  // The zygote's pid, or -1 (for tests).
  pid_t pid() const { return pid_; }

 private:
  bool alive() const;
  bool binaryChanged() const;
  void stop();
  void onAnswers();
  // Sends queued requests while fewer than kInFlight wait for an answer.
  void sendQueued();
  void checkDeadline();
  // Answers every pending request with `outcome` and stops the zygote.
  void failPending(Outcome outcome, const std::string& why);

  EventLoop& loop_;
  std::string executorPath_;
  std::string workDir_;
  pid_t pid_ = -1;
  int pidfd_ = -1;    // Readable once the zygote has exited (a pid may be reaped and reused).
  int channel_ = -1;  // The agent's end of the zygote's stdin.
  struct stat binary_ = {};  // The executor binary when the zygote started.
  struct Pending {
    std::string commandLine;
    Callback done;
    std::chrono::steady_clock::time_point sent = {};
  };
  // The socket queues at most net.unix.max_dgram_qlen (10) messages; more wait here.
  static constexpr size_t kInFlight = 8;
  std::deque<Pending> queued_;   // Not sent yet.
  std::deque<Pending> pending_;  // Sent, in order, hence answered in that order.
  EventLoop::TimerId deadlineTimer_ = 0;
  bool killed_ = false;  // Killed for not answering: waiting for its end to close.
};

}  // namespace agora::slave
