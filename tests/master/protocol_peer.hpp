// Test helpers for driving a real master over ZeroMQ: a `Peer` speaking the agent or
// scheduler protocol, and the AgentInfo of the fake agents.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/base/ids.hpp"
#include "common/resources/resources.hpp"
#include "common/transport/sockets.hpp"

namespace agora {

class Peer {
 public:
  Peer(zmq::context_t& context, const std::string& endpoint)
      : dealer_(context, "test-" + newUuid()) {
    EXPECT_TRUE(dealer_.connect(endpoint).isOk());
  }
  void send(const v1::Envelope& envelope) { ASSERT_TRUE(dealer_.send(envelope)); }
  // The next envelope matching `match`, skipping others (heartbeats, pings).
  std::optional<v1::Envelope> next(const std::function<bool(const v1::Envelope&)>& match,
                                   double seconds = 10) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{dealer_.socket()->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      while (auto got = dealer_.receive()) {
        if (got->isOk() && match(**got)) {
          return **got;
        }
      }
    }
    return std::nullopt;
  }

 private:
  DealerSocket dealer_;
};

// The AgentInfo of the test's fake agents (`agentId` empty for a first registration).
inline void fakeAgentInfo(v1::AgentInfo* info, const std::string& resources,
                          const std::string& agentId = "") {
  info->set_hostname("127.0.0.1");
  info->set_port(1);
  if (!agentId.empty()) {
    info->mutable_id()->set_value(agentId);
  }
  Resources::parse(resources)->toProto(info->mutable_resources());
}

}  // namespace agora
