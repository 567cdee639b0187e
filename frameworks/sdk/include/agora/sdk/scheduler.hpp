// `Scheduler`: the callbacks a framework implements (after Mesos' `mesos::Scheduler`).
//
// Thread-safety: every callback is invoked on the driver's loop thread, one at a time, so a
// scheduler that is only touched from its callbacks needs no lock. Callbacks may call any
// `SchedulerDriver` method (they post to the loop) but must not call `join()` or `run()`,
// which would wait for the very thread they run on. A callback that blocks delays every
// other event, heartbeats included: keep them short.
#pragma once

#include <string>
#include <vector>

#include "agora/v1/common.pb.h"

namespace agora::sdk {

class SchedulerDriver;

class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // The master accepted the subscription. Called again after every re-subscription (after a
  // lost connection or a master restart); `id` is the same each time.
  virtual void subscribed(SchedulerDriver* driver, const v1::FrameworkID& id,
                          const v1::MasterID& master) {}
  // New offers. Each must be answered (launch, accept or decline) or it stays outstanding
  // until the master rescinds it.
  virtual void resourceOffers(SchedulerDriver* driver, const std::vector<v1::Offer>& offers) {}
  virtual void offerRescinded(SchedulerDriver* driver, const v1::OfferID& id) {}
  // Maintenance: the master asks the framework to leave the agents of machines scheduled
  // for maintenance (each carries the unavailability). Answer with
  // `acceptInverseOffers` (it will have left in time) or `declineInverseOffers`; the
  // answers are shown to the operator (GET /maintenance/status). Ignoring them is allowed.
  virtual void inverseOffers(SchedulerDriver* driver,
                             const std::vector<v1::InverseOffer>& inverseOffers) {}
  virtual void inverseOfferRescinded(SchedulerDriver* driver, const v1::OfferID& id) {}
  // A task changed state. Each update (task, uuid) is delivered once, even when the master
  // retries it. With `AckMode::kImplicit` the driver acknowledges it when this returns.
  virtual void statusUpdate(SchedulerDriver* driver, const v1::TaskStatus& status) {}
  virtual void frameworkMessage(SchedulerDriver* driver, const v1::AgentID& agent,
                                const std::string& data) {}
  // An agent was removed or became unreachable; its tasks' updates follow separately.
  virtual void agentLost(SchedulerDriver* driver, const v1::AgentID& agent) {}
  // The master went silent. The driver is already looking for it and will re-subscribe
  // (then `subscribed()` is called again). Offers received before are no longer valid.
  virtual void disconnected(SchedulerDriver* driver) {}
  // A fatal error from the master (e.g. the framework was removed). The driver stops
  // after this returns, and `join()` returns the error.
  virtual void error(SchedulerDriver* driver, const std::string& message) {}
};

}  // namespace agora::sdk
