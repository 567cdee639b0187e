// Small string helpers shared across components.
#pragma once

#include <string>
#include <vector>

namespace agora {

// Every piece between separators, empty ones included: "a,,b" -> {"a", "", "b"},
// "" -> {""}. Callers decide what an empty piece means.
std::vector<std::string> splitAll(const std::string& text, char separator);

}  // namespace agora
