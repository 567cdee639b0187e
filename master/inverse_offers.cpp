// Inverse offers (Mesos' maintenance primitives): frameworks holding tasks or offers on a
// DRAINING machine are asked to leave it; their answers are shown in /maintenance/status.
#include <glog/logging.h>

#include "common/base/ids.hpp"
#include "master/maintenance_requests.hpp"
#include "master/master.hpp"
#include "master/validation.hpp"

namespace agora::master {

void Master::sendInverseOffers() {
  if (maintenance_.windows_size() == 0) {
    return;
  }
  TimePoint now = loop_.now();
  std::set<std::pair<std::string, std::string>> outstanding;  // (framework, agent)
  for (auto it = inverseOffers_.begin(); it != inverseOffers_.end();) {
    // One made to a connection that is gone will never be answered: forget it, so the
    // framework is asked again once it is back.
    auto framework = frameworks_.find(it->second.frameworkId);
    if (framework == frameworks_.end() || framework->second->state != FrameworkState::kConnected ||
        !agents_.count(it->second.agentId)) {
      it = inverseOffers_.erase(it);
      continue;
    }
    outstanding.insert({it->second.frameworkId, it->second.agentId});
    ++it;
  }
  std::map<std::string, v1::scheduler::Event> events;
  for (const auto& [agentId, agent] : agents_) {
    const v1::MachineID* machine = scheduledMachine(agent->info);
    if (machine == nullptr || agent->state != AgentState::kRegistered || isMachineDown(*machine)) {
      continue;
    }
    std::set<std::string> holders;
    for (const TaskKey& key : agent->tasks) {
      holders.insert(key.first);
    }
    for (const std::string& offerId : agent->offers) {
      holders.insert(offers_.at(offerId).frameworkId);
    }
    std::string key = machineKey(*machine);
    for (const std::string& frameworkId : holders) {
      auto framework = frameworks_.find(frameworkId);
      if (framework == frameworks_.end() ||
          framework->second->state != FrameworkState::kConnected ||
          outstanding.count({frameworkId, agentId})) {
        continue;
      }
      auto& answers = inverseOfferStatuses_[key];
      auto answer = answers.find(frameworkId);
      if (answer != answers.end() && now < answer->second.quietUntil) {
        continue;
      }
      if (answer == answers.end()) {
        answers[frameworkId] = InverseOfferStatus{"UNKNOWN", wallSeconds(), now};
      }
      std::string id =
          "I" + masterId_.substr(0, 12) + "-" + std::to_string(nextInverseOfferNumber_++);
      v1::InverseOffer* offer = events[frameworkId].mutable_offers()->add_inverse_offers();
      offer->mutable_id()->set_value(id);
      offer->mutable_framework_id()->set_value(frameworkId);
      offer->mutable_agent_id()->set_value(agentId);
      offer->set_hostname(agent->info.hostname());
      *offer->mutable_unavailability() = *unavailabilityOf(*agent);
      inverseOffers_[id] = InverseOfferEntry{frameworkId, agentId, key};
      metrics_.increment("master/inverse_offers_sent");
    }
  }
  for (const auto& [frameworkId, event] : events) {
    sendToFramework(*frameworks_.at(frameworkId), event);
  }
}

void Master::onInverseOfferAnswer(FrameworkEntry& framework,
                                  const google::protobuf::RepeatedPtrField<v1::OfferID>& ids,
                                  const v1::Filters& filters, bool accept) {
  std::optional<double> refuse = refuseSeconds(filters);
  if (!refuse) {
    LOG(WARNING) << "Framework " << framework.id
                 << ": inverse offer answer with an invalid refuse_seconds; using 5";
    metrics_.increment("master/invalid_calls");
  }
  auto quiet = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      Seconds(refuse.value_or(5.0)));
  for (const auto& id : ids) {
    auto it = inverseOffers_.find(id.value());
    if (it == inverseOffers_.end() || it->second.frameworkId != framework.id) {
      LOG(WARNING) << "Framework " << framework.id << " answered unknown inverse offer "
                   << id.value();
      continue;
    }
    inverseOfferStatuses_[it->second.machineKey][framework.id] =
        InverseOfferStatus{accept ? "ACCEPT" : "DECLINE", wallSeconds(), loop_.now() + quiet};
    inverseOffers_.erase(it);
  }
}

void Master::rescindInverseOffersOn(const std::set<std::string>& machineKeys) {
  for (auto it = inverseOffers_.begin(); it != inverseOffers_.end();) {
    if (!machineKeys.count(it->second.machineKey)) {
      ++it;
      continue;
    }
    auto framework = frameworks_.find(it->second.frameworkId);
    if (framework != frameworks_.end()) {
      v1::scheduler::Event event;
      event.mutable_rescind_inverse_offer()->mutable_inverse_offer_id()->set_value(it->first);
      sendToFramework(*framework->second, event);
    }
    it = inverseOffers_.erase(it);
  }
  for (const std::string& key : machineKeys) {
    inverseOfferStatuses_.erase(key);
  }
}

}  // namespace agora::master
