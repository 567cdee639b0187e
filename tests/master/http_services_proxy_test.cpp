// The master's proxy to agora-services (`--services_url`, master/http_services_proxy.cpp) on a
// real master process: `/services/v2/...` reaches a real HTTP server in this process (standing in
// for agora-services, recording what it receives) with method, query, body and content type, and
// comes back with its status, body and headers unchanged; 502 naming the cause when nothing
// listens; 404 and `enabled: false` without the flag; a slow agora-services does not hold up the
// master's event loop.
#include "master/http_services_proxy.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "common/http/http.hpp"
#include "tests/support/cluster.hpp"

namespace agora {
namespace {

using testing::TestCluster;

TEST(ServicesUrlTest, ParsesHostPortAndPrefix) {
  auto url = master::parseServicesUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(url.isOk()) << url.status().message();
  EXPECT_EQ(url->address.toString(), "127.0.0.1:8080");
  EXPECT_EQ(url->prefix, "");
  url = master::parseServicesUrl("localhost:8081/marathon/");
  ASSERT_TRUE(url.isOk()) << url.status().message();
  EXPECT_EQ(url->address.toString(), "localhost:8081");
  EXPECT_EQ(url->prefix, "/marathon");
  for (const char* bad :
       {"http://127.0.0.1", "https://127.0.0.1:8080", "127.0.0.1:0", ":8080", "http://host:port"}) {
    EXPECT_FALSE(master::parseServicesUrl(bad).isOk()) << bad;
  }
}

// What the stand-in for agora-services received last.
struct Received {
  std::string method;
  std::string path;
  std::string query;
  std::string body;
  std::string contentType;
};

class ServicesProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      size_t at = req.target.find('?');
      last_ = {req.method, req.path, at == std::string::npos ? "" : req.target.substr(at), req.body,
               req.get_header_value("Content-Type")};
      if (req.body.find("\"cpus\":-1") != std::string::npos) {
        res.status = 422;
        res.set_content(R"({"message":"Object is not valid","details":[{"path":"/cpus",)"
                        R"("errors":["got -1.0, expected 0.0 or more"]}]})",
                        "application/json");
        return;
      }
      res.status = req.method == "POST" ? 201 : 200;
      res.set_header("Marathon-Deployment-Id", "d-1");
      res.set_content(R"({"echo":true})", "application/json");
    };
    // First: cpp-httplib takes the first pattern that matches.
    services_.Get("/v2/slow", [this](const httplib::Request&, httplib::Response& res) {
      slowArrived_ = true;
      release_.wait();
      res.set_content(R"({"slow":true})", "application/json");
    });
    const char* kAll = R"(/v2/.*)";
    services_.Get(kAll, record);
    services_.Post(kAll, record);
    services_.Put(kAll, record);
    services_.Patch(kAll, record);
    services_.Delete(kAll, record);
    servicesPort_ = services_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(servicesPort_, 0);
    serving_ = std::thread([this] { services_.listen_after_bind(); });
    // `stop()` before the server runs would be lost (and the join would wait forever).
    while (!services_.is_running()) {
      std::this_thread::yield();
    }
  }

  void TearDown() override {
    if (!released_) {
      releasePromise_.set_value();
    }
    services_.stop();
    if (serving_.joinable()) {
      serving_.join();
    }
  }

  httplib::Result call(const std::string& method, const std::string& target,
                       const std::string& body = "", const std::string& type = "") {
    httplib::Client client("127.0.0.1", masterPort());
    client.set_read_timeout(std::chrono::seconds(10));
    httplib::Request req;
    req.method = method;
    req.path = target;
    req.body = body;
    if (!type.empty()) {
      req.set_header("Content-Type", type);
    }
    return client.send(req);
  }

  int masterPort() const { return parseHostPort(cluster_.masterAddress())->port; }

  Received last() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_;
  }

  TestCluster cluster_;
  httplib::Server services_;
  int servicesPort_ = 0;
  std::thread serving_;
  std::promise<void> releasePromise_;
  std::shared_future<void> release_ = releasePromise_.get_future().share();
  bool released_ = false;
  std::atomic<bool> slowArrived_{false};
  std::mutex mutex_;
  Received last_;
};

