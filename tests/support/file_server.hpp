// A real HTTP server on a free loopback port (cpp-httplib, on its own thread) serving fixed
// files, for tests of code that downloads: `GET /files/NAME` answers the bytes added
// under NAME, or 404 Not Found; `GET /redirect/NAME` answers 302 to `/files/NAME`.
//
// Thread-safety: `add` and `url` may be called from any thread, also while serving.
#pragma once

#include <httplib.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace agora::testing {

class FileServer {
 public:
  // Listening once constructed.
  explicit FileServer(std::map<std::string, std::string> files = {});
  ~FileServer();
  FileServer(const FileServer&) = delete;
  FileServer& operator=(const FileServer&) = delete;

  void add(const std::string& name, std::string content);
  // "http://127.0.0.1:PORT" + `path` ("/files/x.tgz").
  std::string url(const std::string& path) const;
  std::string fileUrl(const std::string& name) const { return url("/files/" + name); }

 private:
  httplib::Server server_;
  std::mutex mutex_;
  std::map<std::string, std::string> files_;  // GUARDED_BY(mutex_)
  int port_ = 0;
  std::thread thread_;
};

}  // namespace agora::testing
