// Tasks as JSON text, written straight into a string: /state at 100,000 tasks built a
// document tree of millions of nodes on the master's loop (seconds); appending text is
// several times faster. The shape is the one `/tasks` and Mesos' `/state` use.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agora/v1/common.pb.h"
#include "common/resources/resources.hpp"

namespace agora::master {

// Appends `"text"` with JSON escaping (quotes, backslash, control characters).
void appendJsonString(std::string* out, const std::string& text);
// Appends one task object. `resources` are the task's (parsed once at launch); null parses
// them from the proto.
void appendTaskJson(std::string* out, const v1::Task& task, const Resources* resources);

// A JSON document with large arrays written as text: `skeleton` holds a placeholder string
// for each fragment, replaced when the document is rendered (off the master's loop).
struct SplicedJson {
  std::string token;  // Per document and unguessable: no user data can contain it.
  nlohmann::json skeleton;
  std::vector<std::string> fragments;

  // A placeholder value for `fragment` (a JSON array text), to put in the skeleton.
  nlohmann::json add(std::string fragment);
  std::string render() const;
};

}  // namespace agora::master
