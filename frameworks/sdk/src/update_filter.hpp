// `UpdateFilter`: remembers which status updates (task id, uuid) the scheduler has already
// seen and which of those were acknowledged, so a retried update reaches the scheduler once
// (docs/contracts.md, "Status updates"). Bounded: the oldest entries are forgotten first.
//
// Thread-compatible; the driver uses it on its loop thread only.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>

#include "agora/v1/common.pb.h"

namespace agora::sdk {

class UpdateFilter {
 public:
  enum class Verdict {
    kNew,                      // Deliver it.
    kAwaitingAcknowledgement,  // Delivered, not yet acknowledged (explicit mode): drop it.
    kAcknowledged,             // Already acknowledged: drop it and acknowledge again.
  };

  explicit UpdateFilter(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Updates without a uuid (master-generated) are always `kNew`: they cannot be told apart.
  Verdict check(const v1::TaskStatus& status) const;
  void markDelivered(const v1::TaskStatus& status);
  void markAcknowledged(const v1::TaskStatus& status);
  size_t size() const { return entries_.size(); }

 private:
  static std::string keyOf(const v1::TaskStatus& status);
  void remember(const std::string& key, bool acknowledged);

  size_t capacity_;
  std::unordered_map<std::string, bool> entries_;  // key -> acknowledged
  std::deque<std::string> order_;                  // Insertion order, for eviction.
};

}  // namespace agora::sdk
