#include "common/resources/domain.hpp"

namespace agora {
namespace {

StatusOr<std::string> nameAt(const nlohmann::json& domain, const char* level) {
  const nlohmann::json& fault = domain["fault_domain"];
  if (!fault.contains(level) || !fault[level].is_object() || !fault[level].contains("name") ||
      !fault[level]["name"].is_string() || fault[level]["name"].get<std::string>().empty()) {
    return Status::invalid(std::string("fault_domain.") + level +
                           ".name is missing or not a non-empty string");
  }
  return fault[level]["name"].get<std::string>();
}

}  // namespace

StatusOr<v1::DomainInfo> parseDomain(const std::string& text) {
  v1::DomainInfo domain;
  if (text.empty()) {
    return domain;
  }
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return Status::invalid("domain is not a JSON object");
  }
  if (!json.contains("fault_domain") || !json["fault_domain"].is_object()) {
    return Status::invalid("domain has no 'fault_domain' object");
  }
  auto region = nameAt(json, "region");
  if (!region.isOk()) return region.status();
  auto zone = nameAt(json, "zone");
  if (!zone.isOk()) return zone.status();
  domain.mutable_fault_domain()->mutable_region()->set_name(*region);
  domain.mutable_fault_domain()->mutable_zone()->set_name(*zone);
  return domain;
}

nlohmann::json domainToJson(const v1::DomainInfo& domain) {
  if (!domain.has_fault_domain()) {
    return nullptr;
  }
  return {{"fault_domain",
           {{"region", {{"name", domain.fault_domain().region().name()}}},
            {"zone", {{"name", domain.fault_domain().zone().name()}}}}}};
}

}  // namespace agora
