// A /tasks query answered over several loop turns. Filtering 100,000 tasks (active and completed)
// takes up to a few hundred milliseconds; done in one callback it would hold up agent and framework
// messages, so the walk runs `MasterOptions::stateStep` per turn and resumes where it stopped (like
// StateAssembly, with the same price: a task that ends between two steps may be counted twice or
// not at all).
//
// The walk visits each framework (in the order they registered): its active tasks in key order,
// then its completed tasks, then the completed frameworks' tasks. Every task matching the filters
// gets the next position; the tasks whose positions fall in the requested page are written. For
// `order=des` a first walk only counts, and a second writes the page counted from the end.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "master/entities.hpp"
#include "master/http_listing_query.hpp"
#include "master/task_json_writer.hpp"

namespace agora::master {

struct TaskListing {
  using Done = std::function<void(SplicedJson)>;

  // Where the walk stands; frameworks by their position in `frameworkIds`.
  struct Cursor {
    size_t framework = 0;
    bool inCompleted = false;           // Past the framework's active tasks.
    std::optional<TaskKey> lastActive;  // Set only while a step stopped inside the set.
    size_t frameworkStart = 0;          // `matched` when the framework's walk began.
    size_t completedIndex = 0;
    size_t completedFramework = 0;  // In `completedFrameworks_`, after all frameworks.
  };

  TaskQuery query;
  Done done;
  std::vector<std::string> frameworkIds;
  Cursor cursor;
  // Positions [begin, end) of the matching tasks to write in this walk.
  size_t windowBegin = 0;
  size_t windowEnd = 0;
  bool countingOnly = false;  // The first of the two walks of `order=des`.
  // No filter at all: the active tasks' states come from the master's counts, and a framework's
  // active tasks outside the page are counted by the size of their set.
  bool unfiltered = false;

  size_t matched = 0;
  std::map<v1::TaskState, size_t> byState;  // Every filter but the state.
  std::vector<std::string> written;
};

}  // namespace agora::master
