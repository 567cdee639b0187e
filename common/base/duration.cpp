#include "common/base/duration.hpp"

#include <cstdlib>
#include <map>

namespace agora {

StatusOr<Seconds> parseDuration(const std::string& text) {
  static const std::map<std::string, double> kUnits = {
      {"", 1},        {"ns", 1e-9},   {"us", 1e-6},      {"ms", 1e-3},     {"s", 1},
      {"sec", 1},     {"secs", 1},    {"min", 60},       {"mins", 60},     {"hr", 3600},
      {"hrs", 3600},  {"day", 86400}, {"days", 86400},   {"weeks", 604800}};
  if (text.empty()) {
    return Status::invalid("empty duration");
  }
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) {
    return Status::invalid("duration '" + text + "' does not start with a number");
  }
  auto unit = kUnits.find(std::string(end));
  if (unit == kUnits.end()) {
    return Status::invalid("duration '" + text + "' has an unknown unit '" + end +
                           "' (use ms, secs, mins, hrs or days)");
  }
  if (value < 0) {
    return Status::invalid("duration '" + text + "' is negative");
  }
  return Seconds(value * unit->second);
}

}  // namespace agora
