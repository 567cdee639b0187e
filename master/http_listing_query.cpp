#include "master/http_listing_query.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace agora::master {
namespace {

// The last value of `name`, or nullopt when absent.
std::optional<std::string> param(const QueryParams& params, const std::string& name) {
  auto range = params.equal_range(name);
  if (range.first == range.second) {
    return std::nullopt;
  }
  return std::prev(range.second)->second;
}

std::string paramOr(const QueryParams& params, const std::string& name) {
  return param(params, name).value_or("");
}

// The first of `names` present (Mesos calls agents slaves; both spellings are accepted).
std::string firstOf(const QueryParams& params, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = param(params, name)) {
      return *value;
    }
  }
  return "";
}

StatusOr<size_t> number(const QueryParams& params, const std::string& name, size_t fallback) {
  auto value = param(params, name);
  if (!value) {
    return fallback;
  }
  // Nine digits at most: no overflow, and no page is ever that large anyway.
  if (value->empty() || value->size() > 9 ||
      value->find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid("query parameter '" + name + "' must be a non-negative integer, got '" +
                           *value + "'");
  }
  return static_cast<size_t>(std::stoul(*value));
}

StatusOr<std::set<v1::TaskState>> parseStates(const std::string& text) {
  std::set<v1::TaskState> states;
  std::stringstream in(text);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name.empty()) {
      continue;
    }
    v1::TaskState state;
    if (!v1::TaskState_Parse(name, &state)) {
      return Status::invalid("query parameter 'state' has an unknown task state '" + name +
                             "' (expected TASK_RUNNING, TASK_FINISHED, ...)");
    }
    states.insert(state);
  }
  return states;
}

}  // namespace

std::string toLower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool containsIgnoringCase(const std::string& haystack, const std::string& needle) {
  if (needle.empty()) {
    return true;
  }
  auto it =
      std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it != haystack.end();
}

StatusOr<Page> parsePage(const QueryParams& params, size_t defaultLimit, size_t maxLimit) {
  auto limit = number(params, "limit", defaultLimit);
  if (!limit.isOk()) {
    return limit.status();
  }
  auto offset = number(params, "offset", 0);
  if (!offset.isOk()) {
    return offset.status();
  }
  if (*limit > maxLimit) {
    return Status::invalid("query parameter 'limit' must be at most " + std::to_string(maxLimit) +
                           ", got " + std::to_string(*limit));
  }
  return Page{*limit, *offset};
}

bool TaskQuery::matchesIgnoringState(const v1::Task& task) const {
  if ((!frameworkId.empty() && task.framework_id().value() != frameworkId) ||
      (!taskId.empty() && task.task_id().value() != taskId) ||
      (!agentId.empty() && task.agent_id().value() != agentId) ||
      !containsIgnoringCase(task.name(), name)) {
    return false;
  }
  if (search.empty()) {
    return true;
  }
  return containsIgnoringCase(task.task_id().value(), search) ||
         containsIgnoringCase(task.name(), search) ||
         containsIgnoringCase(task.framework_id().value(), search) ||
         containsIgnoringCase(task.agent_id().value(), search) ||
         containsIgnoringCase(v1::TaskState_Name(task.state()), search);
}

bool TaskQuery::matchesState(v1::TaskState state) const {
  return states.empty() || states.count(state) > 0;
}

StatusOr<TaskQuery> parseTaskQuery(const QueryParams& params) {
  TaskQuery query;
  // Stepped over loop turns (see TaskListing): any page size is safe for the loop.
  auto page = parsePage(params, 100, 999999999);
  if (!page.isOk()) {
    return page.status();
  }
  query.page = *page;
  std::string order = paramOr(params, "order");
  if (!order.empty() && order != "asc" && order != "des") {
    return Status::invalid("query parameter 'order' must be 'asc' or 'des', got '" + order + "'");
  }
  query.descending = order == "des";
  auto states = parseStates(paramOr(params, "state"));
  if (!states.isOk()) {
    return states.status();
  }
  query.states = *states;
  query.frameworkId = paramOr(params, "framework_id");
  query.taskId = paramOr(params, "task_id");
  query.agentId = firstOf(params, {"agent_id", "slave_id"});
  query.name = toLower(paramOr(params, "name"));
  query.search = toLower(paramOr(params, "search"));
  return query;
}

StatusOr<AgentQuery> parseAgentQuery(const QueryParams& params) {
  auto page = parsePage(params, 100, 1000);
  if (!page.isOk()) {
    return page.status();
  }
  AgentQuery query;
  query.page = *page;
  query.agentId = firstOf(params, {"slave_id", "agent_id"});
  query.state = paramOr(params, "state");
  if (!query.state.empty() && query.state != "REGISTERED" && query.state != "UNREACHABLE" &&
      query.state != "RECOVERED") {
    return Status::invalid(
        "query parameter 'state' must be REGISTERED, UNREACHABLE or "
        "RECOVERED, got '" +
        query.state + "'");
  }
  query.search = toLower(paramOr(params, "search"));
  return query;
}

StatusOr<FrameworkQuery> parseFrameworkQuery(const QueryParams& params) {
  auto page = parsePage(params, 100, 1000);
  if (!page.isOk()) {
    return page.status();
  }
  FrameworkQuery query;
  query.page = *page;
  query.frameworkId = paramOr(params, "framework_id");
  query.search = toLower(paramOr(params, "search"));
  return query;
}

StatusOr<OfferQuery> parseOfferQuery(const QueryParams& params) {
  auto page = parsePage(params, 100, 1000);
  if (!page.isOk()) {
    return page.status();
  }
  OfferQuery query;
  query.page = *page;
  query.frameworkId = paramOr(params, "framework_id");
  query.agentId = firstOf(params, {"slave_id", "agent_id"});
  return query;
}

}  // namespace agora::master
