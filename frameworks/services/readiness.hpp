// Marathon `readinessChecks`: after a task of a deployment is RUNNING (and healthy, when
// it has health checks) agora-services itself GETs `http://<host>:<port><path>` every
// `intervalSeconds` until the answer is one of `httpStatusCodesForReady`; only then does
// the task count as ready, so a rolling upgrade waits for it before killing an old one.
//
// `HttpProber` runs those GETs on its own thread so that a slow or silent task never
// blocks the scheduler's loop; it hands each result to a callback on that thread.
// Thread-safe. The destructor waits for the probe in flight (bounded by its timeout).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "frameworks/services/app.hpp"

namespace agora::services {

struct ReadinessCheck {
  std::string name = "readinessCheck";
  std::string path = "/";
  int portIndex = 0;  // From `portName`, the name of one of the app's portDefinitions.
  double intervalSeconds = 30;
  double timeoutSeconds = 10;
  std::set<int> readyStatuses = {200};
};

// Every rule the app body's `readinessChecks` breaks ("/readinessChecks(0)/portName").
std::vector<FieldError> validateReadinessChecks(const nlohmann::json& body);
// The app's check (Marathon allows one), or nullopt. REQUIRES: the body validated.
std::optional<ReadinessCheck> readinessCheckOf(const App& app);

class HttpProber {
 public:
  // `status` is the HTTP status, or 0 with `error` saying why there was none.
  using Done = std::function<void(int status, const std::string& error)>;

  HttpProber();
  ~HttpProber();
  HttpProber(const HttpProber&) = delete;
  HttpProber& operator=(const HttpProber&) = delete;

  void probe(const std::string& host, int port, const std::string& path, double timeoutSeconds,
             Done done);

 private:
  struct Request {
    std::string host;
    int port;
    std::string path;
    double timeoutSeconds;
    Done done;
  };
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace agora::services
