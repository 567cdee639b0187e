// The master actor: admits agents, subscribes frameworks, runs the offer cycle and routes
// tasks and status updates between them.
//
// Thread-safety: every method runs on the master's `EventLoop` (the ROUTER socket is
// watched there; HTTP handlers use `loop().runSync`). `Master` is a router: protocol
// handlers live in agent_handlers.cpp, scheduler_handlers.cpp, offers.cpp and tasks.cpp;
// allocation decisions in `DrfAllocator`; durability in `Registrar`.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "agora/internal/agent.pb.h"
#include "agora/v1/envelope.pb.h"
#include "agora/v1/scheduler.pb.h"
#include "common/event/event_loop.hpp"
#include "common/metrics/metrics.hpp"
#include "common/transport/sockets.hpp"
#include "master/allocator/drf_allocator.hpp"
#include "master/entities.hpp"
#include "master/http_task_listing.hpp"
#include "master/options.hpp"
#include "master/registrar.hpp"
#include "master/state_assembly.hpp"
#include "master/task_json_writer.hpp"

namespace agora::master {

class Master {
 public:
  // Opens the registry under `options.workDir`, recovers it and binds the ROUTER socket.
  static StatusOr<std::unique_ptr<Master>> create(EventLoop& loop, zmq::context_t& context,
                                                  MasterOptions options);

  const std::string& zmqEndpoint() const { return zmqEndpoint_; }
  const std::string& masterId() const { return masterId_; }
  const MasterOptions& options() const { return options_; }
  Metrics& metrics() { return metrics_; }
  EventLoop& loop() { return loop_; }

  // Read-only views for the HTTP API. REQUIRES: called on the loop.
  // The Mesos-shaped /state document, written a few milliseconds per loop turn (see
  // StateAssembly); `done` gets it, on the loop, once complete. Agents and tasks are text
  // (see SplicedJson): render the document off the loop.
  void assembleState(StateAssembly::Done done);
  void refreshGauges();
  // The web UI's paginated, filtered lists (http_listing.cpp): /tasks is walked over
  // several loop turns (see TaskListing) and `done` gets the page, on the loop.
  void listTasks(TaskQuery query, TaskListing::Done done);
  nlohmann::json agentsJson(const AgentQuery& query) const;
  nlohmann::json frameworksJson(const FrameworkQuery& query) const;
  nlohmann::json offersJson(const OfferQuery& query) const;
  // Resources (total, used, offered, idle) and counts of agents and frameworks; no walk
  // over tasks.
  nlohmann::json overviewJson() const;
  // "host:port" of the agent's HTTP API. Errors: unknown agent (kNotFound).
  StatusOr<std::string> agentHttpAddress(const std::string& agentId) const;

  // Roles, weights and quota (roles.cpp). REQUIRES: called on the loop.
  struct RoleQuota {
    DrfAllocator::ScalarLimits limits;
    Resources guarantees;
  };
  nlohmann::json rolesJson() const;
  nlohmann::json weightsJson() const;
  // Persists, then applies. The weights are already validated.
  Status updateWeights(const std::map<std::string, double>& weights);
  nlohmann::json quotaJson() const;
  // Sets (or with both empty, removes) a role's quota. Without `force`, a guarantee larger
  // than what the cluster has unreserved (minus other roles' guarantees) is refused.
  Status setQuota(const std::string& role, const RoleQuota& quota, bool force);
  // Dynamic reservations by the operator (reservations.cpp). `resources` carry the role
  // they are (un)reserved for. Errors: unknown or disconnected agent (kNotFound), not
  // enough free unreserved (or reserved) resources (kFailedPrecondition).
  Status reserve(const std::string& agentId, const Resources& resources);
  Status unreserve(const std::string& agentId, const Resources& resources);
  // Persistent volumes by the operator (volumes.cpp), validated here against the agent.
  // Errors: invalid volumes (kInvalidArgument), unknown or disconnected agent (kNotFound),
  // not enough free disk reserved to the role, or a volume in use (kFailedPrecondition).
  Status createVolumes(const std::string& agentId,
                       const google::protobuf::RepeatedPtrField<v1::Resource>& volumes);
  Status destroyVolumes(const std::string& agentId,
                        const google::protobuf::RepeatedPtrField<v1::Resource>& volumes);

