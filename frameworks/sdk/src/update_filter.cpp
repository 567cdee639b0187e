#include "frameworks/sdk/src/update_filter.hpp"

namespace agora::sdk {

std::string UpdateFilter::keyOf(const v1::TaskStatus& status) {
  // A NUL cannot occur in a task id given as text, so the key is unambiguous.
  return status.task_id().value() + std::string(1, '\0') + status.uuid();
}

UpdateFilter::Verdict UpdateFilter::check(const v1::TaskStatus& status) const {
  if (status.uuid().empty()) {
    return Verdict::kNew;
  }
  auto it = entries_.find(keyOf(status));
  if (it == entries_.end()) {
    return Verdict::kNew;
  }
  return it->second ? Verdict::kAcknowledged : Verdict::kAwaitingAcknowledgement;
}

void UpdateFilter::markDelivered(const v1::TaskStatus& status) {
  if (!status.uuid().empty()) {
    remember(keyOf(status), false);
  }
}

void UpdateFilter::markAcknowledged(const v1::TaskStatus& status) {
  if (!status.uuid().empty()) {
    remember(keyOf(status), true);
  }
}

void UpdateFilter::remember(const std::string& key, bool acknowledged) {
  auto [it, inserted] = entries_.try_emplace(key, acknowledged);
  if (!inserted) {
    it->second = it->second || acknowledged;
    return;
  }
  order_.push_back(key);
  while (order_.size() > capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace agora::sdk
