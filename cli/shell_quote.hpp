// POSIX shell quoting, to turn `agora run -- CMD ARGS...` into the one string a shell task
// runs (`/bin/sh -c`). Pure functions.
#pragma once

#include <string>
#include <vector>

namespace agora::cli {

// `word` as the shell reads it back unchanged: bare when it has only safe characters,
// otherwise in single quotes (a quote inside becomes '\'').
std::string shellQuote(const std::string& word);

// The words quoted and joined with spaces.
std::string joinShellCommand(const std::vector<std::string>& words);

}  // namespace agora::cli
