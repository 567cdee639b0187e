// `ExecutorZygote`: executors forked from one preloaded `agora-executor`.
//
// Started from its binary, an executor spends ~10 ms of cpu before its main() runs (the
// dynamic loader maps and relocates some 55 shared libraries): a fifth of a container
// launch, and much of the agent's share of the cpu when many tasks start at once. So the
// agent keeps one `agora-executor --zygote`: loaded, its symbols bound, glog and OpenSSL set
// up, in a session of its own. The zygote keeps one spare forked from itself (with its
// event loop and ZeroMQ context made), waiting on the zygote's stdin: a SOCK_SEQPACKET
// socket from the agent. A launch sends a `ZygoteRequest` (an id and the executor's command
// line) and returns at once; the spare that takes it tells the zygote (which forks the
// next spare), answers with its pid and a pidfd of itself (`ZygoteAnswer`, the pidfd by
// SCM_RIGHTS, so the agent can watch an executor that has already exited), takes the
// command line as its own (rewriting its /proc/<pid>/cmdline, so `ps` and the agent's
// recovery see the task's arguments as for a spawned executor, followed by the unused rest
// of the zygote's argument area as NULs), moves its output and working directory into the
// sandbox and runs the task. A burst of launches never waits on the agent's loop: a few
// requests sit in the socket (it holds 10 datagrams), the rest queue here; answers are
// matched to requests by id and handed to each request's callback on the loop.
//
// Why the spare, not the zygote, answers: one that took a request always says so, even if
// the zygote has died meanwhile, and one that cannot answer (the agent closed its end)
// exits instead of running the task, so the agent never has two executors for a task, or
// one it does not know of. The socket reads as closed only once no process holds the
// zygote's end: then every request still unanswered was taken by no one, and the agent
// spawns an executor for it instead.
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
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/event/event_loop.hpp"

namespace agora::slave {

struct ExecutorZygoteOptions {
  std::string executorPath;
  std::string workDir;
  // A spare answers within milliseconds, a burst within a second or two; an unanswered
  // request this old means the zygote is stuck: it is killed.
  std::chrono::milliseconds answerTimeout{10000};
  // After that kill, spares that took requests still answer at once; then the socket
  // closes. Requests unanswered this much later are reported kUnknown.
  std::chrono::milliseconds closeTimeout{2000};
  // A zygote that died is not restarted sooner than this after the last start (launches
  // spawn executors meanwhile), so a crashing one does not cost every launch a start.
  std::chrono::milliseconds restartBackoff{5000};
};

class ExecutorZygote {
 public:
  // The zygote's command line has room for this many bytes of an executor's arguments.
  static constexpr size_t kCommandLineBytes = 8192;

  enum class Outcome {
    kForked,      // `pid` (watchable through `pidfd`) is the task's executor.
    kNotStarted,  // No executor was started for the request: spawn one instead.
    kUnknown,     // The zygote stopped answering; whether one started is not known.
  };
  struct Forked {
    Outcome outcome = Outcome::kNotStarted;
    pid_t pid = -1;
    int pidfd = -1;        // kForked: owned by the callback (close it).
    std::string why = {};  // kNotStarted and kUnknown.
  };
  using Callback = std::function<void(const Forked&)>;

  ExecutorZygote(EventLoop& loop, ExecutorZygoteOptions options);
  ~ExecutorZygote();  // Stops the zygote, if any; callbacks still pending never run.
  ExecutorZygote(const ExecutorZygote&) = delete;
  ExecutorZygote& operator=(const ExecutorZygote&) = delete;

  // Starts the zygote unless a live one runs the current binary, or requests are in flight.
  // A failure is logged: launches spawn executors then.
  void start();

  // Asks for an executor with `args` (see executorArguments); `done` runs later on the loop
  // with the answer. False, and `done` never runs, when the zygote cannot take it (none
  // running, `args` too long for its command line or naming another binary): spawn.
  bool requestExecutor(const std::vector<std::string>& args, Callback done);

  // The zygote's pid, or -1 (for tests).
  pid_t pid() const { return pid_; }

 private:
  struct Pending {
    uint64_t id = 0;
    std::string request;  // A serialized ZygoteRequest.
    Callback done;
    std::chrono::steady_clock::time_point sent = {};
  };

  bool alive() const;
  bool binaryChanged() const;
  void stop();
  void killZygote();
  // Sends queued requests while fewer than kInFlight wait in the socket.
  void sendQueued();
  void onAnswers();
  // One answer received: hands it to its request's callback.
  void onAnswer(uint64_t id, pid_t pid, int pidfd, const std::string& error);
  void checkDeadline();
  // Answers every request still waiting with `outcome` and stops the zygote.
  void failPending(Outcome outcome, const std::string& why);

  // The socket queues at most net.unix.max_dgram_qlen (10) datagrams; more wait here.
  static constexpr size_t kInFlight = 8;

  EventLoop& loop_;
  ExecutorZygoteOptions options_;
  pid_t pid_ = -1;
  int pidfd_ = -1;    // Readable once the zygote has exited (a pid may be reaped and reused).
  int channel_ = -1;  // The agent's end of the zygote's stdin.
  struct stat binary_ = {};  // The executor binary when the zygote started.
  std::chrono::steady_clock::time_point lastStart_ = {};
  uint64_t nextId_ = 1;
  std::deque<Pending> queued_;           // Not sent yet.
  std::map<uint64_t, Pending> pending_;  // Sent, by id (the order sent).
  EventLoop::TimerId deadlineTimer_ = 0;
  bool killed_ = false;  // Killed for not answering: waiting for its end to close.
  bool broken_ = false;  // Sending failed: no more requests; draining answers until EOF.
  // Expires with this object: callbacks posted to the loop check it first.
  std::shared_ptr<bool> token_ = std::make_shared<bool>(true);
};

}  // namespace agora::slave
