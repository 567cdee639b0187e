#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

#include "common/state/state_store.hpp"

namespace agora {
namespace {

class RocksDbStore : public StateStore {
 public:
  explicit RocksDbStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

  StatusOr<std::optional<std::string>> get(const std::string& key) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) {
      return std::optional<std::string>();
    }
    if (!s.ok()) {
      return Status::io("rocksdb get '" + key + "': " + s.ToString());
    }
    return std::optional<std::string>(std::move(value));
  }

  Status write(const WriteBatch& batch) override {
    rocksdb::WriteBatch rbatch;
    for (const auto& op : batch.ops()) {
      if (op.value) {
        rbatch.Put(op.key, *op.value);
      } else {
        rbatch.Delete(op.key);
      }
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    rocksdb::Status s = db_->Write(options, &rbatch);
    if (!s.ok()) {
      return Status::io("rocksdb write: " + s.ToString());
    }
    return Status::ok();
  }

  StatusOr<std::vector<std::pair<std::string, std::string>>> scan(
      const std::string& prefix) override {
    std::vector<std::pair<std::string, std::string>> rows;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      rows.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) {
      return Status::io("rocksdb scan '" + prefix + "': " + it->status().ToString());
    }
    return rows;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

StatusOr<std::unique_ptr<StateStore>> openRocksDbStore(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return Status::io("cannot create " + path + ": " + ec.message());
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) {
    return Status::io("cannot open RocksDB at " + path + ": " + s.ToString());
  }
  return std::unique_ptr<StateStore>(new RocksDbStore(std::unique_ptr<rocksdb::DB>(raw)));
}

}  // namespace agora
