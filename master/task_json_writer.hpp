// Tasks as JSON text, written straight into a string: /state at 100,000 tasks built a
// document tree of millions of nodes on the master's loop (seconds); appending text is
// several times faster. The shape is the one `/tasks` and Mesos' `/state` use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agora/v1/common.pb.h"
#include "common/resources/resources.hpp"

namespace agora::master {

// Appends `"text"` with JSON escaping (quotes, backslash, control characters).
void appendJsonString(std::string* out, const std::string& text);
// Appends `,"name":`, without the comma for an object's first field.
void appendJsonKey(std::string* out, const char* name, bool first = false);
// Appends the shortest text that reads back as `value`.
void appendJsonNumber(std::string* out, double value);
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
  // The document in order as views into `skeletonText` (the skeleton dumped) and the
  // fragments: sent as they are, tens of MB need not be copied into one string.
  std::vector<std::string_view> pieces(const std::string& skeletonText) const;
  std::string skeletonText() const;
  std::string render() const;
};

// A document's bytes by offset, for sending it piece by piece without joining the pieces.
class SplicedBody {
 public:
  explicit SplicedBody(SplicedJson document);
  // Its pieces are views into its own members.
  SplicedBody(const SplicedBody&) = delete;
  SplicedBody& operator=(const SplicedBody&) = delete;
  size_t size() const { return ends_.empty() ? 0 : ends_.back(); }
  // The bytes from `offset` to the end of the piece holding it; empty at or past the end.
  std::string_view from(size_t offset) const;

 private:
  SplicedJson document_;
  std::string skeleton_;
  std::vector<std::string_view> pieces_;
  std::vector<size_t> ends_;  // Where each piece ends in the body.
};

}  // namespace agora::master
