// Small string helpers shared across components.
#pragma once

#include <string>
#include <vector>

namespace agora {

// Every piece between separators, empty ones included: "a,,b" -> {"a", "", "b"},
// "" -> {""}. Callers decide what an empty piece means.
std::vector<std::string> splitAll(const std::string& text, char separator);

// "<what>: <strerror(errno)>", for an error message right after a failed system call.
std::string errnoText(const std::string& what);

}  // namespace agora
