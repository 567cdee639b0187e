// Fault domains (Mesos' `--domain`): where a master or agent is, as region and zone.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agora/v1/common.pb.h"
#include "common/base/status.hpp"

namespace agora {

// Parses Mesos' JSON form, `{"fault_domain":{"region":{"name":"r1"},"zone":{"name":"z1"}}}`.
// Empty text is "no domain". Region and zone are both required, as in Mesos.
StatusOr<v1::DomainInfo> parseDomain(const std::string& text);
// The same JSON form (null when there is no domain).
nlohmann::json domainToJson(const v1::DomainInfo& domain);

}  // namespace agora