  // Maintenance (maintenance.cpp). Errors: kInvalidArgument for a request that breaks a
  // rule (a DOWN machine left out of the schedule, a machine not DRAINING/DOWN).
  nlohmann::json maintenanceScheduleJson() const;
  nlohmann::json maintenanceStatusJson() const;
  // Replaces the schedule's windows (validated by parseScheduleRequest).
  Status updateMaintenanceSchedule(const internal::MaintenanceRecord& schedule);
  Status machinesDown(const std::vector<v1::MachineID>& machines);
  Status machinesUp(const std::vector<v1::MachineID>& machines);

  // Agent drain (drain.cpp). Errors: unknown agent (kNotFound), an agent that is not
  // draining (REACTIVATE, kFailedPrecondition).
  Status drainAgent(const std::string& agentId, const internal::DrainConfig& config);
  // No new offers from the agent (outstanding ones rescinded); its tasks keep running.
  Status deactivateAgent(const std::string& agentId);
  // MARK_AGENT_GONE (also the end of a drain with mark_gone): persisted, then the agent is
  // removed and its id refused from then on. Errors: unknown agent (kNotFound).
  Status markAgentGone(const std::string& agentId);
  Status reactivateAgent(const std::string& agentId);

 private:
  // /state in steps (state_assembly.cpp).
  void stepStateAssembly(std::shared_ptr<StateAssembly> assembly);
  // Each framework's pending reason; false when `yield(items)` ended the turn first.
  bool writePendingReasons(StateAssembly& assembly, const std::function<bool(size_t)>& yield);
  void finishStateAssembly(StateAssembly& assembly);
  // One agent as /state and /slaves show it: as text (for bulk output), or as a document.
  void appendAgentStateJson(std::string* out, const std::string& id, const AgentEntry& agent) const;
  nlohmann::json agentStateJson(const std::string& id, const AgentEntry& agent) const;
  // Takes the framework's active-task text out of `active`.
  nlohmann::json frameworkStateJson(const FrameworkEntry& framework,
                                    StateAssembly::FrameworkTasks& active,
                                    SplicedJson& document) const;
  // http_listing.cpp
  void stepTaskListing(std::shared_ptr<TaskListing> listing);
  // Visits tasks from the listing's cursor until the step's deadline; false if it yielded.
  bool walkTasks(TaskListing& listing, const std::function<bool()>& yield) const;
  nlohmann::json frameworkSummaryJson(const FrameworkEntry& framework, bool detailed) const;
  Master(EventLoop& loop, zmq::context_t& context, MasterOptions options,
         std::unique_ptr<Registrar> registrar);
  Status recover();
  Status bind();
  void onReadable();
  void dispatch(const std::string& identity, const v1::Envelope& envelope);
  void dropInvalid(const std::string& identity, const std::string& reason);

  void applyRecoveredRoles(const Registrar::Recovered& recovered);
  // After a restart: asks the recovered agents to re-register and the recovered frameworks
  // to SUBSCRIBE again, each once its connection is back (every 100 ms until all were
  // asked, or the agents' re-registration timeout).
  void askRecoveredPeersBack();
  Status saveQuotas();

