#include "common/transport/sockets.hpp"

#include <vector>

#include <glog/logging.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

namespace agora {

std::string encodeEnvelope(const v1::Envelope& envelope) {
  if (envelope.version() == kProtocolVersion) {
    return envelope.SerializeAsString();
  }
  v1::Envelope stamped = envelope;
  stamped.set_version(kProtocolVersion);
  return stamped.SerializeAsString();
}

std::string encodeEnvelopeBody(int bodyField, const google::protobuf::MessageLite& body) {
  using google::protobuf::internal::WireFormatLite;
  size_t size = body.ByteSizeLong();
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(WireFormatLite::MakeTag(v1::Envelope::kVersionFieldNumber,
                                           WireFormatLite::WIRETYPE_VARINT));
    coded.WriteVarint32(kProtocolVersion);
    coded.WriteTag(WireFormatLite::MakeTag(bodyField, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint32(static_cast<uint32_t>(size));
    body.SerializeWithCachedSizes(&coded);
  }
  return out;
}

StatusOr<v1::Envelope> decodeEnvelope(const void* data, size_t size) {
  v1::Envelope envelope;
  if (size > static_cast<size_t>(INT32_MAX) ||
      !envelope.ParseFromArray(data, static_cast<int>(size))) {
    return Status::invalid("frame of " + std::to_string(size) + " bytes is not an Envelope");
  }
  if (envelope.version() != kProtocolVersion) {
    return Status::invalid("unsupported protocol version " + std::to_string(envelope.version()));
  }
  if (envelope.body_case() == v1::Envelope::BODY_NOT_SET) {
    return Status::invalid("envelope has no body");
  }
  return envelope;
}

namespace {

// Reads every frame of one message. nullopt when nothing is waiting.
std::optional<std::vector<zmq::message_t>> receiveFrames(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  while (true) {
    zmq::message_t frame;
    auto got = socket.recv(frame, frames.empty() ? zmq::recv_flags::dontwait
                                                 : zmq::recv_flags::none);
    if (!got) {
      return std::nullopt;
    }
    bool more = frame.more();
    frames.push_back(std::move(frame));
    if (!more) {
      return frames;
    }
  }
}

void configure(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, 100000);
  socket.set(zmq::sockopt::rcvhwm, 100000);
  socket.set(zmq::sockopt::maxmsgsize, int64_t{64} << 20);
}

}  // namespace

RouterSocket::RouterSocket(zmq::context_t& context) : socket_(context, zmq::socket_type::router) {
  configure(socket_);
  socket_.set(zmq::sockopt::router_mandatory, 1);
  socket_.set(zmq::sockopt::router_handover, 1);
  // Thousands of agents connect at once after a master restart; ZeroMQ's default listen
  // backlog (100) drops their SYNs and TCP retries after 1, 3, 7, 15 s.
  socket_.set(zmq::sockopt::backlog, 4096);
}

StatusOr<std::string> RouterSocket::bind(const std::string& endpoint) {
  try {
    socket_.bind(endpoint);
    return socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::unavailable("cannot bind " + endpoint + ": " + e.what());
  }
}

std::optional<StatusOr<RoutedEnvelope>> RouterSocket::receive() {
  try {
    auto frames = receiveFrames(socket_);
    if (!frames) {
      return std::nullopt;
    }
    if (frames->size() != 3 || (*frames)[1].size() != 0) {
      return StatusOr<RoutedEnvelope>(Status::invalid(
          "message with " + std::to_string(frames->size()) + " frames, expected 3"));
    }
    auto envelope = decodeEnvelope((*frames)[2].data(), (*frames)[2].size());
    if (!envelope.isOk()) {
      return StatusOr<RoutedEnvelope>(envelope.status());
    }
    return StatusOr<RoutedEnvelope>(
        RoutedEnvelope{(*frames)[0].to_string(), std::move(envelope).value()});
  } catch (const zmq::error_t& e) {
    return StatusOr<RoutedEnvelope>(Status::io(std::string("receive failed: ") + e.what()));
  }
}

bool RouterSocket::send(const std::string& identity, const v1::Envelope& envelope) {
  return sendEncoded(identity, encodeEnvelope(envelope));
}

bool RouterSocket::sendEncoded(const std::string& identity, const std::string& body) {
  // The C API, not cppzmq's throwing send: an unroutable identity (a peer not connected
  // yet, ROUTER_MANDATORY) is routine after a master restart, when thousands of agents
  // are asked to re-register every 100 ms, and an exception per attempt is costly.
  void* socket = socket_.handle();
  if (zmq_send(socket, identity.data(), identity.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
    VLOG(1) << "cannot send to " << identity << ": " << zmq_strerror(zmq_errno());
    return false;
  }
  // Once the identity frame is accepted the rest of the message goes with it.
  if (zmq_send(socket, "", 0, ZMQ_SNDMORE) < 0 ||
      zmq_send(socket, body.data(), body.size(), 0) < 0) {
    VLOG(1) << "cannot send to " << identity << ": " << zmq_strerror(zmq_errno());
    return false;
  }
  return true;
}

DealerSocket::DealerSocket(zmq::context_t& context, const std::string& identity)
    : socket_(context, zmq::socket_type::dealer), identity_(identity) {
  configure(socket_);
  socket_.set(zmq::sockopt::routing_id, identity);
  socket_.set(zmq::sockopt::reconnect_ivl, 100);
  // A restarted master is found again within 200 ms (a master failover is timed by the
  // slowest agent to come back); retrying that often costs nothing while it is down.
  socket_.set(zmq::sockopt::reconnect_ivl_max, 200);
}

Status DealerSocket::connect(const std::string& endpoint) {
  try {
    socket_.connect(endpoint);
    return Status::ok();
  } catch (const zmq::error_t& e) {
    return Status::unavailable("cannot connect to " + endpoint + ": " + e.what());
  }
}

std::optional<StatusOr<v1::Envelope>> DealerSocket::receive() {
  try {
    auto frames = receiveFrames(socket_);
    if (!frames) {
      return std::nullopt;
    }
    if (frames->size() != 2 || (*frames)[0].size() != 0) {
      return StatusOr<v1::Envelope>(Status::invalid(
          "message with " + std::to_string(frames->size()) + " frames, expected 2"));
    }
    return decodeEnvelope((*frames)[1].data(), (*frames)[1].size());
  } catch (const zmq::error_t& e) {
    return StatusOr<v1::Envelope>(Status::io(std::string("receive failed: ") + e.what()));
  }
}

bool DealerSocket::send(const v1::Envelope& envelope) {
  try {
    std::string body = encodeEnvelope(envelope);
    if (!socket_.send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return false;
    }
    socket_.send(zmq::buffer(body), zmq::send_flags::none);
    return true;
  } catch (const zmq::error_t& e) {
    VLOG(1) << "cannot send: " << e.what();
    return false;
  }
}

}  // namespace agora
