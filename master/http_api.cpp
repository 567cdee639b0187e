#include "master/http_api.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <future>

#include "common/http/http.hpp"
#include "master/http_services_proxy.hpp"
#include "master/operator_requests.hpp"

namespace agora::master {
namespace {

// A form field (Mesos' curl -d slaveId=..&field=..), or the same in a JSON object body
// (`slaveId` or `agent_id`). Returns (agent id, the field as JSON text).
std::pair<std::string, std::string> agentAndField(const httplib::Request& req,
                                                  const std::string& field) {
  std::string agentId = req.get_param_value("slaveId");
  std::string value = req.get_param_value(field);
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (agentId.empty() && body.is_object()) {
    for (const char* key : {"slaveId", "agent_id"}) {
      if (body.contains(key) && body[key].is_string()) {
        agentId = body[key].get<std::string>();
      }
    }
    value = body.contains(field) ? body[field].dump() : "";
  }
  return {agentId, value};
}

// Mesos' codes for operations on an agent: 202 accepted, 400 invalid, 404 unknown agent,
// 409 conflict with the agent's state.
void replyOperation(httplib::Response& res, const std::optional<Status>& status) {
  if (!status) {
    replyError(res, 503, "the master's event loop did not answer in time");
  } else if (status->isOk()) {
    replyJson(res, 202, nlohmann::json::object());
  } else if (status->code() == StatusCode::kInvalidArgument) {
    replyError(res, 400, status->message());
  } else if (status->code() == StatusCode::kNotFound) {
    replyError(res, 404, status->message());
  } else if (status->code() == StatusCode::kFailedPrecondition) {
    replyError(res, 409, status->message());
  } else {
    replyError(res, 503, status->message());
  }
}

}  // namespace

HttpApi::HttpApi(Master& master, nlohmann::json flags)
    : master_(master),
      flags_(std::move(flags)),
      static_(resolveWebuiDir(master.options().webuiDir)) {
  routes();
}

HttpApi::~HttpApi() { stop(); }

namespace {

void replyDocument(httplib::Response& res, const nlohmann::json& document) {
  replyJson(res, 200, document);
}

// Rendered here, on the HTTP thread: the loop only gathered the state. The pieces go out
// as they are (at 100,000 tasks, joining them meant a fresh 50 MB string per request).
void replyDocument(httplib::Response& res, SplicedJson document) {
  auto body = std::make_shared<SplicedBody>(std::move(document));
  res.status = 200;
  res.set_content_provider(
      body->size(), "application/json",
      [body](size_t offset, size_t length, httplib::DataSink& sink) {
        constexpr size_t kChunk = 1 << 20;
        std::string_view bytes = body->from(offset);
        if (bytes.empty()) return false;
        return sink.write(bytes.data(), std::min({bytes.size(), length, kChunk}));
      });
}

}  // namespace

template <typename F>
void HttpApi::onLoop(httplib::Response& res, F fn) {
  auto result = master_.loop().runSync(fn);
  if (!result) {
    replyError(res, 503, "the master's event loop did not answer in time");
    return;
  }
  replyDocument(res, std::move(*result));
}

// 200 `{}` for OK; 400 for invalid requests (nothing changed); 503 otherwise.
void HttpApi::replyStatus(httplib::Response& res, const std::optional<Status>& status) {
  if (!status) {
    replyError(res, 503, "the master's event loop did not answer in time");
  } else if (status->isOk()) {
    replyJson(res, 200, nlohmann::json::object());
  } else {
    replyError(res, status->code() == StatusCode::kInvalidArgument ? 400 : 503,
               status->message());
  }
}

void HttpApi::routes() {
  server_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    replyJson(res, 200, {{"healthy", true}});
  });
  server_.Get("/master/endpoint", [this](const httplib::Request&, httplib::Response& res) {
    replyJson(res, 200, {{"zmq", master_.zmqEndpoint()}, {"id", master_.masterId()}});
  });
  server_.Get("/state", [this](const httplib::Request&, httplib::Response& res) {
    // Written over many loop turns (about a second at 100,000 tasks): wait for it here.
    auto promise = std::make_shared<std::promise<SplicedJson>>();
    std::future<SplicedJson> document = promise->get_future();
    master_.loop().post([this, promise] {
      master_.assembleState([promise](SplicedJson done) { promise->set_value(std::move(done)); });
    });
    if (document.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      replyError(res, 503, "the master did not finish writing its state in time");
      return;
    }
    replyDocument(res, document.get());
  });
  webuiRoutes();  // /tasks among them.
  registerServicesProxy(server_, master_.options().servicesUrl);
  server_.Get("/roles", [this](const httplib::Request&, httplib::Response& res) {
    onLoop(res, [this] { return master_.rolesJson(); });
  });
  server_.Get("/weights", [this](const httplib::Request&, httplib::Response& res) {
    onLoop(res, [this] { return master_.weightsJson(); });
  });
  auto updateWeights = [this](const httplib::Request& req, httplib::Response& res) {
    auto weights = parseWeightsRequest(req.body);
    if (!weights.isOk()) {
      replyError(res, 400, weights.status().message());
      return;
    }
    replyStatus(res, master_.loop().runSync([this, w = *weights] {
      return master_.updateWeights(w);
    }));
  };
  server_.Put("/weights", updateWeights);
  server_.Post("/weights", updateWeights);
  server_.Get("/quota", [this](const httplib::Request&, httplib::Response& res) {
    onLoop(res, [this] { return master_.quotaJson(); });
  });
  server_.Post("/quota", [this](const httplib::Request& req, httplib::Response& res) {
    auto request = parseQuotaRequest(req.body);
    if (!request.isOk()) {
      replyError(res, 400, request.status().message());
      return;
    }
    replyStatus(res, master_.loop().runSync([this, r = *request] {
      return master_.setQuota(r.role, r.quota, r.force);
    }));
  });
  server_.Delete(R"(/quota/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::string role = req.matches[1];
    replyStatus(res, master_.loop().runSync([this, role] {
      return master_.setQuota(role, Master::RoleQuota{}, true);
    }));
  });
  for (const std::string path : {"/reserve", "/unreserve"}) {
    bool reserve = path == "/reserve";
    server_.Post(path, [this, reserve](const httplib::Request& req, httplib::Response& res) {
      // Form fields (Mesos' curl -d slaveId=..&resources=..), or a JSON object body.
      std::string agentId = req.get_param_value("slaveId");
      std::string resources = req.get_param_value("resources");
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      if (agentId.empty() && body.is_object()) {
        for (const char* key : {"slaveId", "agent_id"}) {
          if (body.contains(key) && body[key].is_string()) {
            agentId = body[key].get<std::string>();
          }
        }
        resources = body.contains("resources") ? body["resources"].dump() : "";
      }
      auto request = parseReservationRequest(agentId, resources);
      if (!request.isOk()) {
        replyError(res, 400, request.status().message());
        return;
      }
      auto status = master_.loop().runSync([this, reserve, r = *request] {
        return reserve ? master_.reserve(r.agentId, r.resources)
                       : master_.unreserve(r.agentId, r.resources);
      });
      if (status && status->isOk()) {
        replyJson(res, 202, nlohmann::json::object());
      } else if (status && status->code() == StatusCode::kNotFound) {
        replyError(res, 404, status->message());
      } else if (status && status->code() == StatusCode::kFailedPrecondition) {
        replyError(res, 409, status->message());
      } else {
        replyStatus(res, status);
      }
    });
  }
  for (const std::string path : {"/create-volumes", "/destroy-volumes"}) {
    bool create = path == "/create-volumes";
    server_.Post(path, [this, create](const httplib::Request& req, httplib::Response& res) {
      auto [agentId, volumes] = agentAndField(req, "volumes");
      auto request = parseVolumesRequest(agentId, volumes);
      if (!request.isOk()) {
        replyError(res, 400, request.status().message());
        return;
      }
      replyOperation(res, master_.loop().runSync([this, create, r = *request] {
        return create ? master_.createVolumes(r.agentId, r.volumes)
                      : master_.destroyVolumes(r.agentId, r.volumes);
      }));
    });
  }
  maintenanceRoutes();
  server_.Get("/flags", [this](const httplib::Request&, httplib::Response& res) {
    replyJson(res, 200, {{"flags", flags_}});
  });
  server_.Get("/metrics/snapshot", [this](const httplib::Request&, httplib::Response& res) {
    master_.loop().runSync([this] {
      master_.refreshGauges();
      return true;
    });
    replyJson(res, 200, master_.metrics().snapshot());
  });
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    master_.loop().runSync([this] {
      master_.refreshGauges();
      return true;
    });
    res.set_content(master_.metrics().prometheus(), "text/plain; version=0.0.4");
  });
  server_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      replyError(res, 404, "no such endpoint: " + req.method + " " + req.path);
    }
  });
  server_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        LOG(WARNING) << "HTTP " << req.path << " failed: " << what;
        replyError(res, 500, "internal error: " + what);
      });
}

Status HttpApi::start(const std::string& ip, int port) {
  if (!server_.bind_to_port(ip.c_str(), port)) {
    return Status::unavailable("cannot bind HTTP on " + ip + ":" + std::to_string(port) +
                               " (address in use?)");
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  return Status::ok();
}

void HttpApi::stop() {
  server_.stop();
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace agora::master
