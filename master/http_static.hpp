// Serves the web UI's static files (webui/) from a directory: `/` is index.html, the rest is under
// `/webui/`. Files are read per request (they are small, and an operator can update them without
// restarting the master); a strong ETag from size and mtime lets the browser revalidate cheaply
// (`Cache-Control: no-cache` + `If-None-Match` -> 304). Gzip is applied by cpp-httplib when the
// client accepts it (compressible content types only).
//
// Only regular files inside the directory are served: a path with `..`, `.`, empty or hidden
// segments, a backslash or NUL is refused (400), and a symlink leading outside the directory is
// refused (403). Thread-safe: no mutable state.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <string>

namespace agora::master {

// The directory to serve: `flag` when set; else `share/agora/webui` next to the installed binary
// (`<prefix>/bin/agora-master`); else the source tree's webui/ (a build tree).
std::string resolveWebuiDir(const std::string& flag);

class HttpStatic {
 public:
  explicit HttpStatic(std::string root);

  // Answers GET `relative` (a path below the root, e.g. "js/app.js"; "" is index.html).
  void serve(const std::string& relative, const httplib::Request& req,
             httplib::Response& res) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// The Content-Type for a file name, by extension (application/octet-stream if unknown).
std::string contentTypeFor(const std::string& fileName);
// True when `relative` is a plain path below a root: no `..`, `.`, empty or hidden segments, no
// backslash or NUL, not absolute.
bool isSafeRelativePath(const std::string& relative);

}  // namespace agora::master