  // agent_handlers.cpp
  void onAgentCall(const std::string& identity, const internal::AgentCall& call);
  void onRegisterAgent(const std::string& identity, const internal::AgentCall::Register& call);
  void onReregisterAgent(const std::string& identity,
                         const internal::AgentCall::Reregister& call);
  void onStatusUpdate(AgentEntry& agent, const internal::AgentCall::StatusUpdate& call);
  void onAgentHeartbeat(AgentEntry& agent);
  // Admits the agents registered since the last flush with one registry write.
  void flushAdmissions();
  void sendRegistered(const AgentEntry& agent);
  void adoptReportedTask(AgentEntry& agent, const v1::Task& reported);
  void resendWhatTheAgentMissed(const AgentEntry& agent,
                                const internal::AgentCall::Reregister& call);
  void checkAgentHealth();
  void markUnreachable(AgentEntry& agent, const std::string& why);
  void activateAgent(AgentEntry& agent, const std::string& identity);
  void addToAllocator(const AgentEntry& agent);
  internal::AgentRecord agentRecord(const AgentEntry& agent, double unreachableSince = 0) const;
  void sendToAgent(const AgentEntry& agent, const internal::AgentEvent& event);
  // False while nobody is connected with that identity (ROUTER_MANDATORY).
  bool sendReregisterRequest(const std::string& identity);
  AgentEntry* agentByIdentity(const std::string& identity, const std::string& claimedId);

  // scheduler_handlers.cpp
  void onSchedulerCall(const std::string& identity, const v1::scheduler::Call& call);
  void onSubscribe(const std::string& identity, const v1::scheduler::Call::Subscribe& call);
  void onAccept(FrameworkEntry& framework, const v1::scheduler::Call::Accept& call);
  // A LAUNCH_GROUP of an ACCEPT: launched whole, taking its resources from `remaining`,
  // or every task of it answered TASK_ERROR.
  void launchGroupInOffer(FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
                          const v1::scheduler::Call::Operation::LaunchGroup& launch,
                          Resources* remaining, std::set<std::string>* usedIds);
  // Why `executorId` cannot name a new pod of the framework on the agent, or nullopt.
  std::optional<std::string> podInUse(const FrameworkEntry& framework, const AgentEntry& agent,
                                      const std::string& executorId) const;
  // RESERVE / UNRESERVE inside an ACCEPT: (un)reserves `resources` out of what is left of
  // the accepted offers (`remaining`, updated). Returns why it is invalid, if it is.
  std::optional<std::string> changeReservationsInOffer(
      FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
      const google::protobuf::RepeatedPtrField<v1::Resource>& resources, bool reserve,
      Resources* remaining);
  // volumes.cpp: CREATE / DESTROY inside an ACCEPT, like `changeReservationsInOffer`.
  std::optional<std::string> changeVolumesInOffer(FrameworkEntry& framework, AgentEntry& agent,
                                                  const std::string& role,
                                                  const v1::scheduler::Call::Operation& op,
                                                  Resources* remaining);
  // Replaces the agent's volumes (and so its total) and persists them; on a registry error
  // nothing changed. The caller then rebuilds the agent in the allocator.
  Status setVolumes(AgentEntry& agent, const Resources& volumes);
  // `AgentEvent.checkpoint_resources` with the agent's volumes.
  void sendCheckpointedResources(const AgentEntry& agent);
  void onDecline(FrameworkEntry& framework, const v1::scheduler::Call::Decline& call);
  void onKill(FrameworkEntry& framework, const v1::scheduler::Call::Kill& call);
  void onAcknowledge(FrameworkEntry& framework, const v1::scheduler::Call::Acknowledge& call);
  void onReconcile(FrameworkEntry& framework, const v1::scheduler::Call::Reconcile& call);
  void checkFrameworkHealth();
  void disconnectFramework(FrameworkEntry& framework, const std::string& why);
  void removeFramework(const std::string& frameworkId, const std::string& why);
  FrameworkEntry& addFramework(const v1::FrameworkInfo& info, double registeredTime);
  // Roles from `framework.info`, told to the allocator.
  void setFrameworkRoles(FrameworkEntry& framework);
  void sendToFramework(const FrameworkEntry& framework, const v1::scheduler::Event& event);
  // False while nobody is connected with that identity (ROUTER_MANDATORY).
  bool sendError(const std::string& identity, const std::string& message, bool resubscribe);

