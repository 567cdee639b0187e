// Operator request bodies for /weights and /quota: accepted shapes and named errors.
#include <gtest/gtest.h>

#include "master/operator_requests.hpp"

namespace agora::master {
namespace {

TEST(OperatorRequestsTest, WeightsAcceptMesosShape) {
  auto weights = parseWeightsRequest(R"([{"role": "eng", "weight": 3}, {"role": "ops", "weight": 0.5}])");
  ASSERT_TRUE(weights.isOk()) << weights.status().message();
  EXPECT_DOUBLE_EQ(weights->at("eng"), 3);
  EXPECT_DOUBLE_EQ(weights->at("ops"), 0.5);
}

TEST(OperatorRequestsTest, WeightErrorsNameTheField) {
  EXPECT_NE(parseWeightsRequest("{").status().message().find("JSON"), std::string::npos);
  EXPECT_NE(parseWeightsRequest(R"([{"role": "eng"}])").status().message().find("[0].weight"),
            std::string::npos);
  EXPECT_NE(parseWeightsRequest(R"([{"role": "a", "weight": 1}, {"role": "b", "weight": -1}])")
                .status().message().find("[1].weight"),
            std::string::npos);
  EXPECT_NE(parseWeightsRequest(R"([{"role": "bad role", "weight": 1}])").status().message().find("role"),
            std::string::npos);
  EXPECT_FALSE(parseWeightsRequest(R"([{"role": "eng", "weight": 0}])").isOk());
}

TEST(OperatorRequestsTest, QuotaAcceptsLegacyAndV1Shapes) {
  auto legacy = parseQuotaRequest(R"({"role": "dev", "force": true, "guarantee": [
      {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}}]})");
  ASSERT_TRUE(legacy.isOk()) << legacy.status().message();
  EXPECT_EQ(legacy->role, "dev");
  EXPECT_TRUE(legacy->force);
  EXPECT_DOUBLE_EQ(legacy->quota.guarantees.scalar("cpus"), 2);
  auto v1 = parseQuotaRequest(
      R"({"role": "dev", "guarantees": {"cpus": {"value": 1}}, "limits": {"cpus": 4, "mem": 0}})");
  ASSERT_TRUE(v1.isOk()) << v1.status().message();
  EXPECT_DOUBLE_EQ(v1->quota.limits.at("cpus"), 4);
  EXPECT_DOUBLE_EQ(v1->quota.limits.at("mem"), 0);
  EXPECT_DOUBLE_EQ(v1->quota.guarantees.scalar("cpus"), 1);
}

TEST(OperatorRequestsTest, QuotaErrorsNameTheField) {
  EXPECT_NE(parseQuotaRequest(R"({"limits": {"cpus": 1}})").status().message().find("role"),
            std::string::npos);
  EXPECT_NE(parseQuotaRequest(R"({"role": "*", "limits": {"cpus": 1}})").status().message().find("'*'"),
            std::string::npos);
  EXPECT_NE(parseQuotaRequest(R"({"role": "dev", "limits": {"cpus": -1}})").status().message().find("limits.cpus"),
            std::string::npos);
  EXPECT_NE(parseQuotaRequest(R"({"role": "dev", "guarantees": {"cpus": 3}, "limits": {"cpus": 2}})")
                .status().message().find("exceeds"),
            std::string::npos);
  EXPECT_FALSE(parseQuotaRequest(R"({"role": "dev", "force": "yes"})").isOk());
  EXPECT_FALSE(parseQuotaRequest("[]").isOk());
}

TEST(OperatorRequestsTest, ReservationsNeedAnAgentAndARole) {
  auto ok = parseReservationRequest("S1", R"([{"name": "cpus", "scalar": {"value": 1}, "role": "eng"},
      {"name": "ports", "ranges": {"range": [{"begin": 31000, "end": 31001}]}, "role": "eng"}])");
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_DOUBLE_EQ(ok->resources.reservedTo("eng").scalar("cpus"), 1);
  EXPECT_EQ(ok->resources.reservedTo("eng").ranges("ports").size(), 2u);
  EXPECT_NE(parseReservationRequest("", "[]").status().message().find("slaveId"), std::string::npos);
  EXPECT_NE(parseReservationRequest("S1", R"([{"name": "cpus", "scalar": {"value": 1}}])")
                .status().message().find("role"),
            std::string::npos);
  EXPECT_FALSE(parseReservationRequest("S1", "not json").isOk());
  EXPECT_FALSE(parseReservationRequest("S1", R"([{"name": "cpus", "scalar": {"value": -1}, "role": "r"}])").isOk());
}

TEST(OperatorRequestsTest, QuotaRefusesUnknownFields) {
  auto misspelt = parseQuotaRequest(R"({"role": "dev", "limit": {"cpus": 3}})");
  ASSERT_FALSE(misspelt.isOk());
  EXPECT_NE(misspelt.status().message().find("'limit'"), std::string::npos);
}

TEST(OperatorRequestsTest, QuotaAcceptsHierarchicalRoles) {
  auto nested = parseQuotaRequest(R"({"role": "eng/web", "limits": {"cpus": 3}})");
  ASSERT_TRUE(nested.isOk()) << nested.status().message();
  EXPECT_EQ(nested->role, "eng/web");
  EXPECT_FALSE(parseQuotaRequest(R"({"role": "eng//web", "limits": {"cpus": 3}})").isOk());
}

TEST(OperatorRequestsTest, VolumesAreResourceObjectsWithDiskInfo) {
  auto ok = parseVolumesRequest("S1", R"([{"name": "disk", "scalar": {"value": 64},
      "reservations": [{"type": "DYNAMIC", "role": "eng"}],
      "disk": {"persistence": {"id": "v1", "principal": "ops"},
               "volume": {"container_path": "data", "mode": "RO"}}}])");
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  ASSERT_EQ(ok->volumes.size(), 1);
  EXPECT_EQ(ok->volumes.Get(0).role(), "eng");
  EXPECT_EQ(ok->volumes.Get(0).type(), v1::Value::SCALAR);
  EXPECT_EQ(ok->volumes.Get(0).disk().persistence().id(), "v1");
  EXPECT_EQ(ok->volumes.Get(0).disk().volume().mode(), v1::Volume::RO);
  EXPECT_NE(parseVolumesRequest("", "[]").status().message().find("slaveId"), std::string::npos);
  EXPECT_NE(parseVolumesRequest("S1", "[]").status().message().find("volumes"),
            std::string::npos);
  EXPECT_NE(parseVolumesRequest("S1", "[3]").status().message().find("volumes[0]"),
            std::string::npos);
  EXPECT_NE(parseVolumesRequest("S1", R"([{"name": "disk", "scalar": {"value": "x"}}])")
                .status().message().find("volumes[0]"),
            std::string::npos);
}

}  // namespace
}  // namespace agora::master
