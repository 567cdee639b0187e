// The offer cycle: allocation passes, offers out, offers back (accept, decline, timeout,
// rescind).
#include <algorithm>
#include <memory>

#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "master/master.hpp"

namespace agora::master {

void Master::scheduleAllocation() {
  // Events (freed resources, a new framework, REVIVE) trigger a pass as soon as the loop
  // has handled what is already queued, so many events in one burst share one pass.
  if (allocationPending_) {
    return;
  }
  allocationPending_ = true;
  loop_.post([this] { runAllocation(DrfAllocator::Scope::kChanged); });
}

void Master::runAllocation(DrfAllocator::Scope scope) {
  if (scope == DrfAllocator::Scope::kChanged) {
    allocationPending_ = false;
  }
  // A sweep of every agent goes this many agents per loop turn (a few milliseconds), so
  // agents' and frameworks' messages are handled in between.
  constexpr size_t kAgentsPerTurn = 250;
  auto start = std::chrono::steady_clock::now();
  std::vector<DrfAllocator::Allocation> allocations =
      allocator_.allocate(loop_.now(), scope, kAgentsPerTurn);
  if (allocator_.sweeping()) {
    scheduleAllocation();
  }
  double millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  metrics_.set(scope == DrfAllocator::Scope::kAll ? "allocator/allocation_run_ms"
                                                  : "allocator/event_allocation_run_ms",
               millis);
  metrics_.increment("allocator/allocation_runs");
  sendOffers(std::make_shared<std::vector<DrfAllocator::Allocation>>(std::move(allocations)), 0);
  sendInverseOffers();
}

void Master::sendOffers(std::shared_ptr<const std::vector<DrfAllocator::Allocation>> allocations,
                        size_t begin) {
  // A pass over 10,000 agents can hand out 10,000 offers: send them a slice per loop turn
  // so agents' and frameworks' messages are handled in between (the resources are already
  // accounted for; an offer whose framework or agent left meanwhile goes back below).
  constexpr size_t kOffersPerTurn = 200;
  size_t end = std::min(allocations->size(), begin + kOffersPerTurn);
  if (end < allocations->size()) {
    loop_.post([this, allocations, end] { sendOffers(allocations, end); });
  }
  std::map<std::string, v1::scheduler::Event> events;
  for (size_t i = begin; i < end; ++i) {
    const DrfAllocator::Allocation& allocation = (*allocations)[i];
    auto framework = frameworks_.find(allocation.frameworkId);
    auto agent = agents_.find(allocation.agentId);
    if (framework == frameworks_.end() || agent == agents_.end()) {
      allocator_.recover(allocation.frameworkId, allocation.role, allocation.agentId,
                         allocation.resources);
      continue;
    }
    OfferEntry entry;
    entry.frameworkId = allocation.frameworkId;
    entry.agentId = allocation.agentId;
    entry.role = allocation.role;
    entry.resources = allocation.resources;
    v1::Offer& offer = entry.offer;
    // Unique per master run without a syscall per offer (thousands per pass at scale).
    offer.mutable_id()->set_value("O" + masterId_.substr(0, 12) + "-" +
                                  std::to_string(nextOfferNumber_++));
    offer.mutable_framework_id()->set_value(allocation.frameworkId);
    offer.mutable_agent_id()->set_value(allocation.agentId);
    offer.set_hostname(agent->second->info.hostname());
    allocation.resources.toProto(offer.mutable_resources());
    *offer.mutable_attributes() = agent->second->info.attributes();
    offer.mutable_allocation_info()->set_role(allocation.role);
    offer.set_agent_http_address(agent->second->httpAddress());
    if (agent->second->info.has_domain()) {
      *offer.mutable_domain() = agent->second->info.domain();
    }
    if (auto unavailability = unavailabilityOf(*agent->second)) {
      *offer.mutable_unavailability() = *unavailability;
    }
    std::string offerId = offer.id().value();
    if (options_.offerTimeout.count() > 0) {
      entry.timeoutTimer = loop_.runAfter(options_.offerTimeout, [this, offerId] {
        LOG(INFO) << "Offer " << offerId << " timed out";
        rescindOffer(offerId);
      });
    }
    *events[allocation.frameworkId].mutable_offers()->add_offers() = offer;
    framework->second->offers.insert(offerId);
    agent->second->offers.insert(offerId);
    offers_[offerId] = std::move(entry);
    metrics_.increment("master/offers_sent");
  }
  for (const auto& [frameworkId, event] : events) {
    sendToFramework(*frameworks_.at(frameworkId), event);
  }
}

void Master::removeOffer(const std::string& offerId, std::optional<Seconds> refuse) {
  auto it = offers_.find(offerId);
  if (it == offers_.end()) {
    return;
  }
  OfferEntry& entry = it->second;
  loop_.cancel(entry.timeoutTimer);
  std::optional<TimePoint> until;
  if (refuse && refuse->count() > 0) {
    until = loop_.now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(*refuse);
  }
  allocator_.recover(entry.frameworkId, entry.role, entry.agentId, entry.resources, until);
  auto framework = frameworks_.find(entry.frameworkId);
  if (framework != frameworks_.end()) {
    framework->second->offers.erase(offerId);
  }
  auto agent = agents_.find(entry.agentId);
  if (agent != agents_.end()) {
    agent->second->offers.erase(offerId);
  }
  offers_.erase(it);
}

void Master::rescindOffer(const std::string& offerId) {
  auto it = offers_.find(offerId);
  if (it == offers_.end()) {
    return;
  }
  auto framework = frameworks_.find(it->second.frameworkId);
  if (framework != frameworks_.end()) {
    v1::scheduler::Event event;
    event.mutable_rescind()->mutable_offer_id()->set_value(offerId);
    sendToFramework(*framework->second, event);
  }
  removeOffer(offerId, std::nullopt);
  scheduleAllocation();
}

void Master::rescindOffersOf(const std::set<std::string>& offerIds) {
  // Copy: rescinding edits the set being iterated.
  for (const std::string& offerId : std::set<std::string>(offerIds)) {
    rescindOffer(offerId);
  }
}

}  // namespace agora::master
