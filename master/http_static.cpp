#include "master/http_static.hpp"

#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "common/http/http.hpp"

#ifndef AGORA_WEBUI_SOURCE_DIR
#define AGORA_WEBUI_SOURCE_DIR ""
#endif

namespace agora::master {
namespace fs = std::filesystem;

std::string resolveWebuiDir(const std::string& flag) {
  if (!flag.empty()) {
    return flag;
  }
  std::error_code error;
  fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "agora" / "webui";
    if (fs::is_regular_file(installed / "index.html", error)) {
      return installed.string();
    }
  }
  return AGORA_WEBUI_SOURCE_DIR;
}

bool isSafeRelativePath(const std::string& relative) {
  if (relative.empty() || relative.front() == '/' ||
      relative.find_first_of(std::string("\\\0", 2)) != std::string::npos) {
    return false;
  }
  std::stringstream in(relative);
  std::string segment;
  while (std::getline(in, segment, '/')) {
    // Hidden files too: nothing like .git or an editor's swap file is meant to be served.
    if (segment.empty() || segment.front() == '.') {
      return false;
    }
  }
  return relative.back() != '/';
}

std::string contentTypeFor(const std::string& fileName) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/plain; charset=utf-8"},
  };
  std::string extension = fs::path(fileName).extension().string();
  for (const auto& [suffix, type] : kTypes) {
    if (extension == suffix) {
      return type;
    }
  }
  return "application/octet-stream";
}

HttpStatic::HttpStatic(std::string root) : root_(std::move(root)) {
  std::error_code error;
  if (fs::is_regular_file(fs::path(root_) / "index.html", error)) {
    LOG(INFO) << "Web UI served from " << root_;
  } else {
    LOG(WARNING) << "No web UI in '" << root_ << "' (no index.html): / answers 404; set "
                 << "--webui_dir";
  }
}

void HttpStatic::serve(const std::string& relative, const httplib::Request& req,
                       httplib::Response& res) const {
  std::string name = relative.empty() ? "index.html" : relative;
  if (!isSafeRelativePath(name)) {
    replyError(res, 400, "refused web UI path '" + relative + "'");
    return;
  }
  std::error_code error;
  fs::path root = fs::canonical(root_, error);
  if (error) {
    replyError(res, 404,
               "the web UI is not installed (no directory '" + root_ + "'; set --webui_dir)");
    return;
  }
  fs::path path = fs::canonical(root / name, error);
  if (error || !fs::is_regular_file(path, error)) {
    replyError(res, 404, "no web UI file '" + name + "'");
    return;
  }
  // A symlink inside the directory must not lead out of it.
  auto [rootEnd, ignored] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  if (rootEnd != root.end()) {
    replyError(res, 403, "web UI file '" + name + "' is outside the web UI directory");
    return;
  }
  auto size = fs::file_size(path, error);
  auto mtime = fs::last_write_time(path, error);
  std::string etag =
      "\"" + std::to_string(size) + "-" +
      std::to_string(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count())) +
      "\"";
  // Revalidate every time (the file names carry no content hash); a match costs a 304.
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", etag);
  res.set_header("X-Content-Type-Options", "nosniff");
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  if (!in) {
    replyError(res, 500, "cannot read web UI file '" + name + "'");
    return;
  }
  res.status = 200;
  res.set_content(content.str(), contentTypeFor(name).c_str());
}

}  // namespace agora::master
