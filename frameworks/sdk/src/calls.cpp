#include "frameworks/sdk/src/calls.hpp"

namespace agora::sdk::calls {

using v1::scheduler::Event;

Call subscribe(const v1::FrameworkInfo& info) {
  Call call;
  *call.mutable_subscribe()->mutable_framework_info() = info;
  return call;
}

Call teardown() {
  Call call;
  call.mutable_teardown();
  return call;
}

Call heartbeat() {
  Call call;
  call.mutable_heartbeat();
  return call;
}

Call accept(const std::vector<v1::OfferID>& offerIds, const std::vector<Call::Operation>& ops,
            const v1::Filters& filters) {
  Call call;
  auto* accept = call.mutable_accept();
  for (const auto& id : offerIds) {
    *accept->add_offer_ids() = id;
  }
  for (const auto& op : ops) {
    *accept->add_operations() = op;
  }
  *accept->mutable_filters() = filters;
  return call;
}

Call::Operation launch(const std::vector<v1::TaskInfo>& tasks) {
  Call::Operation op;
  auto* launch = op.mutable_launch();
  for (const auto& task : tasks) {
    *launch->add_task_infos() = task;
  }
  return op;
}

Call answerInverseOffers(const std::vector<v1::OfferID>& ids, const v1::Filters& filters,
                         bool accept) {
  Call call;
  auto fill = [&](auto* answer) {
    for (const auto& id : ids) {
      *answer->add_inverse_offer_ids() = id;
    }
    *answer->mutable_filters() = filters;
  };
  if (accept) {
    fill(call.mutable_accept_inverse_offers());
  } else {
    fill(call.mutable_decline_inverse_offers());
  }
  return call;
}

Call decline(const v1::OfferID& offerId, const v1::Filters& filters) {
  Call call;
  *call.mutable_decline()->add_offer_ids() = offerId;
  *call.mutable_decline()->mutable_filters() = filters;
  return call;
}

Call kill(const v1::TaskID& taskId, const v1::AgentID& agentId, std::optional<double> grace) {
  Call call;
  auto* kill = call.mutable_kill();
  *kill->mutable_task_id() = taskId;
  *kill->mutable_agent_id() = agentId;
  if (grace.has_value()) {
    kill->mutable_kill_policy()->set_grace_period_seconds(*grace);
  }
  return call;
}

Call revive(const std::vector<std::string>& roles) {
  Call call;
  auto* revive = call.mutable_revive();
  for (const auto& role : roles) {
    revive->add_roles(role);
  }
  return call;
}

Call suppress(const std::vector<std::string>& roles) {
  Call call;
  auto* suppress = call.mutable_suppress();
  for (const auto& role : roles) {
    suppress->add_roles(role);
  }
  return call;
}

Call acknowledge(const v1::TaskStatus& status) {
  Call call;
  auto* ack = call.mutable_acknowledge();
  *ack->mutable_agent_id() = status.agent_id();
  *ack->mutable_task_id() = status.task_id();
  ack->set_uuid(status.uuid());
  return call;
}

Call reconcile(const std::vector<v1::TaskStatus>& statuses) {
  Call call;
  auto* reconcile = call.mutable_reconcile();
  for (const auto& status : statuses) {
    auto* task = reconcile->add_tasks();
    *task->mutable_task_id() = status.task_id();
    *task->mutable_agent_id() = status.agent_id();
  }
  return call;
}

Call message(const v1::AgentID& agentId, const v1::TaskID& taskId, const std::string& data) {
  Call call;
  auto* message = call.mutable_message();
  *message->mutable_agent_id() = agentId;
  *message->mutable_task_id() = taskId;
  message->set_data(data);
  return call;
}

v1::Envelope envelope(Call call, const std::optional<v1::FrameworkID>& frameworkId) {
  if (frameworkId.has_value()) {
    *call.mutable_framework_id() = *frameworkId;
  }
  v1::Envelope envelope;
  *envelope.mutable_call() = std::move(call);
  return envelope;
}

namespace {

std::optional<std::string> invalidOffer(const v1::Offer& offer) {
  if (offer.id().value().empty()) {
    return "offer without an id";
  }
  if (offer.agent_id().value().empty()) {
    return "offer " + offer.id().value() + " without an agent id";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> invalidEventReason(const Event& event) {
  switch (event.event_case()) {
    case Event::kSubscribed:
      if (event.subscribed().framework_id().value().empty()) {
        return "SUBSCRIBED without a framework id";
      }
      if (event.subscribed().heartbeat_interval_seconds() < 0) {
        return "SUBSCRIBED with a negative heartbeat interval";
      }
      return std::nullopt;
    case Event::kOffers:
      for (const auto& offer : event.offers().offers()) {
        if (auto reason = invalidOffer(offer)) {
          return reason;
        }
      }
      for (const auto& inverse : event.offers().inverse_offers()) {
        if (inverse.id().value().empty() || inverse.agent_id().value().empty()) {
          return "inverse offer without an id or an agent id";
        }
      }
      return std::nullopt;
    case Event::kRescindInverseOffer:
      if (event.rescind_inverse_offer().inverse_offer_id().value().empty()) {
        return "RESCIND_INVERSE_OFFER without an inverse offer id";
      }
      return std::nullopt;
    case Event::kRescind:
      if (event.rescind().offer_id().value().empty()) {
        return "RESCIND without an offer id";
      }
      return std::nullopt;
    case Event::kUpdate:
      if (event.update().status().task_id().value().empty()) {
        return "UPDATE without a task id";
      }
      if (!event.update().status().uuid().empty() &&
          event.update().status().agent_id().value().empty()) {
        return "UPDATE with a uuid but no agent id (cannot be acknowledged)";
      }
      return std::nullopt;
    case Event::kFailure:
      if (event.failure().agent_id().value().empty()) {
        return "FAILURE without an agent id";
      }
      return std::nullopt;
    case Event::kMessage:
    case Event::kError:
    case Event::kHeartbeat:
      return std::nullopt;
    case Event::EVENT_NOT_SET:
      break;
  }
  return "event with no payload";
}

}  // namespace agora::sdk::calls
