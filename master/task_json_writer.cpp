#include "master/task_json_writer.hpp"

#include <algorithm>
#include <charconv>

#include "common/base/ids.hpp"

namespace agora::master {
namespace {

void appendField(std::string* out, const char* name, const std::string& value, bool first = false) {
  appendJsonKey(out, name, first);
  appendJsonString(out, value);
}

void appendStatus(std::string* out, const v1::TaskStatus& status) {
  out->push_back('{');
  appendField(out, "state", v1::TaskState_Name(status.state()), true);
  out->append(",\"timestamp\":");
  appendJsonNumber(out, status.timestamp());
  appendField(out, "source", v1::TaskStatus::Source_Name(status.source()));
  appendField(out, "reason", v1::TaskStatus::Reason_Name(status.reason()));
  appendField(out, "message", status.message());
  if (status.has_exit_code()) {
    out->append(",\"exit_code\":");
    out->append(std::to_string(status.exit_code()));
  }
  if (status.has_healthy()) {
    out->append(status.healthy() ? ",\"healthy\":true" : ",\"healthy\":false");
  }
  out->push_back('}');
}

}  // namespace

void appendJsonString(std::string* out, const std::string& text) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xf]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void appendJsonKey(std::string* out, const char* name, bool first) {
  if (!first) out->push_back(',');
  out->push_back('"');
  out->append(name);
  out->append("\":");
}

void appendJsonNumber(std::string* out, double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

void appendTaskJson(std::string* out, const v1::Task& task, const Resources* resources) {
  out->push_back('{');
  appendField(out, "id", task.task_id().value(), true);
  appendField(out, "name", task.name());
  appendField(out, "framework_id", task.framework_id().value());
  appendField(out, "executor_id", task.executor_id().value());
  appendField(out, "slave_id", task.agent_id().value());
  appendField(out, "state", v1::TaskState_Name(task.state()));
  appendField(out, "role", task.role());
  out->append(",\"resources\":");
  if (resources != nullptr) {
    resources->appendJson(out);
  } else {
    auto parsed = Resources::fromProto(task.resources());
    if (parsed.isOk()) {
      parsed->appendJson(out);
    } else {
      out->append("{}");
    }
  }
  out->append(",\"statuses\":[");
  for (int i = 0; i < task.statuses_size(); ++i) {
    if (i > 0) out->push_back(',');
    appendStatus(out, task.statuses(i));
  }
  out->append("]}");
}

nlohmann::json SplicedJson::add(std::string fragment) {
  if (token.empty()) {
    token = "@@fragment-" + newUuid() + "-";
  }
  fragments.push_back(std::move(fragment));
  return token + std::to_string(fragments.size() - 1) + "@@";
}

std::string SplicedJson::skeletonText() const {
  return skeleton.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string_view> SplicedJson::pieces(const std::string& text) const {
  std::vector<std::string_view> out;
  // Placeholders appear as JSON strings: "<token><index>@@".
  std::string quoted = "\"" + token;
  size_t at = 0;
  while (!fragments.empty()) {
    size_t found = text.find(quoted, at);
    if (found == std::string::npos) break;
    size_t indexStart = found + quoted.size();
    size_t indexEnd = text.find("@@\"", indexStart);
    if (indexEnd == std::string::npos) break;
    out.emplace_back(text.data() + at, found - at);
    out.emplace_back(fragments.at(std::stoul(text.substr(indexStart, indexEnd - indexStart))));
    at = indexEnd + 3;
  }
  out.emplace_back(text.data() + at, text.size() - at);
  return out;
}

std::string SplicedJson::render() const {
  std::string text = skeletonText();
  std::vector<std::string_view> parts = pieces(text);
  size_t size = 0;
  for (std::string_view part : parts) size += part.size();
  std::string out;
  out.reserve(size);
  for (std::string_view part : parts) out.append(part);
  return out;
}

SplicedBody::SplicedBody(SplicedJson document)
    : document_(std::move(document)), skeleton_(document_.skeletonText()) {
  pieces_ = document_.pieces(skeleton_);
  size_t end = 0;
  for (std::string_view piece : pieces_) ends_.push_back(end += piece.size());
}

std::string_view SplicedBody::from(size_t offset) const {
  size_t index = std::upper_bound(ends_.begin(), ends_.end(), offset) - ends_.begin();
  if (index >= pieces_.size()) return {};
  std::string_view piece = pieces_[index];
  return piece.substr(offset - (ends_[index] - piece.size()));
}

}  // namespace agora::master
