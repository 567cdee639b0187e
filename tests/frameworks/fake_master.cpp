#include "tests/frameworks/fake_master.hpp"

#include <glog/logging.h>

namespace agora::testing {

using v1::scheduler::Call;
using v1::scheduler::Event;

FakeMaster::FakeMaster() {
  auto bound = router_.bind("tcp://127.0.0.1:0");
  CHECK(bound.isOk()) << bound.status().message();
  zmqEndpoint_ = *bound;
  loop_.watchSocket(router_.socket(), [this] { onReadable(); });
  loopThread_ = std::thread([this] { loop_.run(); });

  http_.Get("/master/endpoint", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"zmq\": \"" + zmqEndpoint_ + "\"}", "application/json");
  });
  httpPort_ = http_.bind_to_any_port("127.0.0.1");
  CHECK(httpPort_ > 0);
  httpThread_ = std::thread([this] { http_.listen_after_bind(); });
}

FakeMaster::~FakeMaster() {
  http_.stop();
  httpThread_.join();
  loop_.stop();
  loopThread_.join();
}

void FakeMaster::onReadable() {
  while (true) {
    auto received = router_.receive();
    if (!received.has_value()) {
      return;
    }
    if (!received->isOk() || received->value().envelope.body_case() != v1::Envelope::kCall) {
      LOG(WARNING) << "fake master: dropping a bad message";
      continue;
    }
    RoutedEnvelope routed = std::move(*received).value();
    std::lock_guard<std::mutex> lock(mutex_);
    if (routed.envelope.call().has_heartbeat()) {
      ++heartbeats_;
      if (answerHeartbeats_) {
        v1::Envelope reply;
        reply.mutable_event()->mutable_heartbeat();
        router_.send(routed.identity, reply);
      }
    }
    calls_.push_back(ReceivedCall{routed.identity, routed.envelope.call()});
    changed_.notify_all();
  }
}

std::optional<ReceivedCall> FakeMaster::waitForCall(const std::function<bool(const Call&)>& match,
                                                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    while (!calls_.empty()) {
      ReceivedCall next = std::move(calls_.front());
      calls_.pop_front();
      if (match(next.call)) {
        return next;
      }
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && calls_.empty()) {
      return std::nullopt;
    }
  }
}

std::optional<ReceivedCall> FakeMaster::waitForCall(Call::CallCase kind,
                                                    std::chrono::milliseconds timeout) {
  return waitForCall([kind](const Call& call) { return call.call_case() == kind; }, timeout);
}

void FakeMaster::send(const std::string& identity, const Event& event) {
  v1::Envelope envelope;
  *envelope.mutable_event() = event;
  loop_.post([this, identity, envelope] { router_.send(identity, envelope); });
}

void FakeMaster::sendRaw(const std::string& identity, const std::string& payload) {
  loop_.post([this, identity, payload] {
    auto* socket = router_.socket();
    socket->send(zmq::buffer(identity), zmq::send_flags::sndmore);
    socket->send(zmq::message_t(), zmq::send_flags::sndmore);
    socket->send(zmq::buffer(payload), zmq::send_flags::none);
  });
}

void FakeMaster::setAnswerHeartbeats(bool answer) {
  std::lock_guard<std::mutex> lock(mutex_);
  answerHeartbeats_ = answer;
}

int FakeMaster::heartbeatsSeen() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heartbeats_;
}

}  // namespace agora::testing
