// Connection lifecycle of the driver: discovery, subscription, heartbeats, loss, shutdown.
#include "frameworks/sdk/src/driver_impl.hpp"

#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "frameworks/sdk/src/calls.hpp"

namespace agora::sdk {

namespace {
// How long a TEARDOWN may take to leave the process once the driver stops.
constexpr int kTeardownLingerMillis = 2000;
}  // namespace

DriverImpl::DriverImpl(SchedulerDriver* owner, Scheduler* scheduler, DriverOptions options)
    : owner_(owner),
      scheduler_(scheduler),
      options_(std::move(options)),
      updates_(options_.rememberedUpdates) {
  if (!options_.framework.id().value().empty()) {
    setFrameworkId(options_.framework.id());
  }
}

DriverImpl::~DriverImpl() {
  if (thread_.joinable()) {
    stop(FailoverMode::kFailover);
    join().ignoreError();
  }
}

Status DriverImpl::start() {
  auto master = parseHostPort(options_.master);
  if (!master.isOk()) {
    return master.status().withContext("invalid master address");
  }
  if (started_.exchange(true)) {
    return Status::error(StatusCode::kFailedPrecondition, "the driver was already started");
  }
  master_ = *master;
  loop_.post([this] { discover(); });
  thread_ = std::thread([this] {
    loop_.run();
    // Sockets belong to this thread: close them here. Closing the context waits for a
    // lingering TEARDOWN to leave.
    if (dealer_ != nullptr) {
      loop_.unwatchSocket(dealer_->socket());
      dealer_.reset();
    }
    context_.close();
  });
  return Status::ok();
}

Status DriverImpl::join() {
  std::lock_guard<std::mutex> lock(joinMutex_);
  if (!started_) {
    return Status::error(StatusCode::kFailedPrecondition, "the driver was not started");
  }
  if (thread_.joinable()) {
    CHECK(thread_.get_id() != std::this_thread::get_id())
        << "SchedulerDriver::join() called from a Scheduler callback";
    thread_.join();
  }
  return fatal_;
}

void DriverImpl::stop(FailoverMode mode) {
  loop_.post([this, mode] { shutdown(mode, Status::ok()); });
}

std::optional<v1::FrameworkID> DriverImpl::frameworkId() const {
  std::lock_guard<std::mutex> lock(idMutex_);
  return publishedId_;
}

void DriverImpl::setFrameworkId(const v1::FrameworkID& id) {
  id_ = id;
  std::lock_guard<std::mutex> lock(idMutex_);
  publishedId_ = id;
}

const char* DriverImpl::stateName(State state) {
  switch (state) {
    case State::kIdle:
      return "IDLE";
    case State::kDiscovering:
      return "DISCOVERING";
    case State::kSubscribing:
      return "SUBSCRIBING";
    case State::kSubscribed:
      return "SUBSCRIBED";
    case State::kStopped:
      return "STOPPED";
  }
  return "?";
}

void DriverImpl::transitionTo(State next) {
  // Every state may go to kStopped; kIdle is never re-entered.
  CHECK(next != State::kIdle) << "illegal driver transition to IDLE";
  CHECK(state_ != State::kStopped) << "driver transition out of STOPPED";
  LOG(INFO) << "Scheduler driver " << stateName(state_) << " -> " << stateName(next);
  state_ = next;
}

void DriverImpl::discover() {
  if (state_ == State::kStopped) {
    return;
  }
  if (state_ != State::kDiscovering) {
    transitionTo(State::kDiscovering);
  }
  auto endpoint = discoverMasterEndpoint(master_);
  if (!endpoint.isOk()) {
    LOG(WARNING) << "Master at " << master_.toString()
                 << " is unreachable, retrying: " << endpoint.status().message();
    retryTimer_ = loop_.runAfter(options_.discoveryRetry, [this] { discover(); });
    return;
  }
  connect(*endpoint);
}

void DriverImpl::connect(const std::string& endpoint) {
  // A new identity per connection: the master maps identities to frameworks, and a stale
  // mapping from a previous connection must never be reused (docs/contracts.md).
  auto dealer = std::make_unique<DealerSocket>(context_, "fw-" + newUuid());
  Status connected = dealer->connect(endpoint);
  if (!connected.isOk()) {
    LOG(WARNING) << "Cannot connect to the master, retrying: " << connected.message();
    retryTimer_ = loop_.runAfter(options_.discoveryRetry, [this] { discover(); });
    return;
  }
  dealer_ = std::move(dealer);
  loop_.watchSocket(dealer_->socket(), [this] { onReadable(); });
  LOG(INFO) << "Connected to the master at " << endpoint << " as " << dealer_->identity();
  subscribe();
}

void DriverImpl::subscribe() {
  transitionTo(State::kSubscribing);
  v1::FrameworkInfo info = options_.framework;
  if (id_.has_value()) {
    *info.mutable_id() = *id_;
  }
  if (!send(calls::subscribe(info))) {
    LOG(WARNING) << "Cannot queue SUBSCRIBE";
  }
  loop_.cancel(retryTimer_);
  retryTimer_ = loop_.runAfter(options_.subscribeTimeout, [this] { onSubscribeTimeout(); });
}

void DriverImpl::onSubscribeTimeout() {
  if (state_ == State::kSubscribing) {
    masterLost("no SUBSCRIBED within " + std::to_string(options_.subscribeTimeout.count()) + "s");
  }
}

void DriverImpl::onHeartbeatTick() {
  if (state_ != State::kSubscribed) {
    return;
  }
  auto silence = loop_.now() - lastHeard_;
  if (silence > options_.missedHeartbeats * heartbeatInterval_) {
    masterLost("no message for " + std::to_string(std::chrono::duration<double>(silence).count()) +
               "s");
    return;
  }
  send(calls::heartbeat());
}

void DriverImpl::masterLost(const std::string& why) {
  bool wasSubscribed = state_ == State::kSubscribed;
  LOG(WARNING) << "Lost the master (" << why << "); finding it again";
  dropConnection();
  transitionTo(State::kDiscovering);
  if (wasSubscribed) {
    scheduler_->disconnected(owner_);
  }
  if (state_ == State::kDiscovering) {  // The callback may have stopped the driver.
    discover();
  }
}

void DriverImpl::dropConnection() {
  cancelTimers();
  if (dealer_ != nullptr) {
    loop_.unwatchSocket(dealer_->socket());
    dealer_.reset();
  }
}

void DriverImpl::cancelTimers() {
  loop_.cancel(retryTimer_);
  loop_.cancel(heartbeatTimer_);
  retryTimer_ = heartbeatTimer_ = 0;
}

void DriverImpl::shutdown(FailoverMode mode, Status status) {
  if (state_ == State::kStopped) {
    return;
  }
  if (mode == FailoverMode::kTeardown) {
    if (dealer_ != nullptr && id_.has_value()) {
      send(calls::teardown());
      dealer_->socket()->set(zmq::sockopt::linger, kTeardownLingerMillis);
      LOG(INFO) << "Sent TEARDOWN for framework " << id_->value();
    } else {
      LOG(WARNING) << "Cannot tear the framework down: not connected to the master; it is "
                      "removed after its failover timeout";
    }
  }
  cancelTimers();
  fatal_ = std::move(status);
  transitionTo(State::kStopped);
  loop_.stop();
}

bool DriverImpl::send(v1::scheduler::Call call) {
  if (dealer_ == nullptr) {
    return false;
  }
  VLOG(2) << "Sending " << call.ShortDebugString();
  bool sent = dealer_->send(calls::envelope(std::move(call), id_));
  if (!sent) {
    LOG(WARNING) << "Cannot send to the master (queue full)";
  }
  return sent;
}

void DriverImpl::sendWhenSubscribed(std::string what, v1::scheduler::Call call) {
  loop_.post([this, what = std::move(what), call = std::move(call)]() mutable {
    if (state_ != State::kSubscribed) {
      LOG(WARNING) << "Dropping " << what << ": not subscribed (" << stateName(state_) << ")";
      return;
    }
    send(std::move(call));
  });
}

void DriverImpl::acknowledge(v1::TaskStatus status) {
  loop_.post([this, status = std::move(status)] {
    if (status.uuid().empty()) {
      VLOG(1) << "Ignoring acknowledgement of an update without uuid for task "
              << status.task_id().value();
      return;
    }
    updates_.markAcknowledged(status);
    if (state_ != State::kSubscribed) {
      LOG(WARNING) << "Dropping ACKNOWLEDGE of task " << status.task_id().value()
                   << ": not subscribed; the update will be retried and re-acknowledged";
      return;
    }
    send(calls::acknowledge(status));
  });
}

}  // namespace agora::sdk
