// The query parameters of the master's list endpoints (/tasks, /slaves, /frameworks, /offers):
// pagination and server-side filters, so a client (the web UI) never needs the whole /state to show
// one page of a cluster with 10,000 agents and 100,000 tasks.
//
// Pure functions, thread-safe: parsed on the HTTP thread, matched on the master's loop. A parse
// error names the parameter and the value (the HTTP layer answers 400 with it).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "agora/v1/common.pb.h"
#include "common/base/status.hpp"

namespace agora::master {

using QueryParams = std::multimap<std::string, std::string>;

struct Page {
  size_t limit = 100;
  size_t offset = 0;
};

// `limit` (at most `maxLimit`) and `offset`: non-negative integers.
StatusOr<Page> parsePage(const QueryParams& params, size_t defaultLimit, size_t maxLimit);

// GET /tasks: `framework_id`, `task_id`, `agent_id` (or Mesos' `slave_id`) match exactly; `state`
// is a comma-separated list of TASK_* names; `name` is a case-insensitive substring of the task's
// name; `search` a case-insensitive substring of its id, name, framework id, agent id or state;
// `order` is `asc` (the default) or `des`.
struct TaskQuery {
  Page page;
  bool descending = false;
  std::string frameworkId;
  std::string taskId;
  std::string agentId;
  std::set<v1::TaskState> states;  // Empty: every state.
  std::string name;                // Lower case.
  std::string search;              // Lower case.

  // Every filter but `states` (the answer counts matching tasks per state, so a client can show how
  // many each state filter would give).
  bool matchesIgnoringState(const v1::Task& task) const;
  bool matchesState(v1::TaskState state) const;
};
StatusOr<TaskQuery> parseTaskQuery(const QueryParams& params);

// GET /slaves: `slave_id` (or `agent_id`) exactly; `state` an agent state name (REGISTERED,
// UNREACHABLE, RECOVERED); `search` a case-insensitive substring of the id, hostname or attributes.
// At most 1,000 per page: each agent is written on the master's loop.
struct AgentQuery {
  Page page;
  std::string agentId;
  std::string state;
  std::string search;  // Lower case.
};
StatusOr<AgentQuery> parseAgentQuery(const QueryParams& params);

// GET /frameworks: `framework_id` exactly; `search` a case-insensitive substring of the id, name,
// user or roles.
struct FrameworkQuery {
  Page page;
  std::string frameworkId;
  std::string search;  // Lower case.
};
StatusOr<FrameworkQuery> parseFrameworkQuery(const QueryParams& params);

// GET /offers: `framework_id`, `slave_id` (or `agent_id`) exactly.
struct OfferQuery {
  Page page;
  std::string frameworkId;
  std::string agentId;
};
StatusOr<OfferQuery> parseOfferQuery(const QueryParams& params);

// Lower-cased ASCII (for the case-insensitive filters).
std::string toLower(std::string text);
// True when `needle` (lower case) is in `haystack`, ignoring ASCII case.
bool containsIgnoringCase(const std::string& haystack, const std::string& needle);

}  // namespace agora::master
