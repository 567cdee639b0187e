// splitAll keeps every piece, empty ones included.
#include <gtest/gtest.h>

#include "common/base/strings.hpp"

namespace agora {
namespace {

TEST(StringsTest, SplitAllKeepsEmptyPieces) {
  EXPECT_EQ(splitAll("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(splitAll("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(splitAll("/x/", '/'), (std::vector<std::string>{"", "x", ""}));
  EXPECT_EQ(splitAll("one", ','), (std::vector<std::string>{"one"}));
}

}  // namespace
}  // namespace agora
