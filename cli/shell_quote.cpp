#include "cli/shell_quote.hpp"

#include <cctype>

namespace agora::cli {

namespace {

bool isSafe(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' ||
         c == '/' || c == ':' || c == ',' || c == '+' || c == '=' || c == '@' || c == '%';
}

}  // namespace

std::string shellQuote(const std::string& word) {
  bool safe = !word.empty();
  for (char c : word) {
    safe = safe && isSafe(c);
  }
  if (safe) {
    return word;
  }
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string joinShellCommand(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) {
      out += ' ';
    }
    out += shellQuote(word);
  }
  return out;
}

}  // namespace agora::cli
