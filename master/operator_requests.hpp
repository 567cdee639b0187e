// Parsing and validation of operator request bodies (/weights, /quota), in the shapes of
// Mesos' endpoints of the same names. Pure functions: an error names the field and why.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/base/status.hpp"
#include "master/master.hpp"

namespace agora::master {

// `[{"role": "eng", "weight": 2.5}, ...]`
StatusOr<std::map<std::string, double>> parseWeightsRequest(const std::string& body);

struct QuotaRequest {
  std::string role;
  Master::RoleQuota quota;
  bool force = false;
};

// `{"role": "eng", "guarantee": [Resource...], "force": false}` (Mesos' /quota POST), or
// `{"role": "eng", "guarantees": {"cpus": 2}, "limits": {"cpus": 4, "mem": 1024}}` (the
// shape of Mesos' v1 UPDATE_QUOTA quota_config; values may also be `{"value": 2}`).
StatusOr<QuotaRequest> parseQuotaRequest(const std::string& body);

struct ReservationRequest {
  std::string agentId;
  Resources resources;  // Each owned by the role it is (un)reserved for.
};

// Mesos' /reserve and /unreserve: form fields `slaveId` and `resources` (a JSON array of
// Resource objects whose role is `role`, or the last of `reservations[].role`), or the same
// as a JSON object body (`slaveId` or `agent_id`).
StatusOr<ReservationRequest> parseReservationRequest(const std::string& agentId,
                                                     const std::string& resourcesJson);

struct VolumesRequest {
  std::string agentId;
  google::protobuf::RepeatedPtrField<v1::Resource> volumes;
};

// Mesos' /create-volumes and /destroy-volumes: form fields `slaveId` and `volumes` (a JSON
// array of Resource objects with `disk.persistence` and `disk.volume`; the role is `role`,
// or the last of `reservations[].role`; `type` defaults to SCALAR). Checks the shape only:
// `Master::createVolumes` validates the volumes against the agent.
StatusOr<VolumesRequest> parseVolumesRequest(const std::string& agentId,
                                             const std::string& volumesJson);

}  // namespace agora::master
