// The RocksDB store: atomic batches that survive a re-open, prefix scans, corrupt records.
#include <gtest/gtest.h>

#include <filesystem>

#include "agora/internal/registry.pb.h"
#include "common/base/ids.hpp"
#include "common/state/state_store.hpp"

namespace agora {
namespace {

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("agora-store-" + newUuid());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StateStoreTest, BatchSurvivesReopen) {
  {
    auto store = openRocksDbStore(dir_.string());
    ASSERT_TRUE(store.isOk()) << store.status().message();
    internal::AgentRecord record;
    record.mutable_info()->set_hostname("h1");
    WriteBatch batch;
    batch.putProto("agents/a1", record);
    batch.put("agents/a2", "x");
    batch.put("other/k", "y");
    ASSERT_TRUE((*store)->write(batch).isOk());
    WriteBatch removal;
    removal.remove("agents/a2");
    ASSERT_TRUE((*store)->write(removal).isOk());
  }
  auto store = openRocksDbStore(dir_.string());
  ASSERT_TRUE(store.isOk());
  auto agents = scanProtos<internal::AgentRecord>(**store, "agents/");
  ASSERT_TRUE(agents.isOk());
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].info().hostname(), "h1");
  auto missing = (*store)->get("agents/a2");
  ASSERT_TRUE(missing.isOk());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StateStoreTest, CorruptRecordIsAnErrorNamingTheKey) {
  auto store = openRocksDbStore(dir_.string());
  ASSERT_TRUE(store.isOk());
  WriteBatch batch;
  batch.put("agents/bad", std::string("\xff\xff\xff", 3));
  ASSERT_TRUE((*store)->write(batch).isOk());
  auto result = getProto<internal::AgentRecord>(**store, "agents/bad");
  ASSERT_FALSE(result.isOk());
  EXPECT_NE(result.status().message().find("agents/bad"), std::string::npos);
}

}  // namespace
}  // namespace agora
