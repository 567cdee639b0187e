#include "frameworks/services/readiness.hpp"

#include <httplib.h>

#include <cmath>

#include "frameworks/services/container_spec.hpp"

namespace agora::services {

namespace {

using nlohmann::json;

void add(std::vector<FieldError>& errors, const std::string& path, const std::string& error) {
  errors.push_back(FieldError{path, {error}});
}

// The index of the port definition named `name` (-1 when none is).
int portIndexOf(const json& body, const std::string& name) {
  const json definitions = portEntries(body);
  for (size_t i = 0; definitions.is_array() && i < definitions.size(); ++i) {
    if (definitions[i].is_object() && definitions[i].value("name", json()) == name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

std::vector<FieldError> validateReadinessChecks(const json& body) {
  std::vector<FieldError> errors;
  if (!body.contains("readinessChecks")) {
    return errors;
  }
  const json& checks = body["readinessChecks"];
  if (!checks.is_array()) {
    add(errors, "/readinessChecks", "error.expected.jsarray");
    return errors;
  }
  if (checks.size() > 1) {
    add(errors, "/readinessChecks", "Only one readinessCheck is supported at the moment");
  }
  for (size_t i = 0; i < checks.size(); ++i) {
    std::string path = "/readinessChecks(" + std::to_string(i) + ")";
    const json& check = checks[i];
    if (!check.is_object()) {
      add(errors, path, "error.expected.jsobject");
      continue;
    }
    if (check.value("protocol", json("HTTP")) != "HTTP") {
      add(errors, path + "/protocol", "only HTTP readiness checks are supported");
    }
    if (check.contains("path") && !check["path"].is_string()) {
      add(errors, path + "/path", "error.expected.jsstring");
    }
    for (const char* name : {"intervalSeconds", "timeoutSeconds"}) {
      if (check.contains(name) && (!check[name].is_number() || check[name].get<double>() <= 0)) {
        add(errors, path + "/" + name,
            check[name].is_number() ? "must be greater than 0" : "error.expected.jsnumber");
      }
    }
    const json statuses = check.value("httpStatusCodesForReady", json::array({200}));
    bool statusesValid = statuses.is_array() && !statuses.empty();
    for (const json& status : statusesValid ? statuses : json::array()) {
      statusesValid = statusesValid && status.is_number_integer() && status.get<int>() >= 100 &&
                      status.get<int>() <= 599;
    }
    if (!statusesValid) {
      add(errors, path + "/httpStatusCodesForReady", "must be HTTP status codes (100 to 599)");
    }
    if (!check.value("portName", json("")).is_string() ||
        portIndexOf(body, check.value("portName", json("")).is_string()
                              ? check.value("portName", "")
                              : "") < 0) {
      add(errors, path + "/portName", "must name one of the app's portDefinitions");
    }
  }
  return errors;
}

std::optional<ReadinessCheck> readinessCheckOf(const App& app) {
  if (!app.extra.contains("readinessChecks") || !app.extra["readinessChecks"].is_array() ||
      app.extra["readinessChecks"].empty()) {
    return std::nullopt;
  }
  const json& check = app.extra["readinessChecks"][0];
  ReadinessCheck out;
  out.name = check.value("name", out.name);
  out.path = check.value("path", out.path);
  out.portIndex = std::max(0, portIndexOf(app.extra, check.value("portName", "")));
  out.intervalSeconds = check.value("intervalSeconds", out.intervalSeconds);
  out.timeoutSeconds = check.value("timeoutSeconds", out.timeoutSeconds);
  if (check.contains("httpStatusCodesForReady")) {
    out.readyStatuses = check["httpStatusCodesForReady"].get<std::set<int>>();
  }
  return out;
}

HttpProber::HttpProber() : thread_([this] { run(); }) {}

HttpProber::~HttpProber() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

void HttpProber::probe(const std::string& host, int port, const std::string& path,
                       double timeoutSeconds, Done done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Request{host, port, path, timeoutSeconds, std::move(done)});
  }
  wake_.notify_one();
}

void HttpProber::run() {
  while (true) {
    Request request;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    httplib::Client client(request.host, request.port);
    auto timeout =
        std::chrono::milliseconds(static_cast<int64_t>(std::ceil(request.timeoutSeconds * 1000)));
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    httplib::Result result = client.Get(request.path);
    if (result) {
      request.done(result->status, "");
    } else {
      request.done(0, httplib::to_string(result.error()));
    }
  }
}

}  // namespace agora::services
