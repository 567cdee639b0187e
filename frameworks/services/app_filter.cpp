#include "frameworks/services/app_filter.hpp"

#include <optional>
#include <set>
#include <vector>

#include "common/base/strings.hpp"

namespace agora::services {

namespace {

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  size_t end = text.find_last_not_of(" \t");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

// Splits on commas outside parentheses.
std::vector<std::string> requirements(const std::string& selector) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : selector) {
    depth += c == '(' ? 1 : (c == ')' ? -1 : 0);
    if (c == ',' && depth == 0) {
      out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(current);
  return out;
}

std::set<std::string> valueSet(const std::string& text) {
  std::set<std::string> values;
  for (const std::string& value : splitAll(text, ',')) {
    values.insert(trim(value));
  }
  return values;
}

// "key in (a, b)" / "key notin (a, b)": the values and whether they must match.
StatusOr<bool> setRequirement(const std::string& key, const std::string& rest, bool in,
                              const nlohmann::json& labels) {
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
    return Status::invalid("expected a list in parentheses after '" + key + "'");
  }
  std::set<std::string> values = valueSet(rest.substr(1, rest.size() - 2));
  bool has = labels.contains(key) && labels[key].is_string() &&
             values.count(labels[key].get<std::string>()) > 0;
  return in ? has : !has;
}

StatusOr<bool> holds(const std::string& raw, const nlohmann::json& labels) {
  std::string requirement = trim(raw);
  auto valueOf = [&](const std::string& key) -> std::optional<std::string> {
    if (labels.contains(key) && labels[key].is_string()) {
      return labels[key].get<std::string>();
    }
    return std::nullopt;  // Never equal to a value, so `key!=v` holds without the label.
  };

  for (const char* op : {"==", "!="}) {
    size_t at = requirement.find(op);
    if (at != std::string::npos) {
      std::string key = trim(requirement.substr(0, at));
      std::string value = trim(requirement.substr(at + 2));
      return (valueOf(key) == value) == (std::string(op) == "==");
    }
  }
  for (const char* op : {" notin ", " in "}) {
    size_t at = requirement.find(op);
    if (at != std::string::npos) {
      return setRequirement(trim(requirement.substr(0, at)),
                            trim(requirement.substr(at + std::string(op).size())),
                            std::string(op) == " in ", labels);
    }
  }
  if (requirement.empty()) {
    return Status::invalid("empty label requirement");
  }
  if (requirement[0] == '!') {
    return !labels.contains(trim(requirement.substr(1)));
  }
  return labels.contains(requirement);
}

}  // namespace

StatusOr<bool> appMatches(const App& app, const AppFilter& filter) {
  if (!filter.id.empty() && app.id.find(filter.id) == std::string::npos) {
    return false;
  }
  if (!filter.cmd.empty() && app.cmd.value_or("").find(filter.cmd) == std::string::npos) {
    return false;
  }
  if (filter.label.empty()) {
    return true;
  }
  nlohmann::json labels = app.extra.value("labels", nlohmann::json::object());
  for (const std::string& requirement : requirements(filter.label)) {
    auto ok = holds(requirement, labels);
    if (!ok.isOk() || !*ok) {
      return ok;
    }
  }
  return true;
}

}  // namespace agora::services
