#include "slave/http_api.hpp"

#include <glog/logging.h>

#include <fstream>
#include <memory>

#include "common/base/ids.hpp"
#include "common/http/http.hpp"
#include "slave/containerizer/cgroups.hpp"
#include "slave/executor/container_runner.hpp"
#include "slave/files.hpp"

namespace agora::slave {

namespace {

int httpCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    default:
      return 500;
  }
}

// Parses an optional integer query parameter; nullopt value means "absent".
StatusOr<std::optional<int64_t>> intParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) {
    return std::optional<int64_t>();
  }
  std::string text = req.get_param_value(name);
  try {
    size_t used = 0;
    int64_t value = std::stoll(text, &used);
    if (used != text.size()) {
      throw std::invalid_argument(name);
    }
    return std::optional<int64_t>(value);
  } catch (const std::exception&) {
    return Status::invalid(std::string("parameter '") + name + "' is not an integer: '" + text +
                           "'");
  }
}

// File contents may not be UTF-8; replace invalid bytes instead of failing the dump.
void replyJsonLossy(httplib::Response& res, const nlohmann::json& body) {
  res.status = 200;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

}  // namespace

namespace {

// Mesos' /monitor/statistics: one entry per executor (here: per task), with the limits
// its resources set and, for a container, what its cgroups say it used.
nlohmann::json statisticsJson(const std::vector<Agent::MonitoredTask>& tasks) {
  nlohmann::json out = nlohmann::json::array();
  auto layout = oci::detectCgroupLayout();
  for (const Agent::MonitoredTask& task : tasks) {
    nlohmann::json statistics = {{"timestamp", wallSeconds()},
                                 {"cpus_limit", task.cpus},
                                 {"mem_limit_bytes", static_cast<uint64_t>(task.memMb * 1048576)}};
    if (task.container && layout.isOk()) {
      std::string id = containerIdForSandbox(task.sandbox);
      auto usage = oci::containerUsage(*layout, containerCgroupsPath(id));
      if (usage.isOk()) {
        statistics["cpus_user_time_secs"] = usage->cpusUserTimeSecs;
        statistics["cpus_system_time_secs"] = usage->cpusSystemTimeSecs;
        statistics["mem_rss_bytes"] = usage->memRssBytes;
        statistics["mem_total_bytes"] = usage->memTotalBytes;
        statistics["mem_limit_bytes"] = usage->memLimitBytes;
        if (usage->cpusLimit > 0) statistics["cpus_limit"] = usage->cpusLimit;
      }
      statistics["container_id"] = id;
    }
    out.push_back({{"executor_id", task.taskId},
                   {"executor_name", task.name},
                   {"framework_id", task.frameworkId},
                   {"source", task.taskId},
                   {"statistics", statistics}});
  }
  return out;
}

}  // namespace

HttpApi::HttpApi(EventLoop& loop, const Agent& agent, Metrics& metrics)
    : loop_(loop),
      agent_(agent),
      metrics_(metrics),
      sandboxes_(sandboxesRoot(agent.options().workDir)) {
  routes();
}

HttpApi::~HttpApi() { stop(); }

void HttpApi::routes() {
  server_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    replyJson(res, 200, nlohmann::json{{"healthy", true}});
  });
  server_.Get("/state", [this](const httplib::Request&, httplib::Response& res) {
    auto state = loop_.runSync([this] { return agent_.stateJson(); });
    if (!state) {
      replyError(res, 503, "the agent is busy; try again");
      return;
    }
    replyJsonLossy(res, *state);
  });
  server_.Get("/monitor/statistics", [this](const httplib::Request&, httplib::Response& res) {
    auto tasks = loop_.runSync([this] { return agent_.monitoredTasks(); });
    if (!tasks) {
      replyError(res, 503, "the agent is busy; try again");
      return;
    }
    replyJson(res, 200, statisticsJson(*tasks));
  });
  server_.Get("/monitor/statistics.json", [this](const httplib::Request&, httplib::Response& res) {
    auto tasks = loop_.runSync([this] { return agent_.monitoredTasks(); });
    replyJson(res, tasks ? 200 : 503, tasks ? statisticsJson(*tasks) : nlohmann::json::array());
  });
  server_.Get("/flags", [this](const httplib::Request&, httplib::Response& res) {
    replyJson(res, 200, nlohmann::json{{"flags", agent_.options().flagValues}});
  });
  server_.Get("/metrics/snapshot", [this](const httplib::Request&, httplib::Response& res) {
    replyJson(res, 200, metrics_.snapshot());
  });
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.prometheus(), "text/plain; version=0.0.4");
  });
  server_.Get("/files/browse", [this](const httplib::Request& req, httplib::Response& res) {
    auto listing = browseFiles(sandboxes_, req.get_param_value("path"));
    if (!listing.isOk()) {
      replyError(res, httpCode(listing.status()), listing.status().message());
      return;
    }
    replyJsonLossy(res, *listing);
  });
  server_.Get("/files/read", [this](const httplib::Request& req, httplib::Response& res) {
    auto offset = intParam(req, "offset");
    auto length = intParam(req, "length");
    if (!offset.isOk() || !length.isOk()) {
      replyError(res, 400, (!offset.isOk() ? offset.status() : length.status()).message());
      return;
    }
    auto chunk =
        readFileChunk(sandboxes_, req.get_param_value("path"), offset->value_or(0), *length);
    if (!chunk.isOk()) {
      replyError(res, httpCode(chunk.status()), chunk.status().message());
      return;
    }
    replyJsonLossy(res, nlohmann::json{{"data", chunk->data}, {"offset", chunk->offset}});
  });
  server_.Get("/files/download", [this](const httplib::Request& req, httplib::Response& res) {
    auto path = resolveDownload(sandboxes_, req.get_param_value("path"));
    if (!path.isOk()) {
      replyError(res, httpCode(path.status()), path.status().message());
      return;
    }
    std::error_code error;
    auto size = std::filesystem::file_size(*path, error);
    auto in = std::make_shared<std::ifstream>(*path, std::ios::binary);
    if (error || !*in) {
      replyError(res, 500, "cannot open " + path->string());
      return;
    }
    res.set_header("Content-Disposition",
                   "attachment; filename=\"" + path->filename().string() + "\"");
    // shared_ptr: the provider is copied by httplib and outlives this handler.
    res.set_content_provider(size, "application/octet-stream",
                             [in](size_t offset, size_t length, httplib::DataSink& sink) {
                               std::string buffer(std::min<size_t>(length, 64 * 1024), '\0');
                               in->seekg(static_cast<std::streamoff>(offset));
                               in->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                               if (in->gcount() <= 0) {
                                 return false;
                               }
                               sink.write(buffer.data(), static_cast<size_t>(in->gcount()));
                               return true;
                             });
  });
}

Status HttpApi::start(const std::string& ip, int port) {
  if (!server_.bind_to_port(ip.c_str(), port)) {
    return Status::unavailable("cannot listen on " + ip + ":" + std::to_string(port));
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  LOG(INFO) << "Agent HTTP API on http://" << ip << ":" << port;
  return Status::ok();
}

void HttpApi::stop() {
  server_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace agora::slave
