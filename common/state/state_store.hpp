// Durable key-value state: the master's registry and the agent's checkpoint.
//
// `write()` applies a batch atomically and returns only once it is synced to disk, so
// whatever a caller acknowledges after a successful write survives a crash.
// Thread-safety: implementations are safe to call from one thread at a time (the owner's
// loop); RocksDB itself is thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/message.h>

#include "common/base/status.hpp"

namespace agora {

class WriteBatch {
 public:
  struct Op {
    std::string key;
    std::optional<std::string> value;  // nullopt deletes the key.
  };
  void put(std::string key, std::string value) {
    ops_.push_back(Op{std::move(key), std::move(value)});
  }
  void putProto(std::string key, const google::protobuf::Message& message) {
    put(std::move(key), message.SerializeAsString());
  }
  void remove(std::string key) { ops_.push_back(Op{std::move(key), std::nullopt}); }
  bool empty() const { return ops_.empty(); }
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual StatusOr<std::optional<std::string>> get(const std::string& key) = 0;
  // Atomic and synced.
  virtual Status write(const WriteBatch& batch) = 0;
  // Every key starting with `prefix`, in key order.
  virtual StatusOr<std::vector<std::pair<std::string, std::string>>> scan(
      const std::string& prefix) = 0;
};

// RocksDB on disk (`path` is created if missing).
StatusOr<std::unique_ptr<StateStore>> openRocksDbStore(const std::string& path);

// Typed helpers. A record that does not parse is an error naming the key.
template <typename T>
StatusOr<std::optional<T>> getProto(StateStore& store, const std::string& key) {
  auto raw = store.get(key);
  if (!raw.isOk()) {
    return raw.status();
  }
  if (!raw->has_value()) {
    return std::optional<T>();
  }
  T message;
  if (!message.ParseFromString(**raw)) {
    return Status::io("record '" + key + "' is corrupt");
  }
  return std::optional<T>(std::move(message));
}

template <typename T>
StatusOr<std::vector<T>> scanProtos(StateStore& store, const std::string& prefix) {
  auto rows = store.scan(prefix);
  if (!rows.isOk()) {
    return rows.status();
  }
  std::vector<T> out;
  for (const auto& [key, value] : *rows) {
    T message;
    if (!message.ParseFromString(value)) {
      return Status::io("record '" + key + "' is corrupt");
    }
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace agora
