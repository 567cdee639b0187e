// HealthChecker and its probes against real local servers: a cpp-httplib server, a TCP
// listener that never answers, a closed port, and real `sh -c` commands. The checker runs
// on a real EventLoop thread with small intervals; waits are on conditions with deadlines.
#include "slave/executor/health_checker.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "test_dir.hpp"

namespace agora::slave {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// A listening socket on 127.0.0.1 that never accepts: connects succeed (the backlog),
// requests are never answered.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    CHECK_EQ(listen(fd_, 16), 0);
    socklen_t length = sizeof(address);
    CHECK_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { close(fd_); }
  uint16_t port() const { return port_; }
  // Whether a connection waits in the backlog within `timeout`.
  bool waitForConnection(std::chrono::milliseconds timeout) const {
    pollfd item{fd_, POLLIN, 0};
    return poll(&item, 1, static_cast<int>(timeout.count())) == 1;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A port nothing listens on (bound, then closed).
uint16_t closedPort() {
  SilentListener listener;
  return listener.port();
}

// An HTTP server whose /health answers with `status` (settable while it runs).
class HealthServer {
 public:
  HealthServer() {
    server_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      res.status = status_.load();
      res.set_content("status", "text/plain");
    });
    port_ = static_cast<uint16_t>(server_.bind_to_any_port("127.0.0.1"));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bound and listening: requests wait in the backlog until the thread accepts them.
  }
  ~HealthServer() {
    server_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  void setStatus(int status) { status_ = status; }

 private:
  httplib::Server server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<int> status_{200};
};

// A checker on its own loop thread, recording what it reports.
class CheckerHarness {
 public:
  struct Report {
    bool unhealthyKill = false;  // onUnhealthy rather than onHealthChanged.
    bool healthy = false;
    std::string message;
  };

  explicit CheckerHarness(HealthCheckerOptions options) {
    thread_ = std::thread([this] { loop_.run(); });
    loop_.runSync([this, options]() mutable {
      checker_ = std::make_unique<HealthChecker>(
          loop_, std::move(options),
          [this](bool healthy, const std::string& message) {
            add({false, healthy, message});
          },
          [this](const std::string& message) {
            add({true, false, message});
          });
      checker_->start();
      return true;
    });
  }
  ~CheckerHarness() {
    loop_.runSync([this] {
      checker_.reset();
      return true;
    });
    loop_.stop();
    thread_.join();
  }

  // stop() on the loop thread; returns how long it took.
  std::chrono::duration<double> stopChecker() {
    return *loop_.runSync([this] {
      auto started = SteadyClock::now();
      checker_->stop();
      return std::chrono::duration<double>(SteadyClock::now() - started);
    });
  }

  // Waits until at least `count` reports arrived; returns them all.
  std::vector<Report> waitForReports(size_t count, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return reports_.size() >= count; });
    return reports_;
  }
  std::vector<Report> reports() {
    std::lock_guard<std::mutex> lock(mutex_);
    return reports_;
  }

 private:
  void add(Report report) {
    std::lock_guard<std::mutex> lock(mutex_);
    reports_.push_back(std::move(report));
    changed_.notify_all();
  }

  EventLoop loop_;
  std::thread thread_;
  std::unique_ptr<HealthChecker> checker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Report> reports_;
};

v1::HealthCheck fastCheck(v1::HealthCheck::Type type, uint32_t failures) {
  v1::HealthCheck check;
  check.set_type(type);
  check.set_delay_seconds(0);
  check.set_interval_seconds(0.05);
  check.set_timeout_seconds(2);
  check.set_grace_period_seconds(0);
  check.set_consecutive_failures(failures);
  return check;
}

TEST(HealthProbesTest, TcpProbeIsHealthyWhenTheConnectionIsAccepted) {
  SilentListener listener;
  ProbeResult result = probeTcp("127.0.0.1", listener.port(), 2s);
  EXPECT_TRUE(result.healthy) << result.message;
  EXPECT_EQ(result.message,
            "TCP connection to 127.0.0.1:" + std::to_string(listener.port()) + " succeeded");
}

TEST(HealthProbesTest, TcpProbeFailsOnAClosedPort) {
  ProbeResult result = probeTcp("127.0.0.1", closedPort(), 2s);
  EXPECT_FALSE(result.healthy);
  EXPECT_NE(result.message.find("failed: Connection refused"), std::string::npos) << result.message;
}

