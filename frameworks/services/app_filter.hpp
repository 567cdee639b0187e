// The filters of `GET /v2/apps` (Marathon's `id=`, `cmd=` and `label=` query parameters).
// Pure functions; thread-compatible.
#pragma once

#include <string>

#include "common/base/status.hpp"
#include "frameworks/services/app.hpp"

namespace agora::services {

struct AppFilter {
  std::string id = "";   // Apps whose id contains it.
  std::string cmd = "";  // Apps whose cmd contains it.
  // Marathon's label selector: comma-separated requirements, each `key`, `!key`,
  // `key==value`, `key!=value`, `key in (a, b)` or `key notin (a, b)`; all must hold.
  std::string label = "";
};

// Errors: a label selector that does not parse.
StatusOr<bool> appMatches(const App& app, const AppFilter& filter);

}  // namespace agora::services
