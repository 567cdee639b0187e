// Marathon's placement constraints: validation messages and what each operator allows.
#include "frameworks/services/constraints.hpp"

#include <gtest/gtest.h>

namespace agora::services {
namespace {

using nlohmann::json;

AgentValues agent(const std::string& host, const std::string& rack) {
  return {{"hostname", host}, {"rack", rack}};
}

bool allows(const json& constraint, const AgentValues& candidate,
            const std::vector<AgentValues>& placed) {
  EXPECT_FALSE(constraintError(constraint).has_value()) << constraint.dump();
  return constraintsAllow(parseConstraints(json::array({constraint})), candidate, placed);
}

TEST(ConstraintsTest, Validation) {
  EXPECT_FALSE(constraintError({"hostname", "UNIQUE"}).has_value());
  EXPECT_FALSE(constraintError({"rack", "MAX_PER", "2"}).has_value());
  EXPECT_TRUE(constraintError({"hostname"}).has_value());
  EXPECT_TRUE(constraintError({"hostname", "SOMETIMES"}).has_value());
  EXPECT_TRUE(constraintError({"rack", "LIKE"}).has_value());
  EXPECT_TRUE(constraintError({"rack", "LIKE", "("}).has_value());
  EXPECT_TRUE(constraintError({"rack", "MAX_PER", "two"}).has_value());
  EXPECT_TRUE(constraintError({"rack", 3}).has_value());
  EXPECT_TRUE(constraintError("hostname").has_value());
}

TEST(ConstraintsTest, UniqueAndMaxPer) {
  json unique = {"hostname", "UNIQUE"};
  EXPECT_TRUE(allows(unique, agent("a", "r1"), {}));
  EXPECT_FALSE(allows(unique, agent("a", "r1"), {agent("a", "r1")}));
  EXPECT_TRUE(allows(unique, agent("b", "r1"), {agent("a", "r1")}));
  json maxPer = {"rack", "MAX_PER", "2"};
  EXPECT_TRUE(allows(maxPer, agent("c", "r1"), {agent("a", "r1")}));
  EXPECT_FALSE(allows(maxPer, agent("c", "r1"), {agent("a", "r1"), agent("b", "r1")}));
}

TEST(ConstraintsTest, ClusterLikeUnlikeIs) {
  EXPECT_TRUE(allows({"rack", "CLUSTER", "r1"}, agent("a", "r1"), {}));
  EXPECT_FALSE(allows({"rack", "CLUSTER", "r1"}, agent("a", "r2"), {}));
  EXPECT_TRUE(allows({"rack", "CLUSTER"}, agent("a", "r2"), {}));
  EXPECT_FALSE(allows({"rack", "CLUSTER"}, agent("a", "r2"), {agent("b", "r1")}));
  EXPECT_TRUE(allows({"rack", "LIKE", "r[1-3]"}, agent("a", "r2"), {}));
  EXPECT_FALSE(allows({"rack", "LIKE", "r[1-3]"}, agent("a", "r9"), {}));
  EXPECT_FALSE(allows({"rack", "UNLIKE", "r[1-3]"}, agent("a", "r2"), {}));
  EXPECT_TRUE(allows({"zone", "UNLIKE", "z1"}, agent("a", "r2"), {}));  // No zone: allowed.
  EXPECT_FALSE(allows({"zone", "IS", "z1"}, agent("a", "r2"), {}));     // No zone: refused.
  EXPECT_TRUE(allows({"@hostname", "IS", "a"}, agent("a", "r2"), {}));
}

// Marathon's GROUP_BY: new values are welcome; a used value only while it is among the
// least used, once the tasks span the expected number of values.
TEST(ConstraintsTest, GroupBySpreadsEvenly) {
  json groupBy = {"rack", "GROUP_BY", "2"};
  EXPECT_TRUE(allows(groupBy, agent("a", "r1"), {}));
  EXPECT_FALSE(allows(groupBy, agent("b", "r1"), {agent("a", "r1")}))
      << "only one rack used of the two expected";
  EXPECT_TRUE(allows(groupBy, agent("b", "r2"), {agent("a", "r1")}));
  std::vector<AgentValues> balanced = {agent("a", "r1"), agent("b", "r2")};
  EXPECT_TRUE(allows(groupBy, agent("c", "r1"), balanced));
  balanced.push_back(agent("c", "r1"));
  EXPECT_FALSE(allows(groupBy, agent("d", "r1"), balanced)) << "r1 has more than r2";
  EXPECT_TRUE(allows(groupBy, agent("d", "r2"), balanced));
  EXPECT_TRUE(allows({"rack", "GROUP_BY"}, agent("b", "r1"), {agent("a", "r1")}))
      << "without a count, one value is enough";
  EXPECT_TRUE(constraintError({"rack", "GROUP_BY", "many"}).has_value());
}

TEST(ConstraintsTest, AgentValuesFromAnOffer) {
  v1::Offer offer;
  offer.set_hostname("h1");
  v1::Attribute* rack = offer.add_attributes();
  rack->set_name("rack");
  rack->set_type(v1::Value::TEXT);
  rack->mutable_text()->set_value("r1");
  v1::Attribute* level = offer.add_attributes();
  level->set_name("level");
  level->set_type(v1::Value::SCALAR);
  level->mutable_scalar()->set_value(3);
  EXPECT_EQ(agentValuesOf(offer),
            (AgentValues{{"hostname", "h1"}, {"rack", "r1"}, {"level", "3"}}));
}

}  // namespace
}  // namespace agora::services