TEST_F(ServicesProxyTest, ForwardsMethodQueryBodyAndTypeAndAnswersUnchanged) {
  std::string url = "http://127.0.0.1:" + std::to_string(servicesPort_);
  cluster_.startMaster({"--services_url=" + url});
  auto config = call("GET", "/services/config");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->status, 200);
  auto configJson = nlohmann::json::parse(config->body);
  EXPECT_EQ(configJson["enabled"], true);
  EXPECT_EQ(configJson["url"], url);

  auto list = call("GET", "/services/v2/apps?embed=apps.tasks&label=tier%3D%3Dweb");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_EQ(list->body, R"({"echo":true})");
  EXPECT_EQ(last().method, "GET");
  EXPECT_EQ(last().path, "/v2/apps");
  EXPECT_EQ(last().query, "?embed=apps.tasks&label=tier%3D%3Dweb");

  std::string app = R"({"id":"/web","cmd":"sleep 1000","cpus":0.1})";
  auto created = call("POST", "/services/v2/apps", app, "application/json; charset=utf-8");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->get_header_value("Marathon-Deployment-Id"), "d-1");
  EXPECT_EQ(last().method, "POST");
  EXPECT_EQ(last().body, app);
  EXPECT_EQ(last().contentType, "application/json; charset=utf-8");

  auto invalid =
      call("PUT", "/services/v2/apps/group/web?force=true", R"({"cpus":-1})", "application/json");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status, 422);
  auto details = nlohmann::json::parse(invalid->body)["details"];
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(details[0]["path"], "/cpus");
  EXPECT_EQ(last().method, "PUT");
  EXPECT_EQ(last().path, "/v2/apps/group/web");
  EXPECT_EQ(last().query, "?force=true");

  auto killed = call("DELETE", "/services/v2/apps/web/tasks/web.1?scale=true");
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->status, 200);
  EXPECT_EQ(last().method, "DELETE");
  EXPECT_EQ(last().path, "/v2/apps/web/tasks/web.1");
  EXPECT_EQ(last().query, "?scale=true");

  auto patched = call("PATCH", "/services/v2/apps/web", R"({"instances":2})", "application/json");
  ASSERT_TRUE(patched);
  EXPECT_EQ(last().method, "PATCH");
  EXPECT_EQ(last().body, R"({"instances":2})");
}

TEST_F(ServicesProxyTest, SlowServicesDoNotHoldUpTheMaster) {
  cluster_.startMaster({"--services_url=http://127.0.0.1:" + std::to_string(servicesPort_)});
  auto slow = std::async(std::launch::async, [this] { return call("GET", "/services/v2/slow"); });
  ASSERT_TRUE(cluster_.waitFor([this] { return slowArrived_.load(); }, 10,
                               "the slow request reaches agora-services"));
  // While agora-services sits on that request, the master answers what its loop serves.
  for (int i = 0; i < 3; ++i) {
    auto overview = call("GET", "/overview");
    ASSERT_TRUE(overview);
    EXPECT_EQ(overview->status, 200);
  }
  EXPECT_EQ(slow.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  releasePromise_.set_value();
  released_ = true;
  auto reply = slow.get();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, R"({"slow":true})");
}

TEST_F(ServicesProxyTest, UnreachableServicesIs502NamingTheCause) {
  services_.stop();
  serving_.join();
  cluster_.startMaster({"--services_url=http://127.0.0.1:" + std::to_string(servicesPort_)});
  auto reply = call("GET", "/services/v2/apps");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 502);
  std::string message = nlohmann::json::parse(reply->body)["message"];
  EXPECT_NE(message.find("agora-services at 127.0.0.1:" + std::to_string(servicesPort_)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("GET /v2/apps"), std::string::npos) << message;
}

TEST_F(ServicesProxyTest, WithoutServicesUrlThereAreNoServices) {
  cluster_.startMaster();
  auto config = call("GET", "/services/config");
  ASSERT_TRUE(config);
  EXPECT_EQ(nlohmann::json::parse(config->body)["enabled"], false);
  auto reply = call("GET", "/services/v2/apps");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_NE(reply->body.find("--services_url"), std::string::npos);
}

}  // namespace
}  // namespace agora
