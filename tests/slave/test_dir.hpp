// A fresh temporary directory per test, removed at the end. Kept short (under /tmp) so
// ipc socket paths inside it fit in a unix socket address.
#pragma once

#include <glog/logging.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace agora::slave::testing {

class TestDir {
 public:
  TestDir() {
    char pattern[] = "/tmp/agslXXXXXX";
    CHECK(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TestDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace agora::slave::testing
