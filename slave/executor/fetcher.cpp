#include "slave/executor/fetcher.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace agora::slave {

namespace {

namespace fs = std::filesystem;

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isRemote(const std::string& value) {
  return startsWith(value, "http://") || startsWith(value, "https://");
}

std::string describeSize(uintmax_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// ---- Downloads -------------------------------------------------------------------------

struct Download {
  FILE* file = nullptr;
  std::string statusLine;  // Of the last response ("HTTP/1.1 404 Not Found").
  const std::atomic<bool>* cancel = nullptr;
};

size_t onData(char* data, size_t size, size_t count, void* user) {
  return std::fwrite(data, size, count, static_cast<Download*>(user)->file) * size;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  if (startsWith(line, "HTTP/")) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    static_cast<Download*>(user)->statusLine = line;
  }
  return size * count;
}

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const std::atomic<bool>* cancel = static_cast<Download*>(user)->cancel;
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

// "404 Not Found" from "HTTP/1.1 404 Not Found", or the bare code.
std::string describeHttpStatus(long code, const std::string& statusLine) {
  size_t space = statusLine.find(' ');
  if (space != std::string::npos &&
      startsWith(statusLine.substr(space + 1), std::to_string(code))) {
    return "HTTP " + statusLine.substr(space + 1);
  }
  return "HTTP " + std::to_string(code);
}

Status download(const std::string& url, const std::string& path, const FetcherOptions& options) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), std::fclose);
  if (!file) {
    return Status::io("cannot write " + path + ": " + std::strerror(errno));
  }
  Download sink;
  sink.file = file.get();
  sink.cancel = options.cancel;
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    return Status::error(StatusCode::kInternal, "cannot initialize libcurl");
  }
  char error[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connectTimeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(options.totalTimeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stallTimeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onData);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &sink);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return Status::unavailable("the download was cancelled");
  }
  if (rc != CURLE_OK) {
    return Status::unavailable(error[0] != '\0' ? error : curl_easy_strerror(rc));
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code < 200 || code >= 300) {
    return code == 404 ? Status::notFound(describeHttpStatus(code, sink.statusLine))
                       : Status::unavailable(describeHttpStatus(code, sink.statusLine));
  }
  if (std::fflush(file.get()) != 0) {
    return Status::io("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

// Downloads `url` to `target` through a temporary file, so a failed download leaves nothing.
Status downloadTo(const std::string& url, const std::string& target,
                  const FetcherOptions& options) {
  fs::path partial =
      fs::path(target).parent_path() / ("." + fs::path(target).filename().string() + ".fetching");
  Status downloaded = download(url, partial.string(), options);
  std::error_code ec;
  if (downloaded.isOk()) {
    fs::rename(partial, target, ec);
    if (ec) downloaded = Status::io("cannot move the download to " + target + ": " + ec.message());
  }
  if (!downloaded.isOk()) fs::remove(partial, ec);
  return downloaded;
}

Status copyLocal(const std::string& value, const std::string& target) {
  std::string source = startsWith(value, "file://") ? value.substr(7) : value;
  std::error_code ec;
  fs::file_status status = fs::status(source, ec);
  if (ec || !fs::exists(status)) {
    return Status::notFound("no such file: " + source);
  }
  if (!fs::is_regular_file(status)) {
    return Status::invalid(source + " is not a regular file");
  }
  fs::copy_file(source, target, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    return Status::io("cannot copy " + source + " to " + target + ": " + ec.message());
  }
  return Status::ok();
}

// ---- Archives --------------------------------------------------------------------------

enum class ArchiveKind { kNone, kArchive, kGzip };

ArchiveKind archiveKind(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* suffix :
       {".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip"}) {
    if (endsWith(name, suffix)) return ArchiveKind::kArchive;
  }
  return endsWith(name, ".gz") && name.size() > 3 ? ArchiveKind::kGzip : ArchiveKind::kNone;
}

using Archive = std::unique_ptr<archive, int (*)(archive*)>;

StatusOr<Archive> openArchive(const std::string& path, ArchiveKind kind) {
  Archive reader(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(reader.get());
  if (kind == ArchiveKind::kGzip) {
    archive_read_support_format_raw(reader.get());
  } else {
    archive_read_support_format_tar(reader.get());
    archive_read_support_format_zip(reader.get());
  }
  if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return Status::invalid(std::string("not a valid archive: ") +
                           archive_error_string(reader.get()));
  }
  return reader;
}

// Whether an entry name stays inside the directory it is extracted to.
bool staysInside(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t end = name.find('/', begin);
    if (end == std::string::npos) end = name.size();
    if (name.compare(begin, end - begin, "..") == 0 && end - begin == 2) return false;
    begin = end + 1;
  }
  return true;
}

Status corrupt(archive* reader) {
  return Status::invalid(std::string("corrupt archive: ") + archive_error_string(reader));
}

// The first pass: every entry and hard link target stays inside the sandbox.
Status checkEntries(const std::string& path) {
  auto reader = openArchive(path, ArchiveKind::kArchive);
  if (!reader.isOk()) return reader.status();
  archive_entry* entry;
  int rc;
  while ((rc = archive_read_next_header(reader->get(), &entry)) == ARCHIVE_OK) {
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr || !staysInside(name)) {
      return Status::invalid(std::string("archive entry '") + (name ? name : "") +
                             "' leaves the sandbox (absolute or with '..')");
    }
    const char* link = archive_entry_hardlink(entry);
    if (link != nullptr && !staysInside(link)) {
      return Status::invalid(std::string("archive entry '") + name + "' links to '" + link +
                             "', outside the sandbox");
    }
    if (archive_read_data_skip(reader->get()) != ARCHIVE_OK) return corrupt(reader->get());
  }
  return rc == ARCHIVE_EOF ? Status::ok() : corrupt(reader->get());
}

