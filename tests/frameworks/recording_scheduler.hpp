// `RecordingScheduler`: a `Scheduler` that records every callback for tests to wait on,
// and can run a test-supplied reaction to offers (e.g. launch a task).
//
// Thread-safety: callbacks come from the driver's loop thread; `waitFor` and the
// accessors may be called from the test thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "agora/sdk/scheduler_driver.hpp"

namespace agora::testing {

class RecordingScheduler : public sdk::Scheduler {
 public:
  struct Record {
    std::vector<v1::FrameworkID> subscriptions;
    std::vector<v1::Offer> offers;
    std::vector<v1::InverseOffer> inverseOffers;
    std::vector<v1::OfferID> rescindedInverseOffers;
    std::vector<v1::TaskStatus> updates;
    std::vector<std::string> errors;
    int disconnects = 0;
  };

  std::function<void(sdk::SchedulerDriver*, const std::vector<v1::Offer>&)> onOffers;
  std::function<void(sdk::SchedulerDriver*, const std::vector<v1::InverseOffer>&)>
      onInverseOffers;

  void subscribed(sdk::SchedulerDriver* d, const v1::FrameworkID& id,
                  const v1::MasterID& master) override {
    change([&](Record& r) { r.subscriptions.push_back(id); });
  }
  void resourceOffers(sdk::SchedulerDriver* d, const std::vector<v1::Offer>& offers) override {
    if (onOffers) {
      onOffers(d, offers);
    }
    change([&](Record& r) { r.offers.insert(r.offers.end(), offers.begin(), offers.end()); });
  }
  void inverseOffers(sdk::SchedulerDriver* d,
                     const std::vector<v1::InverseOffer>& inverseOffers) override {
    if (onInverseOffers) {
      onInverseOffers(d, inverseOffers);
    }
    change([&](Record& r) {
      r.inverseOffers.insert(r.inverseOffers.end(), inverseOffers.begin(), inverseOffers.end());
    });
  }
  void inverseOfferRescinded(sdk::SchedulerDriver* d, const v1::OfferID& id) override {
    change([&](Record& r) { r.rescindedInverseOffers.push_back(id); });
  }
  void statusUpdate(sdk::SchedulerDriver* d, const v1::TaskStatus& status) override {
    change([&](Record& r) { r.updates.push_back(status); });
  }
  void disconnected(sdk::SchedulerDriver* d) override {
    change([&](Record& r) { ++r.disconnects; });
  }
  void error(sdk::SchedulerDriver* d, const std::string& message) override {
    change([&](Record& r) { r.errors.push_back(message); });
  }

  // Waits until `done(record)` holds; false on timeout.
  bool waitFor(const std::function<bool(const Record&)>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(record_); });
  }
  Record snapshot() {
    std::lock_guard<std::mutex> lock(mutex_);
    return record_;
  }

 private:
  void change(const std::function<void(Record&)>& fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    fn(record_);
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  Record record_;
};

}  // namespace agora::testing
