// Fault domains from Mesos' --domain JSON: accepted shape, named errors.
#include <gtest/gtest.h>

#include "common/resources/domain.hpp"

namespace agora {
namespace {

TEST(DomainTest, ParsesMesosShapeAndRoundTrips) {
  std::string text = R"({"fault_domain":{"region":{"name":"east"},"zone":{"name":"east-1a"}}})";
  auto domain = parseDomain(text);
  ASSERT_TRUE(domain.isOk()) << domain.status().message();
  EXPECT_EQ(domain->fault_domain().region().name(), "east");
  EXPECT_EQ(domain->fault_domain().zone().name(), "east-1a");
  EXPECT_EQ(domainToJson(*domain), nlohmann::json::parse(text));
  EXPECT_FALSE(parseDomain("")->has_fault_domain());
  EXPECT_TRUE(domainToJson(v1::DomainInfo()).is_null());
}

TEST(DomainTest, ErrorsNameWhatIsMissing) {
  EXPECT_NE(parseDomain("{").status().message().find("JSON"), std::string::npos);
  EXPECT_NE(parseDomain("{}").status().message().find("fault_domain"), std::string::npos);
  EXPECT_NE(parseDomain(R"({"fault_domain":{"zone":{"name":"z"}}})").status().message().find(
                "region"),
            std::string::npos);
  EXPECT_NE(parseDomain(R"({"fault_domain":{"region":{"name":"r"},"zone":{"name":""}}})")
                .status().message().find("zone"),
            std::string::npos);
}

}  // namespace
}  // namespace agora