TEST(HealthProbesTest, HttpProbeJudgesTheStatus) {
  HealthServer server;
  HttpProbe probe{.host = "127.0.0.1", .port = server.port(), .path = "/health"};
  std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/health";

  ProbeResult ok = probeHttp(probe, 2s);
  EXPECT_TRUE(ok.healthy) << ok.message;
  EXPECT_EQ(ok.message, "HTTP GET " + url + " returned 200");

  server.setStatus(503);
  ProbeResult unavailable = probeHttp(probe, 2s);
  EXPECT_FALSE(unavailable.healthy);
  EXPECT_EQ(unavailable.message, "HTTP GET " + url + " returned 503");

  server.setStatus(302);
  EXPECT_TRUE(probeHttp(probe, 2s).healthy) << "3xx counts as healthy by default";

  // Given `statuses`, only those are healthy.
  probe.statuses = {503};
  server.setStatus(503);
  EXPECT_TRUE(probeHttp(probe, 2s).healthy);
  server.setStatus(200);
  EXPECT_FALSE(probeHttp(probe, 2s).healthy);
}

TEST(HealthProbesTest, HttpProbeTimesOutOnAServerThatNeverAnswers) {
  SilentListener listener;
  auto started = SteadyClock::now();
  ProbeResult result = probeHttp(HttpProbe{.host = "127.0.0.1", .port = listener.port()}, 0.3s);
  auto took = SteadyClock::now() - started;
  EXPECT_FALSE(result.healthy);
  EXPECT_EQ(result.message, "HTTP GET http://127.0.0.1:" + std::to_string(listener.port()) +
                                "/ timed out after 0.3s");
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
}

TEST(HealthProbesTest, HttpProbeFailsOnAClosedPort) {
  ProbeResult result = probeHttp(HttpProbe{.host = "127.0.0.1", .port = closedPort()}, 2s);
  EXPECT_FALSE(result.healthy);
  EXPECT_NE(result.message.find("failed: Connection refused"), std::string::npos) << result.message;
}

// The first result is reported, then only changes; the kill comes after exactly
// `consecutive_failures` failures in a row.
TEST(HealthCheckerTest, HttpCheckReportsChangesThenGivesUpAfterConsecutiveFailures) {
  HealthServer server;
  v1::HealthCheck check = fastCheck(v1::HealthCheck::HTTP, 3);
  check.mutable_http()->set_port(server.port());
  check.mutable_http()->set_path("/health");
  CheckerHarness harness(HealthCheckerOptions{.check = check});

  auto reports = harness.waitForReports(1);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_TRUE(reports[0].healthy) << reports[0].message;
  EXPECT_FALSE(reports[0].unhealthyKill);

  server.setStatus(503);
  reports = harness.waitForReports(3);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_FALSE(reports[1].healthy);
  EXPECT_FALSE(reports[1].unhealthyKill);
  EXPECT_NE(reports[1].message.find("/health returned 503"), std::string::npos);
  EXPECT_TRUE(reports[2].unhealthyKill) << "healthy 200s are not repeated; the third 503 kills";
  EXPECT_NE(reports[2].message.find("returned 503"), std::string::npos);

  // Stopped: no more reports even though the server stays unhealthy.
  EXPECT_EQ(harness.waitForReports(4, 300ms).size(), 3u);
}

TEST(HealthCheckerTest, TcpCheckBecomesUnhealthyWhenTheListenerCloses) {
  auto listener = std::make_unique<SilentListener>();
  v1::HealthCheck check = fastCheck(v1::HealthCheck::TCP, 0);  // 0: never gives up.
  check.mutable_tcp()->set_port(listener->port());
  CheckerHarness harness(HealthCheckerOptions{.check = check});
  auto reports = harness.waitForReports(1);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_TRUE(reports[0].healthy) << reports[0].message;

  listener.reset();
  reports = harness.waitForReports(2);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_FALSE(reports[1].healthy);
  EXPECT_FALSE(reports[1].unhealthyKill);
  EXPECT_NE(reports[1].message.find("Connection refused"), std::string::npos);
}

TEST(HealthCheckerTest, CommandCheckFollowsTheExitStatus) {
  testing::TestDir dir;
  std::string flag = dir / "healthy";
  std::ofstream(flag).put('x');
  v1::HealthCheck check = fastCheck(v1::HealthCheck::COMMAND, 2);
  check.mutable_command()->set_value("test -f \"$FLAG\"");
  auto* variable = check.mutable_command()->mutable_environment()->add_variables();
  variable->set_name("FLAG");
  variable->set_value(flag);
  CheckerHarness harness(HealthCheckerOptions{
      .check = check,
      .sandbox = dir.path(),
      .environment = {{"PATH", "/usr/bin:/bin"}},
  });
  auto reports = harness.waitForReports(1);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_TRUE(reports[0].healthy) << reports[0].message;

  std::filesystem::remove(flag);
  reports = harness.waitForReports(3);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_FALSE(reports[1].healthy);
  EXPECT_EQ(reports[1].message, "COMMAND health check 'test -f \"$FLAG\"' exited with status 1");
  EXPECT_TRUE(reports[2].unhealthyKill);
}