Status copyData(archive* reader, archive* writer, const std::string& name) {
  const void* block;
  size_t size;
  la_int64_t offset;
  int rc;
  while ((rc = archive_read_data_block(reader, &block, &size, &offset)) == ARCHIVE_OK) {
    if (archive_write_data_block(writer, block, size, offset) < ARCHIVE_WARN) {
      return Status::io("cannot write '" + name + "': " + archive_error_string(writer));
    }
  }
  return rc == ARCHIVE_EOF ? Status::ok() : corrupt(reader);
}

// The second pass, after checkEntries: writes the entries under `root` (a directory
// without symlinks in its path), never through a symlink, without the archive's owners.
Status extractArchive(const std::string& path, const std::string& root) {
  AGORA_RETURN_IF_ERROR(checkEntries(path));
  auto reader = openArchive(path, ArchiveKind::kArchive);
  if (!reader.isOk()) return reader.status();
  Archive writer(archive_write_disk_new(), archive_write_free);
  archive_write_disk_set_options(writer.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                                   ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                   ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  archive_entry* entry;
  int rc;
  while ((rc = archive_read_next_header(reader->get(), &entry)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry);
    archive_entry_set_pathname(entry, (root + "/" + name).c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      archive_entry_set_hardlink(entry, (root + "/" + link).c_str());
    }
    if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) {
      return Status::io("cannot extract '" + name + "': " + archive_error_string(writer.get()));
    }
    AGORA_RETURN_IF_ERROR(copyData(reader->get(), writer.get(), name));
    if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) {
      return Status::io("cannot extract '" + name + "': " + archive_error_string(writer.get()));
    }
  }
  return rc == ARCHIVE_EOF ? Status::ok() : corrupt(reader->get());
}

// A lone `name.gz` decompressed to `name` beside it.
Status gunzip(const std::string& path) {
  auto reader = openArchive(path, ArchiveKind::kGzip);
  if (!reader.isOk()) return reader.status();
  archive_entry* entry;
  if (archive_read_next_header(reader->get(), &entry) != ARCHIVE_OK) {
    return corrupt(reader->get());
  }
  if (archive_filter_code(reader->get(), 0) != ARCHIVE_FILTER_GZIP) {
    return Status::invalid("not gzip-compressed");
  }
  std::string target = path.substr(0, path.size() - 3);
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(target.c_str(), "wb"), std::fclose);
  if (!out) {
    return Status::io("cannot write " + target + ": " + std::strerror(errno));
  }
  char buffer[1 << 16];
  la_ssize_t got;
  while ((got = archive_read_data(reader->get(), buffer, sizeof(buffer))) > 0) {
    if (std::fwrite(buffer, 1, static_cast<size_t>(got), out.get()) != static_cast<size_t>(got)) {
      return Status::io("cannot write " + target + ": " + std::strerror(errno));
    }
  }
  return got == 0 ? Status::ok() : corrupt(reader->get());
}

void report(const FetcherOptions& options, const std::string& message) {
  if (options.progress) options.progress(message);
}

}  // namespace

StatusOr<std::string> fetchedFileName(const v1::CommandInfo::URI& uri) {
  std::string name;
  if (uri.has_output_file()) {
    name = uri.output_file();
  } else {
    std::string path = uri.value();
    if (isRemote(path)) path = path.substr(0, path.find_first_of("?#"));
    name = path.substr(path.rfind('/') + 1);
  }
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return Status::invalid("cannot name the fetched file ('" + name +
                           "'); give the URI an output_file");
  }
  return name;
}

Status fetchUri(const v1::CommandInfo::URI& uri, const FetcherOptions& options) {
  auto name = fetchedFileName(uri);
  if (!name.isOk()) return name.status();
  std::error_code ec;
  fs::path root = fs::canonical(options.sandbox, ec);
  if (ec) {
    return Status::io("no sandbox at " + options.sandbox + ": " + ec.message());
  }
  std::string target = (root / *name).string();
  const std::string& value = uri.value();
  if (isRemote(value)) {
    AGORA_RETURN_IF_ERROR(downloadTo(value, target, options));
  } else if (startsWith(value, "file:///") || startsWith(value, "/")) {
    AGORA_RETURN_IF_ERROR(copyLocal(value, target));
  } else {
    return Status::invalid("unsupported URI (http://, https://, file:/// or an absolute path)");
  }
  report(options, "Fetched " + value + " to " + target + " (" +
                      describeSize(fs::file_size(target, ec)) + ")");
  if (uri.has_executable() && uri.executable()) {
    fs::permissions(target, fs::perms(0755), fs::perm_options::replace, ec);
    if (ec) return Status::io("cannot make " + target + " executable: " + ec.message());
  }
  if (uri.has_extract() && !uri.extract()) {
    return Status::ok();
  }
  switch (archiveKind(*name)) {
    case ArchiveKind::kArchive:
      AGORA_RETURN_IF_ERROR(extractArchive(target, root.string()).withContext(*name));
      report(options, "Extracted " + *name + " into " + root.string());
      break;
    case ArchiveKind::kGzip:
      AGORA_RETURN_IF_ERROR(gunzip(target).withContext(*name));
      report(options, "Decompressed " + *name);
      break;
    case ArchiveKind::kNone:
      break;
  }
  return Status::ok();
}

Status fetchUris(const google::protobuf::RepeatedPtrField<v1::CommandInfo::URI>& uris,
                 const FetcherOptions& options) {
  for (const auto& uri : uris) {
    AGORA_RETURN_IF_ERROR(
        fetchUri(uri, options).withContext("Failed to fetch '" + uri.value() + "'"));
  }
  return Status::ok();
}

}  // namespace agora::slave
