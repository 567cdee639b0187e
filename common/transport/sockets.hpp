// ZeroMQ sockets that carry `agora.v1.Envelope`s (see docs/wire-protocol.md).
//
// Frame layout: a DEALER sends `[empty][Envelope]`; the ROUTER sees
// `[identity][empty][Envelope]`. Anything else is malformed: `receive()` returns an error
// naming the reason and the caller drops the message with one warning and a counter.
//
// Thread-safety: none. A socket belongs to the thread of the loop that watches it.
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

#include "agora/v1/envelope.pb.h"
#include "common/base/status.hpp"

namespace agora {

constexpr uint32_t kProtocolVersion = 1;

// Serializes `envelope` after stamping the protocol version.
std::string encodeEnvelope(const v1::Envelope& envelope);
// The bytes of an Envelope holding `body` in its field `bodyField` (e.g.
// `v1::Envelope::kAgentEventFieldNumber`), without copying `body` into an Envelope first:
// the master sends tens of thousands of messages a second, and the copy was a third of it.
std::string encodeEnvelopeBody(int bodyField, const google::protobuf::MessageLite& body);
// Parses and checks the version. The error names what was wrong.
StatusOr<v1::Envelope> decodeEnvelope(const void* data, size_t size);

struct RoutedEnvelope {
  std::string identity;
  v1::Envelope envelope;
};

class RouterSocket {
 public:
  explicit RouterSocket(zmq::context_t& context);

  // Binds, e.g. "tcp://127.0.0.1:0" or "ipc:///path". Returns the bound endpoint (with the
  // real port for tcp).
  StatusOr<std::string> bind(const std::string& endpoint);

  // Non-blocking. nullopt when no message is waiting; an error for a malformed message
  // (which has been consumed).
  std::optional<StatusOr<RoutedEnvelope>> receive();

  // Non-blocking. False (with a VLOG) when the peer is unknown or its queue is full.
  bool send(const std::string& identity, const v1::Envelope& envelope);
  // The same for a frame made by `encodeEnvelope*`.
  bool sendEncoded(const std::string& identity, const std::string& frame);

  zmq::socket_t* socket() { return &socket_; }

 private:
  zmq::socket_t socket_;
};

class DealerSocket {
 public:
  // `identity` must be unique among the peers of the ROUTER this connects to.
  DealerSocket(zmq::context_t& context, const std::string& identity);

  Status connect(const std::string& endpoint);
  std::optional<StatusOr<v1::Envelope>> receive();
  bool send(const v1::Envelope& envelope);

  zmq::socket_t* socket() { return &socket_; }
  const std::string& identity() const { return identity_; }

 private:
  zmq::socket_t socket_;
  std::string identity_;
};

}  // namespace agora
