#include "master/registrar.hpp"

namespace agora::master {
namespace {
const char kMasterKey[] = "master/info";
const char kAgentPrefix[] = "agents/";
const char kFrameworkPrefix[] = "frameworks/";
const char kWeightsKey[] = "roles/weights";
const char kQuotasKey[] = "roles/quota";
const char kMaintenanceKey[] = "maintenance";
// Outside "agents/": everything under that prefix is read back as AgentRecords.
const char kGoneKey[] = "gone_agents";
}  // namespace

// Moves a read's value into `out`, or returns its error.
template <typename T>
Status take(StatusOr<T> read, T* out) {
  if (!read.isOk()) {
    return read.status();
  }
  *out = std::move(read).value();
  return Status::ok();
}

StatusOr<Registrar::Recovered> Registrar::recover() {
  Recovered r;
  AGORA_RETURN_IF_ERROR(take(getProto<internal::MasterRecord>(*store_, kMasterKey), &r.master));
  AGORA_RETURN_IF_ERROR(
      take(scanProtos<internal::AgentRecord>(*store_, kAgentPrefix), &r.agents));
  AGORA_RETURN_IF_ERROR(
      take(scanProtos<internal::FrameworkRecord>(*store_, kFrameworkPrefix), &r.frameworks));
  AGORA_RETURN_IF_ERROR(take(getProto<internal::RoleWeights>(*store_, kWeightsKey), &r.weights));
  AGORA_RETURN_IF_ERROR(take(getProto<internal::RoleQuotas>(*store_, kQuotasKey), &r.quotas));
  AGORA_RETURN_IF_ERROR(
      take(getProto<internal::MaintenanceRecord>(*store_, kMaintenanceKey), &r.maintenance));
  AGORA_RETURN_IF_ERROR(take(getProto<internal::GoneAgents>(*store_, kGoneKey), &r.gone));
  return r;
}

Status Registrar::put(const std::string& key, const google::protobuf::Message& record) {
  WriteBatch batch;
  batch.putProto(key, record);
  return store_->write(batch);
}

Status Registrar::saveMaster(const internal::MasterRecord& record) {
  return put(kMasterKey, record);
}

Status Registrar::saveAgent(const internal::AgentRecord& record) {
  return put(kAgentPrefix + record.info().id().value(), record);
}

Status Registrar::saveAgents(const std::vector<internal::AgentRecord>& records) {
  WriteBatch batch;
  for (const auto& record : records) {
    batch.putProto(kAgentPrefix + record.info().id().value(), record);
  }
  return store_->write(batch);
}

Status Registrar::removeAgent(const std::string& agentId) {
  WriteBatch batch;
  batch.remove(kAgentPrefix + agentId);
  return store_->write(batch);
}

Status Registrar::saveFramework(const internal::FrameworkRecord& record) {
  return put(kFrameworkPrefix + record.info().id().value(), record);
}

Status Registrar::saveWeights(const internal::RoleWeights& weights) {
  return put(kWeightsKey, weights);
}

Status Registrar::saveQuotas(const internal::RoleQuotas& quotas) {
  return put(kQuotasKey, quotas);
}

Status Registrar::saveMaintenance(const internal::MaintenanceRecord& maintenance) {
  return put(kMaintenanceKey, maintenance);
}

Status Registrar::saveGoneAgents(const internal::GoneAgents& gone) {
  return put(kGoneKey, gone);
}

Status Registrar::removeFramework(const std::string& frameworkId) {
  WriteBatch batch;
  batch.remove(kFrameworkPrefix + frameworkId);
  return store_->write(batch);
}

}  // namespace agora::master