  // offers.cpp
  void scheduleAllocation();
  void runAllocation(DrfAllocator::Scope scope);
  // Sends allocations [begin, begin + a slice) and posts the rest for the next loop turn.
  void sendOffers(std::shared_ptr<const std::vector<DrfAllocator::Allocation>> allocations,
                  size_t begin);
  // Removes the offer and returns its resources to the allocator.
  void removeOffer(const std::string& offerId, std::optional<Seconds> refuse);
  void rescindOffer(const std::string& offerId);
  void rescindOffersOf(const std::set<std::string>& offerIds);

  // maintenance.cpp
  // The schedule's machine that `agent` is on, if any (DRAINING or DOWN).
  const v1::MachineID* scheduledMachine(const v1::AgentInfo& agent) const;
  bool isMachineDown(const v1::MachineID& machine) const;
  bool onDownMachine(const v1::AgentInfo& agent) const;
  // Refuses an agent on a DOWN machine; it keeps its checkpoint and retries.
  void refuseDownAgent(const std::string& identity, const v1::AgentInfo& agent);
  std::optional<v1::Unavailability> unavailabilityOf(const AgentEntry& agent) const;
  Status saveMaintenance();
  // Sends inverse offers to the frameworks holding tasks or offers on DRAINING machines.
  void sendInverseOffers();
  void onInverseOfferAnswer(FrameworkEntry& framework,
                            const google::protobuf::RepeatedPtrField<v1::OfferID>& ids,
                            const v1::Filters& filters, bool accept);
  // Rescinds the outstanding inverse offers on the machines with these keys and forgets
  // the frameworks' answers there.
  void rescindInverseOffersOn(const std::set<std::string>& machineKeys);
  // Removes the agent for good (tasks LOST / GONE_BY_OPERATOR, executors shut down, out of
  // the registry); a `gone` agent is told to shut down, a DOWN one to wait for /machine/up.
  void removeAgentByOperator(AgentEntry& agent, const std::string& why, bool gone);
  void refuseGoneAgent(const std::string& identity, const std::string& agentId);

  // drain.cpp
  // Kills every live task on the agent with the drain's capped grace period. Without
  // `send` it only marks them (killRequested), for resendWhatTheAgentMissed to send.
  void killTasksForDrain(AgentEntry& agent, bool send = true);
  // DRAINING -> DRAINED once no task is live and every terminal update is acknowledged.
  void checkDrained(AgentEntry& agent);
  Status saveAgentRecord(const AgentEntry& agent);

  // tasks.cpp
  // `role`: the role the offers were allocated to.
  void launchTask(FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
                  const v1::TaskInfo& task, const Resources& resources);
  // A validated pod: its tasks recorded, one RunTaskGroup to the agent.
  void launchTaskGroup(FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
                       const v1::ExecutorInfo& executor, const v1::TaskGroupInfo& group);
  // The master's record of a task sent to an agent (STAGING); `executorId` for a pod's.
  void addLaunchedTask(FrameworkEntry& framework, AgentEntry& agent, const std::string& role,
                       const v1::TaskInfo& info, const Resources& resources,
                       const v1::ExecutorID* executorId);
  // The only ways in and out of `tasks_`, and to change a task's state (they keep
  // `tasksUsed_` and `tasksByState_` true).
  TaskEntry& addTaskEntry(const TaskKey& key, TaskEntry entry);
  // Returns the erased record (its counts already taken out).
  TaskEntry eraseTaskEntry(std::unordered_map<TaskKey, TaskEntry, TaskKeyHash>::iterator it);
  void setTaskState(TaskEntry& entry, v1::TaskState state);
  // Appends `status` to a recorded task's history (and drops its kept /state text).
  void recordTaskStatus(TaskEntry& entry, v1::TaskStatus status);
  // Applies a new status to a task; returns false when the task is unknown.
  bool updateTask(const TaskKey& key, const v1::TaskStatus& status);
  void completeTask(const TaskKey& key);
  void sendUpdate(FrameworkEntry& framework, v1::TaskStatus status);
  v1::TaskStatus masterStatus(const v1::TaskID& taskId, const std::string& agentId,
                              v1::TaskState state, v1::TaskStatus::Reason reason,
                              const std::string& message) const;

