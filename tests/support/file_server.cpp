#include "tests/support/file_server.hpp"

#include <glog/logging.h>

#include <chrono>

namespace agora::testing {

FileServer::FileServer(std::map<std::string, std::string> files) : files_(std::move(files)) {
  server_.Get(R"(/files/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = files_.find(req.matches[1]);
    if (it == files_.end()) {
      res.status = 404;
      return;
    }
    res.set_content(it->second, "application/octet-stream");
  });
  server_.Get(R"(/redirect/(.+))", [](const httplib::Request& req, httplib::Response& res) {
    res.set_redirect("/files/" + std::string(req.matches[1]));
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  CHECK_GT(port_, 0) << "cannot bind a loopback port";
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // No ready signal to wait on.
  }
}

FileServer::~FileServer() {
  server_.stop();
  thread_.join();
}

void FileServer::add(const std::string& name, std::string content) {
  std::lock_guard<std::mutex> lock(mutex_);
  files_[name] = std::move(content);
}

std::string FileServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace agora::testing
