// Envelope sockets over real ZeroMQ: round trips, and malformed frames are reported, not
// delivered.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/transport/sockets.hpp"

namespace agora {
namespace {

template <typename Socket>
auto receiveWithin(Socket& socket, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{socket.socket()->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(50));
    if (auto got = socket.receive()) {
      return got;
    }
  }
  return decltype(socket.receive())();
}

TEST(SocketsTest, BodyEncodedAloneIsTheSameEnvelope) {
  v1::Envelope whole;
  auto* run = whole.mutable_agent_event()->mutable_run_task();
  run->mutable_framework()->set_name("hello");
  run->set_role("eng/web");
  run->mutable_task()->set_name("web");
  run->mutable_task()->mutable_task_id()->set_value("t-1");

  std::string frame = encodeEnvelopeBody(v1::Envelope::kAgentEventFieldNumber,
                                         whole.agent_event());
  auto decoded = decodeEnvelope(frame.data(), frame.size());
  ASSERT_TRUE(decoded.isOk()) << decoded.status().message();
  EXPECT_EQ(decoded->version(), kProtocolVersion);
  ASSERT_EQ(decoded->body_case(), v1::Envelope::kAgentEvent);
  EXPECT_EQ(decoded->agent_event().SerializeAsString(), whole.agent_event().SerializeAsString());
  EXPECT_EQ(frame, encodeEnvelope(whole));
}

TEST(SocketsTest, DealerAndRouterExchangeEnvelopes) {
  zmq::context_t context;
  RouterSocket router(context);
  auto endpoint = router.bind("tcp://127.0.0.1:0");
  ASSERT_TRUE(endpoint.isOk());
  DealerSocket dealer(context, "peer-1");
  ASSERT_TRUE(dealer.connect(*endpoint).isOk());

  v1::Envelope call;
  call.mutable_call()->mutable_heartbeat();
  ASSERT_TRUE(dealer.send(call));
  auto got = receiveWithin(router, std::chrono::seconds(5));
  ASSERT_TRUE(got && got->isOk());
  EXPECT_EQ((*got)->identity, "peer-1");
  EXPECT_TRUE((*got)->envelope.call().has_heartbeat());

  v1::Envelope event;
  event.mutable_event()->mutable_heartbeat();
  ASSERT_TRUE(router.send("peer-1", event));
  auto back = receiveWithin(dealer, std::chrono::seconds(5));
  ASSERT_TRUE(back && back->isOk());
  EXPECT_TRUE((*back)->event().has_heartbeat());
  EXPECT_FALSE(router.send("nobody", event));
}

TEST(SocketsTest, MalformedFramesAreErrors) {
  zmq::context_t context;
  RouterSocket router(context);
  auto endpoint = router.bind("tcp://127.0.0.1:0");
  ASSERT_TRUE(endpoint.isOk());
  zmq::socket_t raw(context, zmq::socket_type::dealer);
  raw.connect(*endpoint);
  raw.send(zmq::str_buffer("garbage"), zmq::send_flags::none);  // Missing the empty frame.
  auto got = receiveWithin(router, std::chrono::seconds(5));
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->isOk());

  raw.send(zmq::message_t(), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("\x08\x07"), zmq::send_flags::none);  // Version 7.
  got = receiveWithin(router, std::chrono::seconds(5));
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->isOk());
  EXPECT_NE(got->status().message().find("version"), std::string::npos);
}

}  // namespace
}  // namespace agora
