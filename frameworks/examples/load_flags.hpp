// Command-line flags of `agora-load-framework` (the only place they are read), turned into
// options once in `main()`.
#pragma once

#include <string>

#include "common/base/status.hpp"
#include "frameworks/examples/load_plan.hpp"

namespace agora::examples {

struct LoadFrameworkOptions {
  std::string master;
  std::string name;
  std::string role;
  LoadPlanOptions plan;
};

// Validates the flags: a command, at least one task, parseable task resources.
StatusOr<LoadFrameworkOptions> loadOptionsFromFlags();

}  // namespace agora::examples
