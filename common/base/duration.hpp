// Mesos-style durations on the command line: "500ms", "5secs", "2mins", "1hrs", "3days",
// or a bare number of seconds.
#pragma once

#include <chrono>
#include <string>

#include "common/base/status.hpp"

namespace agora {

using Seconds = std::chrono::duration<double>;

StatusOr<Seconds> parseDuration(const std::string& text);

}  // namespace agora
