// Pure builders for scheduler `Call`s and a validator for incoming `Event`s: no sockets, so
// tests can check the wire shape directly.
//
// Thread-compatible free functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agora/v1/envelope.pb.h"
#include "agora/v1/scheduler.pb.h"

namespace agora::sdk::calls {

using v1::scheduler::Call;

Call subscribe(const v1::FrameworkInfo& info);
Call teardown();
Call heartbeat();
Call accept(const std::vector<v1::OfferID>& offerIds, const std::vector<Call::Operation>& ops,
            const v1::Filters& filters);
Call::Operation launch(const std::vector<v1::TaskInfo>& tasks);
Call decline(const v1::OfferID& offerId, const v1::Filters& filters);
// ACCEPT_INVERSE_OFFERS (`accept`) or DECLINE_INVERSE_OFFERS.
Call answerInverseOffers(const std::vector<v1::OfferID>& ids, const v1::Filters& filters,
                         bool accept);
Call kill(const v1::TaskID& taskId, const v1::AgentID& agentId, std::optional<double> grace);
Call revive(const std::vector<std::string>& roles);
Call suppress(const std::vector<std::string>& roles);
Call acknowledge(const v1::TaskStatus& status);
Call reconcile(const std::vector<v1::TaskStatus>& statuses);
Call message(const v1::AgentID& agentId, const v1::TaskID& taskId, const std::string& data);

// Wraps `call` in an envelope, stamping `frameworkId` (required on every call but the
// first SUBSCRIBE, harmless on a re-subscription).
v1::Envelope envelope(Call call, const std::optional<v1::FrameworkID>& frameworkId);

// Why an event from the master cannot be used, or nullopt when it is well formed.
std::optional<std::string> invalidEventReason(const v1::scheduler::Event& event);

}  // namespace agora::sdk::calls
