#include "master/registrar.hpp"

namespace agora::master {
namespace {
const char kMasterKey[] = "master/info";
const char kAgentPrefix[] = "agents/";
const char kFrameworkPrefix[] = "frameworks/";
const char kWeightsKey[] = "roles/weights";
const char kQuotasKey[] = "roles/quota";
}  // namespace

StatusOr<Registrar::Recovered> Registrar::recover() {
  Recovered recovered;
  auto master = getProto<internal::MasterRecord>(*store_, kMasterKey);
  if (!master.isOk()) {
    return master.status();
  }
  recovered.master = *master;
  auto agents = scanProtos<internal::AgentRecord>(*store_, kAgentPrefix);
  if (!agents.isOk()) {
    return agents.status();
  }
  recovered.agents = std::move(agents).value();
  auto frameworks = scanProtos<internal::FrameworkRecord>(*store_, kFrameworkPrefix);
  if (!frameworks.isOk()) {
    return frameworks.status();
  }
  recovered.frameworks = std::move(frameworks).value();
  auto weights = getProto<internal::RoleWeights>(*store_, kWeightsKey);
  if (!weights.isOk()) {
    return weights.status();
  }
  recovered.weights = *weights;
  auto quotas = getProto<internal::RoleQuotas>(*store_, kQuotasKey);
  if (!quotas.isOk()) {
    return quotas.status();
  }
  recovered.quotas = *quotas;
  return recovered;
}

Status Registrar::saveMaster(const internal::MasterRecord& record) {
  WriteBatch batch;
  batch.putProto(kMasterKey, record);
  return store_->write(batch);
}

Status Registrar::saveAgent(const internal::AgentRecord& record) {
  WriteBatch batch;
  batch.putProto(kAgentPrefix + record.info().id().value(), record);
  return store_->write(batch);
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
  WriteBatch batch;
  batch.putProto(kFrameworkPrefix + record.info().id().value(), record);
  return store_->write(batch);
}

Status Registrar::saveWeights(const internal::RoleWeights& weights) {
  WriteBatch batch;
  batch.putProto(kWeightsKey, weights);
  return store_->write(batch);
}

Status Registrar::saveQuotas(const internal::RoleQuotas& quotas) {
  WriteBatch batch;
  batch.putProto(kQuotasKey, quotas);
  return store_->write(batch);
}

Status Registrar::removeFramework(const std::string& frameworkId) {
  WriteBatch batch;
  batch.remove(kFrameworkPrefix + frameworkId);
  return store_->write(batch);
}

}  // namespace agora::master
