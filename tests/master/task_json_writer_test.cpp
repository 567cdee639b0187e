// Tasks written as JSON text (for /state): valid JSON, the same fields as the tree form,
// escaping of any status message, and fragments spliced only where they were placed.
#include <gtest/gtest.h>

#include "master/task_json_writer.hpp"

namespace agora::master {
namespace {

v1::Task sampleTask() {
  v1::Task task;
  task.set_name("web \"1\"");
  task.mutable_task_id()->set_value("t1");
  task.mutable_framework_id()->set_value("F1");
  task.mutable_agent_id()->set_value("S1");
  task.set_state(v1::TASK_FAILED);
  task.set_role("eng/web");
  Resources::parse("cpus:0.5;mem:64")->toProto(task.mutable_resources());
  v1::TaskStatus* status = task.add_statuses();
  status->set_state(v1::TASK_FAILED);
  status->set_timestamp(1795445890.4565849);
  status->set_message("line 1\nline 2\t\"quoted\" \\ \x01 caf\xc3\xa9");
  status->set_exit_code(7);
  return task;
}

TEST(TaskJsonWriterTest, WritesValidJsonWithEveryField) {
  std::string text;
  appendTaskJson(&text, sampleTask(), nullptr);
  auto json = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << text;
  EXPECT_EQ(json["id"], "t1");
  EXPECT_EQ(json["name"], "web \"1\"");
  EXPECT_EQ(json["slave_id"], "S1");
  EXPECT_EQ(json["state"], "TASK_FAILED");
  EXPECT_EQ(json["role"], "eng/web");
  EXPECT_DOUBLE_EQ(json["resources"]["cpus"].get<double>(), 0.5);
  ASSERT_EQ(json["statuses"].size(), 1u);
  EXPECT_EQ(json["statuses"][0]["message"], "line 1\nline 2\t\"quoted\" \\ \x01 caf\xc3\xa9");
  EXPECT_EQ(json["statuses"][0]["exit_code"], 7);
  EXPECT_DOUBLE_EQ(json["statuses"][0]["timestamp"].get<double>(), 1795445890.4565849);
}

TEST(TaskJsonWriterTest, FragmentsReplaceOnlyTheirPlaceholders) {
  SplicedJson document;
  document.skeleton = {{"name", "@@fragment-not-a-token-0@@"},
                       {"tasks", document.add("[1,2]")},
                       {"more", {{"inner", document.add("[]")}}}};
  auto json = nlohmann::json::parse(document.render(), nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << document.render();
  EXPECT_EQ(json["tasks"], nlohmann::json::parse("[1,2]"));
  EXPECT_TRUE(json["more"]["inner"].empty());
  EXPECT_EQ(json["name"], "@@fragment-not-a-token-0@@");
}

// The body is sent piece by piece, straight from the fragments: read back by offset (as
// the HTTP server does, at any position) it is the rendered document, byte for byte.
TEST(TaskJsonWriterTest, ABodyReadByOffsetIsTheRenderedDocument) {
  SplicedJson document;
  std::string big = "[" + std::string(5000, ' ') + "]";
  document.skeleton = {{"a", document.add(big)}, {"b", 1}, {"c", document.add("[2]")}};
  std::string rendered = document.render();
  SplicedBody body(document);
  ASSERT_EQ(body.size(), rendered.size());
  for (size_t step : {size_t{1}, size_t{7}, size_t{4096}, rendered.size()}) {
    std::string read;
    while (read.size() < body.size()) {
      std::string_view bytes = body.from(read.size());
      ASSERT_FALSE(bytes.empty()) << "at " << read.size();
      read.append(bytes.substr(0, step));
    }
    EXPECT_EQ(read, rendered) << "reading " << step << " bytes at a time";
  }
  EXPECT_TRUE(body.from(body.size()).empty());
  EXPECT_TRUE(body.from(body.size() + 10).empty());
}

}  // namespace
}  // namespace agora::master