  EventLoop& loop_;
  MasterOptions options_;
  std::unique_ptr<Registrar> registrar_;
  RouterSocket router_;
  std::string zmqEndpoint_;
  std::string masterId_;
  double startTime_ = 0;
  Metrics metrics_;
  DrfAllocator allocator_;
  bool allocationPending_ = false;
  EventLoop::TimerId askRecoveredPeersTimer_ = 0;
  // Recovered agents not yet asked to re-register (by id), after a master restart.
  std::vector<std::string> agentsToAsk_;
  // Recovered frameworks not yet asked to SUBSCRIBE again (by id).
  std::vector<std::string> frameworksToAsk_;
  // When each connection was last asked to re-register. An agent asked once is not asked
  // again at every message it sends until its re-registration arrives: each answer is a
  // whole re-registration with all its tasks (at 10,000 agents after a master restart,
  // heartbeats in the meantime doubled the re-registrations).
  std::unordered_map<std::string, TimePoint> reregisterAsked_;
  std::set<std::string> goneAgents_;  // Marked gone by the operator (persisted).
  uint64_t nextOfferNumber_ = 0;
  // New agents waiting for their registry write, by ZeroMQ identity.
  std::map<std::string, std::unique_ptr<AgentEntry>> pendingAdmissions_;

  // Maintenance: the schedule and DOWN machines (persisted), outstanding inverse offers,
  // and the frameworks' answers per machine (machineKey -> framework id).
  internal::MaintenanceRecord maintenance_;
  struct InverseOfferEntry {
    std::string frameworkId;
    std::string agentId;
    std::string machineKey;
  };
  std::map<std::string, InverseOfferEntry> inverseOffers_;
  struct InverseOfferStatus {
    std::string status;  // UNKNOWN (outstanding), ACCEPT or DECLINE.
    double timestamp = 0;
    TimePoint quietUntil;  // No new inverse offer to the framework there before this.
  };
  std::map<std::string, std::map<std::string, InverseOfferStatus>> inverseOfferStatuses_;
  uint64_t nextInverseOfferNumber_ = 0;

  std::map<std::string, double> weights_;
  std::map<std::string, RoleQuota> quotas_;
  std::map<std::string, std::unique_ptr<AgentEntry>> agents_;
  std::map<std::string, std::unique_ptr<FrameworkEntry>> frameworks_;
  struct CompletedFramework {
    v1::FrameworkInfo info;
    std::deque<v1::Task> tasks;
  };
  std::deque<CompletedFramework> completedFrameworks_;
  static constexpr size_t kMaxRemovedFrameworks = 100000;
  std::set<std::string> removedFrameworks_;
  std::deque<std::string> removedOrder_;
  // Hash maps: these are looked up for every message, and their ids share long prefixes.
  std::unordered_map<TaskKey, TaskEntry, TaskKeyHash> tasks_;
  Resources tasksUsed_;  // Sum of the active tasks' resources (for the gauges).
  std::map<v1::TaskState, long> tasksByState_;  // For the gauges (polled: no walk).
  std::unordered_map<std::string, OfferEntry> offers_;
  // ZeroMQ identity -> agent or framework id (never trusted as an id by itself).
  std::unordered_map<std::string, std::string> agentIdentities_;
  std::unordered_map<std::string, std::string> frameworkIdentities_;
};

}  // namespace agora::master
