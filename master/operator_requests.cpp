#include "master/operator_requests.hpp"

#include <cmath>

#include <google/protobuf/util/json_util.h>

#include "master/validation.hpp"

namespace agora::master {
namespace {

// A number, or `{"value": number}`; non-negative and finite.
StatusOr<double> quantity(const nlohmann::json& value, const std::string& field) {
  const nlohmann::json* number = &value;
  if (value.is_object() && value.contains("value")) {
    number = &value["value"];
  }
  if (!number->is_number() || !std::isfinite(number->get<double>()) || number->get<double>() < 0) {
    return Status::invalid("'" + field + "' must be a non-negative number");
  }
  return number->get<double>();
}

Status requireRole(const nlohmann::json& object, const std::string& field, std::string* role) {
  if (!object.contains("role") || !object["role"].is_string() ||
      object["role"].get<std::string>().empty()) {
    return Status::invalid("'" + field + "role' must be a non-empty string");
  }
  *role = object["role"].get<std::string>();
  if (*role == "*") {
    return Status::invalid("'" + field + "role' cannot be '*'");
  }
  if (auto error = validateRole(*role)) {
    return Status::invalid("'" + field + "role': " + *error);
  }
  return Status::ok();
}

}  // namespace

StatusOr<std::map<std::string, double>> parseWeightsRequest(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) {
    return Status::invalid("request body is not valid JSON");
  }
  if (!json.is_array()) {
    return Status::invalid("request body must be an array of {\"role\", \"weight\"}");
  }
  std::map<std::string, double> weights;
  for (size_t i = 0; i < json.size(); ++i) {
    std::string field = "[" + std::to_string(i) + "].";
    if (!json[i].is_object()) {
      return Status::invalid("'" + field + "' must be an object");
    }
    std::string role;
    AGORA_RETURN_IF_ERROR(requireRole(json[i], field, &role));
    if (!json[i].contains("weight")) {
      return Status::invalid("'" + field + "weight' is missing");
    }
    auto weight = quantity(json[i]["weight"], field + "weight");
    if (!weight.isOk()) {
      return weight.status();
    }
    if (*weight <= 0) {
      return Status::invalid("'" + field + "weight' must be positive");
    }
    weights[role] = *weight;
  }
  return weights;
}

StatusOr<QuotaRequest> parseQuotaRequest(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) {
    return Status::invalid("request body is not valid JSON");
  }
  if (!json.is_object()) {
    return Status::invalid("request body must be an object");
  }
  // An unknown key is most likely a misspelt one ("limit"): refuse it rather than set a
  // quota without what the operator meant.
  for (const auto& [key, value] : json.items()) {
    if (key != "role" && key != "force" && key != "guarantee" && key != "guarantees" &&
        key != "limits") {
      return Status::invalid("unknown field '" + key +
                             "' (expected role, guarantee, guarantees, limits, force)");
    }
  }
  QuotaRequest request;
  AGORA_RETURN_IF_ERROR(requireRole(json, "", &request.role));
  if (json.contains("force")) {
    if (!json["force"].is_boolean()) {
      return Status::invalid("'force' must be a boolean");
    }
    request.force = json["force"].get<bool>();
  }
  if (json.contains("guarantee")) {
    // Mesos' legacy shape: an array of Resource objects.
    v1::Resource resource;
    google::protobuf::RepeatedPtrField<v1::Resource> resources;
    if (!json["guarantee"].is_array()) {
      return Status::invalid("'guarantee' must be an array of resources");
    }
    for (size_t i = 0; i < json["guarantee"].size(); ++i) {
      const auto& item = json["guarantee"][i];
      std::string field = "guarantee[" + std::to_string(i) + "]";
      if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
          !item.contains("scalar")) {
        return Status::invalid("'" + field + "' must be {\"name\", \"type\": \"SCALAR\", "
                               "\"scalar\": {\"value\"}}");
      }
      auto value = quantity(item["scalar"], field + ".scalar");
      if (!value.isOk()) {
        return value.status();
      }
      request.quota.guarantees +=
          *Resources::parse(item["name"].get<std::string>() + ":" + std::to_string(*value));
    }
  }
  for (const char* key : {"guarantees", "limits"}) {
    if (!json.contains(key)) {
      continue;
    }
    if (!json[key].is_object()) {
      return Status::invalid(std::string("'") + key + "' must be an object of name: quantity");
    }
    for (const auto& [name, value] : json[key].items()) {
      auto amount = quantity(value, std::string(key) + "." + name);
      if (!amount.isOk()) {
        return amount.status();
      }
      if (name.empty() || name.find_first_of(":;()[]{} ") != std::string::npos) {
        return Status::invalid(std::string("'") + key + "' has an invalid resource name '" +
                               name + "'");
      }
      if (std::string(key) == "limits") {
        request.quota.limits[name] = *amount;
      } else {
        request.quota.guarantees += *Resources::parse(name + ":" + std::to_string(*amount));
      }
    }
  }
  for (const char* name : {"cpus", "mem", "disk", "gpus"}) {
    auto limit = request.quota.limits.find(name);
    if (limit != request.quota.limits.end() &&
        request.quota.guarantees.scalar(name) > limit->second + 1e-6) {
      return Status::invalid(std::string("guarantee of ") + name + " exceeds its limit");
    }
  }
  return request;
}

