// `SchedulerDriver`: the framework's side of the scheduler protocol (after Mesos'
// `MesosSchedulerDriver`). It finds the master (`GET /master/endpoint`), connects a ZeroMQ
// DEALER, subscribes, keeps the connection alive with heartbeats, re-subscribes with the
// same framework id after a lost connection or a master restart, delivers events to a
// `Scheduler`, and turns the methods below into `Call`s.
//
// Thread-safety: every public method may be called from any thread, including from inside
// `Scheduler` callbacks (except `join()`/`run()`). They post to the driver's own `EventLoop`
// thread, which owns all the protocol state and the socket.
//
// Calls made while the driver is not subscribed (before the first SUBSCRIBED, or while it
// looks for a lost master) are DROPPED with a warning, as Mesos' driver does: offers they
// refer to are void after a reconnect, the master re-sends unacknowledged updates, and the
// scheduler can reconcile in `subscribed()`.
//
// Ownership: the driver does not own the `Scheduler`, which must outlive it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agora/sdk/scheduler.hpp"
#include "agora/v1/common.pb.h"
#include "agora/v1/scheduler.pb.h"
#include "common/base/status.hpp"

namespace agora::sdk {

class DriverImpl;

// Who acknowledges status updates: the driver once `statusUpdate()` returns (implicit), or
// the scheduler through `acknowledgeStatusUpdate()` (explicit).
enum class AckMode { kImplicit, kExplicit };

// `kTeardown`: the master kills the framework's tasks and forgets it. `kFailover`: only
// disconnect; the master keeps the framework and its tasks for `failover_timeout` seconds,
// so a new driver subscribing with the same id takes them over.
enum class FailoverMode { kTeardown, kFailover };

struct DriverOptions {
  using Seconds = std::chrono::duration<double>;

  // The master's HTTP address, "host:port".
  std::string master = "127.0.0.1:5050";
  // Set `framework.id` to fail over to an existing framework.
  v1::FrameworkInfo framework;
  AckMode acks = AckMode::kImplicit;

  // How often to retry `GET /master/endpoint` while the master is unreachable.
  Seconds discoveryRetry = Seconds(1);
  // With no SUBSCRIBED this long after sending SUBSCRIBE, start over with a new connection.
  Seconds subscribeTimeout = Seconds(10);
  // Used when SUBSCRIBED carries no `heartbeat_interval_seconds`.
  Seconds defaultHeartbeatInterval = Seconds(15);
  // Silent heartbeat intervals after which the master counts as lost (docs/contracts.md: 3).
  int missedHeartbeats = 3;
  // How many (task, uuid) pairs to remember for dropping retried updates.
  size_t rememberedUpdates = 10000;
};

class SchedulerDriver {
 public:
  // REQUIRES: `scheduler` outlives the driver.
  SchedulerDriver(Scheduler* scheduler, DriverOptions options);
  // Stops like `stop(FailoverMode::kFailover)` if still running, and joins.
  ~SchedulerDriver();
  SchedulerDriver(const SchedulerDriver&) = delete;
  SchedulerDriver& operator=(const SchedulerDriver&) = delete;

  // Starts the loop thread, which discovers the master and subscribes. Errors: invalid
  // options (bad master address), or the driver was already started.
  Status start();
  // Waits until the driver stops. Returns OK after `stop()`, or the fatal error (an
  // `Event.error` from the master). REQUIRES: not called from a `Scheduler` callback.
  Status join();
  // `start()` then `join()`.
  Status run();
  // Stops the driver; `join()` returns once the loop thread has finished. With `kTeardown`
  // a TEARDOWN call is sent first (and flushed for up to two seconds).
  void stop(FailoverMode mode);

  // Uses `offerIds` (all on one agent) for `operations`; the rest of them goes back to the
  // pool, not re-offered for `filters.refuse_seconds`.
  void acceptOffers(const std::vector<v1::OfferID>& offerIds,
                    const std::vector<v1::scheduler::Call::Operation>& operations,
                    const v1::Filters& filters = {});
  // One LAUNCH operation with `tasks`. Empty `tasks` just returns the offers.
  void launchTasks(const std::vector<v1::OfferID>& offerIds, const std::vector<v1::TaskInfo>& tasks,
                   const v1::Filters& filters = {});
  void declineOffer(const v1::OfferID& offerId, const v1::Filters& filters = {});
  // Answers to inverse offers; `filters.refuse_seconds` delays the next inverse offer for
  // the same agent.
  void acceptInverseOffers(const std::vector<v1::OfferID>& inverseOfferIds,
                           const v1::Filters& filters = {});
  void declineInverseOffers(const std::vector<v1::OfferID>& inverseOfferIds,
                            const v1::Filters& filters = {});
  // Without a grace period the task's own kill policy applies.
  void killTask(const v1::TaskID& taskId, const v1::AgentID& agentId,
                std::optional<double> gracePeriodSeconds = {});
  // Empty `roles` means all of the framework's roles.
  void reviveOffers(std::vector<std::string> roles = {});
  void suppressOffers(std::vector<std::string> roles = {});
  // For `AckMode::kExplicit`. Statuses without a uuid need no acknowledgement and are
  // ignored.
  void acknowledgeStatusUpdate(const v1::TaskStatus& status);
  // Explicit reconciliation of `statuses` (task and agent ids are used), or implicit (all
  // tasks of the framework) when empty. Answers arrive as `statusUpdate()`s.
  void reconcileTasks(const std::vector<v1::TaskStatus>& statuses);
  void sendFrameworkMessage(const v1::AgentID& agentId, const v1::TaskID& taskId,
                            const std::string& data);

  // The id the master assigned, once subscribed (or the one given in the options).
  std::optional<v1::FrameworkID> frameworkId() const;

  // Why the master is not sending this framework offers, per role it subscribed to
  // ("role eng reached its quota limit of 8 cpus", "every agent with free resources is
  // filtered by a recent DECLINE", ...): asks the master's GET /roles. A role missing from
  // the map has offers outstanding. Blocks for one HTTP round trip (up to 5 s); any thread.
  // Errors: not subscribed yet, master unreachable, malformed answer.
  StatusOr<std::map<std::string, std::string>> pendingReasons() const;

 private:
  std::unique_ptr<DriverImpl> impl_;
};

}  // namespace agora::sdk
