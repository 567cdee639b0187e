// Shell quoting: what `/bin/sh -c` reads back must be the words the user typed.
#include "cli/shell_quote.hpp"

#include <gtest/gtest.h>

namespace agora::cli {
namespace {

TEST(ShellQuoteTest, SafeWordsStayBare) {
  EXPECT_EQ(shellQuote("echo"), "echo");
  EXPECT_EQ(shellQuote("/usr/bin/env"), "/usr/bin/env");
  EXPECT_EQ(shellQuote("--flag=a,b:c"), "--flag=a,b:c");
}

TEST(ShellQuoteTest, EverythingElseIsSingleQuoted) {
  EXPECT_EQ(shellQuote(""), "''");
  EXPECT_EQ(shellQuote("a b"), "'a b'");
  EXPECT_EQ(shellQuote("$HOME"), "'$HOME'");
  EXPECT_EQ(shellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(shellQuote("a;rm -rf /"), "'a;rm -rf /'");
  EXPECT_EQ(shellQuote("*"), "'*'");
}

TEST(ShellQuoteTest, JoinQuotesEachWord) {
  EXPECT_EQ(joinShellCommand({"sh", "-c", "echo $HOME"}), "sh -c 'echo $HOME'");
  EXPECT_EQ(joinShellCommand({}), "");
}

// The real test: the shell gives back exactly the original words.
TEST(ShellQuoteTest, ShellReadsBackTheSameWords) {
  std::vector<std::string> words = {"printf", "%s|", "a b", "it's", "$X", "\"q\"", "", "\\n"};
  std::string command = joinShellCommand(words) + " > /dev/stdout";
  FILE* pipe = popen(("/bin/sh -c " + shellQuote(command)).c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  ASSERT_EQ(pclose(pipe), 0);
  EXPECT_EQ(output, "a b|it's|$X|\"q\"||\\n|");
}

}  // namespace
}  // namespace agora::cli
