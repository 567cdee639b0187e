// The fetcher (Mesos' `mesos-fetcher`): puts a task's `CommandInfo.uris` into its sandbox
// before the command starts.
//
// Each URI is downloaded (http://, https://: libcurl, redirects followed, connect, stall
// and total timeouts) or copied (file:///path, /path) to `<sandbox>/<name>`, where the name
// is the URI's `output_file` or else the last path component of the URI (without query or
// fragment). `executable` sets mode 0755. With `extract` (absent means true) an archive —
// by its name: .tar, .tar.gz, .tgz, .tar.bz2, .tbz2, .tar.xz, .txz, .zip — is unpacked into
// the sandbox, and a lone .gz is decompressed to the name without ".gz"; the archive is
// kept. An archive is checked before anything of it is written: one entry (or hard link
// target) that is absolute or has a ".." component fails the fetch, and nothing is
// extracted through a symlink.
//
// Blocking: run it off any event loop. Thread-compatible (no shared state); `cancel` may be
// set from another thread to abort a download.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "agora/v1/common.pb.h"
#include "common/base/status.hpp"

namespace agora::slave {

struct FetcherOptions {
  // The task's sandbox: an existing directory.
  std::string sandbox;
  std::chrono::seconds connectTimeout{30};
  // A download that receives nothing for this long is abandoned.
  std::chrono::seconds stallTimeout{60};
  // The longest a single download may take (0: no limit).
  std::chrono::seconds totalTimeout{3600};
  // When it becomes true, a download in progress is aborted. May be null.
  const std::atomic<bool>* cancel = nullptr;
  // Progress in words ("Fetched http://... (1.2 MB)"), for the executor's log.
  std::function<void(const std::string&)> progress;
};

// Fetches every URI in order; stops at the first failure. Errors name the URI and the
// cause ("Failed to fetch 'http://h/x.tgz': HTTP 404 Not Found", "... Couldn't connect to
// server", "... archive entry '../x' leaves the sandbox").
Status fetchUris(const google::protobuf::RepeatedPtrField<v1::CommandInfo::URI>& uris,
                 const FetcherOptions& options);

// Fetches one URI (see above); the error does not repeat the URI.
Status fetchUri(const v1::CommandInfo::URI& uri, const FetcherOptions& options);

// The name a URI's file gets in the sandbox: `output_file`, else the last path component
// of `value` without query or fragment. Invalid when that is empty, "." or "..".
StatusOr<std::string> fetchedFileName(const v1::CommandInfo::URI& uri);

}  // namespace agora::slave