StatusOr<ReservationRequest> parseReservationRequest(const std::string& agentId,
                                                     const std::string& resourcesJson) {
  if (agentId.empty()) {
    return Status::invalid("'slaveId' is missing");
  }
  auto json = nlohmann::json::parse(resourcesJson, nullptr, false);
  if (json.is_discarded() || !json.is_array() || json.empty()) {
    return Status::invalid("'resources' must be a non-empty JSON array of resources");
  }
  ReservationRequest request{agentId, Resources()};
  for (size_t i = 0; i < json.size(); ++i) {
    const auto& item = json[i];
    std::string field = "resources[" + std::to_string(i) + "]";
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) {
      return Status::invalid("'" + field + ".name' is missing");
    }
    std::string role;
    if (item.contains("role") && item["role"].is_string()) {
      role = item["role"];
    }
    if (item.contains("reservations") && item["reservations"].is_array() &&
        !item["reservations"].empty() && item["reservations"].back().is_object() &&
        item["reservations"].back().contains("role") &&
        item["reservations"].back()["role"].is_string()) {
      role = item["reservations"].back()["role"];
    }
    if (role.empty() || role == "*") {
      return Status::invalid("'" + field + "' names no role to reserve for");
    }
    if (auto error = validateRole(role)) {
      return Status::invalid("'" + field + "': " + *error);
    }
    std::string name = item["name"];
    std::string text;
    if (item.contains("scalar")) {
      auto value = quantity(item["scalar"], field + ".scalar");
      if (!value.isOk()) {
        return value.status();
      }
      text = name + "(" + role + "):" + std::to_string(*value);
    } else if (item.contains("ranges") && item["ranges"].contains("range") &&
               item["ranges"]["range"].is_array()) {
      std::string ranges;
      for (const auto& range : item["ranges"]["range"]) {
        if (!range.contains("begin") || !range.contains("end") ||
            !range["begin"].is_number_unsigned() || !range["end"].is_number_unsigned()) {
          return Status::invalid("'" + field + ".ranges' needs unsigned begin and end");
        }
        ranges += (ranges.empty() ? "" : ",") + std::to_string(range["begin"].get<uint64_t>()) +
                  "-" + std::to_string(range["end"].get<uint64_t>());
      }
      text = name + "(" + role + "):[" + ranges + "]";
    } else {
      return Status::invalid("'" + field + "' needs a scalar or ranges value");
    }
    auto parsed = Resources::parse(text);
    if (!parsed.isOk()) {
      return parsed.status().withContext(field);
    }
    request.resources += *parsed;
  }
  return request;
}

StatusOr<VolumesRequest> parseVolumesRequest(const std::string& agentId,
                                             const std::string& volumesJson) {
  if (agentId.empty()) {
    return Status::invalid("'slaveId' is missing");
  }
  auto json = nlohmann::json::parse(volumesJson, nullptr, false);
  if (json.is_discarded() || !json.is_array() || json.empty()) {
    return Status::invalid("'volumes' must be a non-empty JSON array of resources");
  }
  VolumesRequest request{agentId, {}};
  for (size_t i = 0; i < json.size(); ++i) {
    nlohmann::json item = json[i];
    std::string field = "volumes[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      return Status::invalid("'" + field + "' must be a resource object");
    }
    // Mesos' reservation refinements: the last one owns the resource.
    if (item.contains("reservations") && item["reservations"].is_array() &&
        !item["reservations"].empty() && item["reservations"].back().is_object() &&
        item["reservations"].back().contains("role")) {
      item["role"] = item["reservations"].back()["role"];
    }
    item.erase("reservations");
    if (!item.contains("type")) {
      item["type"] = "SCALAR";
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    auto parsed = google::protobuf::util::JsonStringToMessage(item.dump(), request.volumes.Add(),
                                                             options);
    if (!parsed.ok()) {
      return Status::invalid("'" + field + "': " + std::string(parsed.message()));
    }
  }
  return request;
}

}  // namespace agora::master
