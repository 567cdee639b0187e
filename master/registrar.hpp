// The registry: what the master must remember across a restart (admitted agents,
// frameworks, its own ZeroMQ port), kept in a `StateStore` (RocksDB).
//
// Every method writes one synced batch before it returns, so the master acts on (and
// acknowledges) a change only once it is durable. Tasks are not stored: agents report them
// when they re-register, as in Mesos. Used on the master's loop only.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "agora/internal/registry.pb.h"
#include "common/state/state_store.hpp"

namespace agora::master {

class Registrar {
 public:
  struct Recovered {
    std::optional<internal::MasterRecord> master;
    std::vector<internal::AgentRecord> agents;
    std::vector<internal::FrameworkRecord> frameworks;
    std::optional<internal::RoleWeights> weights;
    std::optional<internal::RoleQuotas> quotas;
    std::optional<internal::MaintenanceRecord> maintenance;
    std::optional<internal::GoneAgents> gone;
  };

  explicit Registrar(std::unique_ptr<StateStore> store) : store_(std::move(store)) {}

  StatusOr<Recovered> recover();
  Status saveMaster(const internal::MasterRecord& record);
  // Admits or updates an agent.
  Status saveAgent(const internal::AgentRecord& record);
  // Admits several agents in one synced batch (registration bursts share one fsync).
  Status saveAgents(const std::vector<internal::AgentRecord>& records);
  Status removeAgent(const std::string& agentId);
  Status saveFramework(const internal::FrameworkRecord& record);
  Status removeFramework(const std::string& frameworkId);
  Status saveWeights(const internal::RoleWeights& weights);
  Status saveQuotas(const internal::RoleQuotas& quotas);
  Status saveMaintenance(const internal::MaintenanceRecord& maintenance);
  Status saveGoneAgents(const internal::GoneAgents& gone);

 private:
  // One record, in its own synced batch.
  Status put(const std::string& key, const google::protobuf::Message& record);

  std::unique_ptr<StateStore> store_;
};

}  // namespace agora::master
