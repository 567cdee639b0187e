#include "frameworks/services/constraints.hpp"

#include <regex>
#include <set>
#include <sstream>

namespace agora::services {

namespace {

using nlohmann::json;

const std::set<std::string> kOperators = {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE",
                                          "UNLIKE", "MAX_PER", "IS"};

std::string fieldName(const std::string& field) {
  return field == "@hostname" ? "hostname" : field;
}

std::optional<std::string> valueOn(const AgentValues& values, const std::string& field) {
  auto it = values.find(fieldName(field));
  return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
}

bool fullMatch(const std::string& pattern, const std::string& text) {
  try {
    return std::regex_match(text, std::regex(pattern));
  } catch (const std::regex_error&) {
    return false;  // Validated already; a pattern std::regex rejects matches nothing.
  }
}

// GROUP_BY (Marathon's rule): a value no task has yet is always welcome; otherwise the
// candidate's value must be among the least used, once the tasks span at least the
// expected number of values (`c.value`, 0 when absent).
bool groupByAllows(const Constraint& c, const std::string& value,
                   const std::vector<AgentValues>& placed) {
  std::map<std::string, int> perValue;
  for (const AgentValues& other : placed) {
    if (auto otherValue = valueOn(other, c.field)) {
      ++perValue[*otherValue];
    }
  }
  auto mine = perValue.find(value);
  if (mine == perValue.end()) {
    return true;
  }
  int least = mine->second;
  for (const auto& [other, count] : perValue) {
    least = std::min(least, count);
  }
  int expected = c.value.empty() ? 0 : std::stoi(c.value);
  return static_cast<int>(perValue.size()) >= expected && mine->second == least;
}

bool allows(const Constraint& c, const AgentValues& candidate,
            const std::vector<AgentValues>& placed) {
  std::optional<std::string> value = valueOn(candidate, c.field);
  if (c.op == "UNLIKE") {
    return !value.has_value() || !fullMatch(c.value, *value);
  }
  if (!value.has_value()) {
    return false;  // Only UNLIKE accepts agents without the field.
  }
  int same = 0;
  std::optional<std::string> first;
  for (const AgentValues& other : placed) {
    std::optional<std::string> otherValue = valueOn(other, c.field);
    same += otherValue == value ? 1 : 0;
    if (!first.has_value()) {
      first = otherValue;
    }
  }
  if (c.op == "UNIQUE") {
    return same == 0;
  }
  if (c.op == "CLUSTER") {
    return c.value.empty() ? (placed.empty() || first == value) : *value == c.value;
  }
  if (c.op == "LIKE") {
    return fullMatch(c.value, *value);
  }
  if (c.op == "IS") {
    return *value == c.value;
  }
  if (c.op == "MAX_PER") {
    return same < std::stoi(c.value);
  }
  return groupByAllows(c, *value, placed);
}

}  // namespace

std::optional<std::string> constraintError(const json& entry) {
  if (!entry.is_array() || entry.size() < 2 || entry.size() > 3) {
    return "Each constraint must have either 2 or 3 fields";
  }
  for (const json& part : entry) {
    if (!part.is_string()) {
      return "error.expected.jsstring";
    }
  }
  std::string op = entry[1].get<std::string>();
  if (kOperators.count(op) == 0) {
    return "Constraint operator must be one of the following: [UNIQUE, CLUSTER, GROUP_BY, LIKE, "
           "UNLIKE, MAX_PER, IS]";
  }
  std::string value = entry.size() == 3 ? entry[2].get<std::string>() : "";
  bool needsValue = op == "LIKE" || op == "UNLIKE" || op == "MAX_PER" || op == "IS";
  if (needsValue && entry.size() != 3) {
    return "A " + op + " constraint requires a value";
  }
  if (op == "LIKE" || op == "UNLIKE") {
    try {
      std::regex pattern(value);
    } catch (const std::regex_error&) {
      return "'" + value + "' is not a valid regular expression";
    }
  }
  if (op == "MAX_PER" && (value.empty() || value.size() > 9 ||
                          value.find_first_not_of("0123456789") != std::string::npos)) {
    return "MAX_PER must have a numeric value";
  }
  if (op == "GROUP_BY" && !value.empty() &&
      (value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos)) {
    return "GROUP_BY must have a numeric value or no value";
  }
  return std::nullopt;
}

std::vector<Constraint> parseConstraints(const json& constraints) {
  std::vector<Constraint> out;
  if (!constraints.is_array()) {
    return out;
  }
  for (const json& entry : constraints) {
    if (constraintError(entry).has_value()) {
      continue;
    }
    out.push_back(Constraint{entry[0].get<std::string>(), entry[1].get<std::string>(),
                             entry.size() == 3 ? entry[2].get<std::string>() : ""});
  }
  return out;
}

AgentValues agentValuesOf(const v1::Offer& offer) {
  AgentValues values;
  values["hostname"] = offer.hostname();
  for (const v1::Attribute& attribute : offer.attributes()) {
    if (attribute.type() == v1::Value::TEXT) {
      values[attribute.name()] = attribute.text().value();
    } else if (attribute.type() == v1::Value::SCALAR) {
      std::ostringstream text;
      text << attribute.scalar().value();
      values[attribute.name()] = text.str();
    }
  }
  return values;
}

bool constraintsAllow(const std::vector<Constraint>& constraints, const AgentValues& candidate,
                      const std::vector<AgentValues>& placed) {
  for (const Constraint& constraint : constraints) {
    if (!allows(constraint, candidate, placed)) {
      return false;
    }
  }
  return true;
}

}  // namespace agora::services
