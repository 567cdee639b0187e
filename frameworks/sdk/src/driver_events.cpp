// Events from the master: decoding, validation and delivery to the `Scheduler`.
#include <glog/logging.h>

#include <vector>

#include "frameworks/sdk/src/calls.hpp"
#include "frameworks/sdk/src/driver_impl.hpp"

namespace agora::sdk {

using v1::scheduler::Event;

void DriverImpl::onReadable() {
  while (dealer_ != nullptr && state_ != State::kStopped) {
    auto received = dealer_->receive();
    if (!received.has_value()) {
      return;
    }
    if (!received->isOk()) {
      LOG(WARNING) << "Dropping a malformed message from the master: "
                   << received->status().message();
      continue;
    }
    const v1::Envelope& envelope = received->value();
    if (envelope.body_case() != v1::Envelope::kEvent) {
      LOG(WARNING) << "Dropping a message from the master that is not a scheduler Event (body "
                   << envelope.body_case() << ")";
      continue;
    }
    if (auto reason = calls::invalidEventReason(envelope.event())) {
      LOG(WARNING) << "Dropping a malformed event from the master: " << *reason;
      continue;
    }
    lastHeard_ = loop_.now();
    onEvent(envelope.event());
  }
}

void DriverImpl::onEvent(const Event& event) {
  VLOG(2) << "Received " << event.ShortDebugString();
  switch (event.event_case()) {
    case Event::kSubscribed:
      onSubscribed(event.subscribed());
      return;
    case Event::kError:
      onError(event.error());
      return;
    case Event::kHeartbeat:
      return;
    default:
      break;
  }
  // Everything else is about a subscription this connection must already have.
  if (state_ != State::kSubscribed) {
    LOG(WARNING) << "Dropping event " << event.event_case() << " received while "
                 << stateName(state_);
    return;
  }
  switch (event.event_case()) {
    case Event::kOffers: {
      std::vector<v1::Offer> offers(event.offers().offers().begin(), event.offers().offers().end());
      if (!offers.empty()) {
        scheduler_->resourceOffers(owner_, offers);
      }
      std::vector<v1::InverseOffer> inverse(event.offers().inverse_offers().begin(),
                                            event.offers().inverse_offers().end());
      if (!inverse.empty()) {
        scheduler_->inverseOffers(owner_, inverse);
      }
      return;
    }
    case Event::kRescindInverseOffer:
      scheduler_->inverseOfferRescinded(owner_,
                                        event.rescind_inverse_offer().inverse_offer_id());
      return;
    case Event::kRescind:
      scheduler_->offerRescinded(owner_, event.rescind().offer_id());
      return;
    case Event::kUpdate:
      onUpdate(event.update().status());
      return;
    case Event::kMessage:
      scheduler_->frameworkMessage(owner_, event.message().agent_id(), event.message().data());
      return;
    case Event::kFailure:
      scheduler_->agentLost(owner_, event.failure().agent_id());
      return;
    default:
      return;
  }
}

void DriverImpl::onSubscribed(const Event::Subscribed& subscribed) {
  if (state_ == State::kSubscribed && id_.has_value() &&
      id_->value() == subscribed.framework_id().value()) {
    VLOG(1) << "Ignoring a duplicate SUBSCRIBED";
    return;
  }
  if (state_ != State::kSubscribing) {
    LOG(WARNING) << "Dropping SUBSCRIBED received while " << stateName(state_);
    return;
  }
  setFrameworkId(subscribed.framework_id());
  heartbeatInterval_ = subscribed.heartbeat_interval_seconds() > 0
                           ? DriverOptions::Seconds(subscribed.heartbeat_interval_seconds())
                           : options_.defaultHeartbeatInterval;
  cancelTimers();
  transitionTo(State::kSubscribed);
  LOG(INFO) << "Subscribed as framework " << id_->value() << " to master "
            << subscribed.master_id().value() << "; heartbeat every " << heartbeatInterval_.count()
            << "s";
  lastHeard_ = loop_.now();
  heartbeatTimer_ = loop_.runEvery(heartbeatInterval_, [this] { onHeartbeatTick(); });
  scheduler_->subscribed(owner_, subscribed.framework_id(), subscribed.master_id());
}

void DriverImpl::onUpdate(const v1::TaskStatus& status) {
  switch (updates_.check(status)) {
    case UpdateFilter::Verdict::kAcknowledged:
      VLOG(1) << "Re-acknowledging a retried update of task " << status.task_id().value();
      send(calls::acknowledge(status));
      return;
    case UpdateFilter::Verdict::kAwaitingAcknowledgement:
      VLOG(1) << "Dropping a retried update of task " << status.task_id().value()
              << " that the scheduler has yet to acknowledge";
      return;
    case UpdateFilter::Verdict::kNew:
      break;
  }
  updates_.markDelivered(status);
  scheduler_->statusUpdate(owner_, status);
  if (options_.acks == AckMode::kImplicit && !status.uuid().empty()) {
    sendAcknowledgement(status);
  }
}

void DriverImpl::sendAcknowledgement(const v1::TaskStatus& status) {
  updates_.markAcknowledged(status);
  if (state_ == State::kSubscribed) {
    send(calls::acknowledge(status));
  }
}

void DriverImpl::onError(const Event::Error& error) {
  if (error.resubscribe()) {
    if (state_ == State::kSubscribing) {
      // A SUBSCRIBE is already on its way; several calls in flight draw several errors.
      VLOG(1) << "Ignoring error while subscribing: " << error.message();
      return;
    }
    LOG(WARNING) << "Master asks to re-subscribe: " << error.message();
    bool wasSubscribed = state_ == State::kSubscribed;
    cancelTimers();
    subscribe();
    if (wasSubscribed) {
      scheduler_->disconnected(owner_);
    }
    return;
  }
  LOG(ERROR) << "Fatal error from the master: " << error.message();
  scheduler_->error(owner_, error.message());
  shutdown(FailoverMode::kFailover,
           Status::error(StatusCode::kFailedPrecondition, "master error: " + error.message()));
}

}  // namespace agora::sdk
