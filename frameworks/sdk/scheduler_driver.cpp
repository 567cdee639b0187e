// `SchedulerDriver`: the public face; every method forwards to the `DriverImpl` actor.
#include "agora/sdk/scheduler_driver.hpp"

#include "frameworks/sdk/src/calls.hpp"
#include "frameworks/sdk/src/driver_impl.hpp"

namespace agora::sdk {

SchedulerDriver::SchedulerDriver(Scheduler* scheduler, DriverOptions options)
    : impl_(std::make_unique<DriverImpl>(this, scheduler, std::move(options))) {}

SchedulerDriver::~SchedulerDriver() = default;

Status SchedulerDriver::start() { return impl_->start(); }

Status SchedulerDriver::join() { return impl_->join(); }

Status SchedulerDriver::run() {
  AGORA_RETURN_IF_ERROR(start());
  return join();
}

void SchedulerDriver::stop(FailoverMode mode) { impl_->stop(mode); }

void SchedulerDriver::acceptOffers(const std::vector<v1::OfferID>& offerIds,
                                   const std::vector<v1::scheduler::Call::Operation>& operations,
                                   const v1::Filters& filters) {
  impl_->sendWhenSubscribed("ACCEPT", calls::accept(offerIds, operations, filters));
}

void SchedulerDriver::launchTasks(const std::vector<v1::OfferID>& offerIds,
                                  const std::vector<v1::TaskInfo>& tasks,
                                  const v1::Filters& filters) {
  std::vector<v1::scheduler::Call::Operation> operations;
  if (!tasks.empty()) {
    operations.push_back(calls::launch(tasks));
  }
  acceptOffers(offerIds, operations, filters);
}

void SchedulerDriver::declineOffer(const v1::OfferID& offerId, const v1::Filters& filters) {
  impl_->sendWhenSubscribed("DECLINE", calls::decline(offerId, filters));
}

void SchedulerDriver::acceptInverseOffers(const std::vector<v1::OfferID>& inverseOfferIds,
                                          const v1::Filters& filters) {
  impl_->sendWhenSubscribed("ACCEPT_INVERSE_OFFERS",
                            calls::answerInverseOffers(inverseOfferIds, filters, true));
}

void SchedulerDriver::declineInverseOffers(const std::vector<v1::OfferID>& inverseOfferIds,
                                           const v1::Filters& filters) {
  impl_->sendWhenSubscribed("DECLINE_INVERSE_OFFERS",
                            calls::answerInverseOffers(inverseOfferIds, filters, false));
}

void SchedulerDriver::killTask(const v1::TaskID& taskId, const v1::AgentID& agentId,
                               std::optional<double> gracePeriodSeconds) {
  impl_->sendWhenSubscribed("KILL of " + taskId.value(),
                            calls::kill(taskId, agentId, gracePeriodSeconds));
}

void SchedulerDriver::reviveOffers(std::vector<std::string> roles) {
  impl_->sendWhenSubscribed("REVIVE", calls::revive(roles));
}

void SchedulerDriver::suppressOffers(std::vector<std::string> roles) {
  impl_->sendWhenSubscribed("SUPPRESS", calls::suppress(roles));
}

void SchedulerDriver::acknowledgeStatusUpdate(const v1::TaskStatus& status) {
  impl_->acknowledge(status);
}

void SchedulerDriver::reconcileTasks(const std::vector<v1::TaskStatus>& statuses) {
  impl_->sendWhenSubscribed("RECONCILE", calls::reconcile(statuses));
}

void SchedulerDriver::sendFrameworkMessage(const v1::AgentID& agentId, const v1::TaskID& taskId,
                                           const std::string& data) {
  impl_->sendWhenSubscribed("MESSAGE", calls::message(agentId, taskId, data));
}

std::optional<v1::FrameworkID> SchedulerDriver::frameworkId() const { return impl_->frameworkId(); }

}  // namespace agora::sdk