TEST(HealthCheckerTest, CommandThatHangsTimesOut) {
  testing::TestDir dir;
  v1::HealthCheck check = fastCheck(v1::HealthCheck::COMMAND, 1);
  check.set_timeout_seconds(0.2);
  check.mutable_command()->set_value("sleep 30");
  auto started = SteadyClock::now();
  CheckerHarness harness(HealthCheckerOptions{
      .check = check, .sandbox = dir.path(), .environment = {{"PATH", "/usr/bin:/bin"}}});
  auto reports = harness.waitForReports(2);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_LT(SteadyClock::now() - started, 5s);
  EXPECT_EQ(reports[0].message, "COMMAND health check 'sleep 30' timed out after 0.2s");
  EXPECT_TRUE(reports[1].unhealthyKill);
}

// Failures within the grace period are not counted (nor reported) until the first success;
// once it is over they count.
TEST(HealthCheckerTest, FailuresInTheGracePeriodAreIgnoredUntilTheFirstSuccess) {
  v1::HealthCheck check = fastCheck(v1::HealthCheck::TCP, 1);
  check.set_grace_period_seconds(0.5);
  check.mutable_tcp()->set_port(closedPort());
  auto started = SteadyClock::now();
  CheckerHarness harness(HealthCheckerOptions{.check = check});
  auto reports = harness.waitForReports(2);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_GE(SteadyClock::now() - started, 500ms) << "about ten failures were ignored first";
  EXPECT_FALSE(reports[0].healthy);
  EXPECT_TRUE(reports[1].unhealthyKill);
}

// After a first success the grace period no longer shields failures.
TEST(HealthCheckerTest, FailuresAfterTheFirstSuccessCountEvenInTheGracePeriod) {
  HealthServer server;
  v1::HealthCheck check = fastCheck(v1::HealthCheck::HTTP, 2);
  check.set_grace_period_seconds(3600);
  check.mutable_http()->set_port(server.port());
  check.mutable_http()->set_path("/health");
  CheckerHarness harness(HealthCheckerOptions{.check = check});
  ASSERT_EQ(harness.waitForReports(1).size(), 1u);
  server.setStatus(500);
  auto reports = harness.waitForReports(3);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_FALSE(reports[1].healthy);
  EXPECT_TRUE(reports[2].unhealthyKill);
}

// stop() never waits for a probe that hangs; destroying the checker waits at most for the
// probe's timeout.
TEST(HealthCheckerTest, StopDoesNotWaitForAHangingProbe) {
  SilentListener listener;
  v1::HealthCheck check = fastCheck(v1::HealthCheck::HTTP, 1);
  check.set_timeout_seconds(0.5);
  check.mutable_http()->set_port(listener.port());
  auto started = SteadyClock::now();
  {
    CheckerHarness harness(HealthCheckerOptions{.check = check});
    ASSERT_TRUE(listener.waitForConnection(5000ms)) << "the probe is in flight";
    EXPECT_LT(harness.stopChecker(), 100ms);
    EXPECT_TRUE(harness.reports().empty());
  }
  EXPECT_LT(SteadyClock::now() - started, 2s);
}

TEST(HealthCheckerTest, TimingTakesMesosDefaultsForUnsetFields) {
  v1::HealthCheck check;
  HealthCheckTiming timing = HealthCheckTiming::of(check);
  EXPECT_EQ(timing.delay.count(), 15.0);
  EXPECT_EQ(timing.interval.count(), 10.0);
  EXPECT_EQ(timing.timeout.count(), 20.0);
  EXPECT_EQ(timing.gracePeriod.count(), 10.0);
  EXPECT_EQ(timing.consecutiveFailures, 3u);
  check.set_consecutive_failures(0);
  check.set_delay_seconds(0);
  EXPECT_EQ(HealthCheckTiming::of(check).consecutiveFailures, 0u);
  EXPECT_EQ(HealthCheckTiming::of(check).delay.count(), 0.0);
}

}  // namespace
}  // namespace agora::slave
