// StatusUpdateManager: ordered, one-in-flight-per-task delivery with retries and backoff,
// acknowledgements by uuid, and pending updates surviving a re-open of the RocksDB store.
// Time is passed explicitly, so retries are tested without sleeping.
#include "slave/status_update_manager.hpp"

#include <gtest/gtest.h>

#include "common/base/ids.hpp"
#include "test_dir.hpp"

namespace agora::slave {
namespace {

using Clock = StatusUpdateManager::Clock;
using namespace std::chrono_literals;

struct Sent {
  std::string frameworkId;
  v1::TaskStatus status;
};

// The real store, whose writes can be made to fail (a full or broken disk).
class FailableStore : public StateStore {
 public:
  explicit FailableStore(std::unique_ptr<StateStore> store) : store_(std::move(store)) {}
  StatusOr<std::optional<std::string>> get(const std::string& key) override {
    return store_->get(key);
  }
  Status write(const WriteBatch& batch) override {
    return failWrites ? Status::io("rocksdb write: IO error: No space left on device")
                      : store_->write(batch);
  }
  StatusOr<std::vector<std::pair<std::string, std::string>>> scan(
      const std::string& prefix) override {
    return store_->scan(prefix);
  }
  bool failWrites = false;

 private:
  std::unique_ptr<StateStore> store_;
};

class StatusUpdateManagerTest : public ::testing::Test {
 protected:
  void open() {
    manager_.reset();
    store_.reset();
    auto store = openRocksDbStore(dir_ / "db");
    ASSERT_TRUE(store.isOk()) << store.status().message();
    store_ = std::make_unique<FailableStore>(std::move(store).value());
    auto manager = StatusUpdateManager::create(
        *store_, [this](const v1::FrameworkID& fid, const v1::TaskStatus& status) {
          sent_.push_back(Sent{fid.value(), status});
        });
    ASSERT_TRUE(manager.isOk()) << manager.status().message();
    manager_ = std::move(manager).value();
  }

  static v1::TaskStatus status(const std::string& taskId, v1::TaskState state) {
    v1::TaskStatus out;
    out.mutable_task_id()->set_value(taskId);
    out.set_state(state);
    out.set_uuid(newUuidBytes());
    return out;
  }
  static v1::FrameworkID fid(const std::string& id) {
    v1::FrameworkID out;
    out.set_value(id);
    return out;
  }
  static v1::TaskID tid(const std::string& id) {
    v1::TaskID out;
    out.set_value(id);
    return out;
  }

  testing::TestDir dir_;
  std::unique_ptr<FailableStore> store_;
  std::unique_ptr<StatusUpdateManager> manager_;
  std::vector<Sent> sent_;
  Clock::time_point t0_ = Clock::now();
};

TEST_F(StatusUpdateManagerTest, SendsOnlyTheHeadAndTheNextAfterAck) {
  open();
  manager_->setConnected(true, t0_);
  auto running = status("t1", v1::TASK_RUNNING);
  auto finished = status("t1", v1::TASK_FINISHED);
  ASSERT_TRUE(manager_->add(fid("f1"), running, t0_).isOk());
  ASSERT_TRUE(manager_->add(fid("f1"), finished, t0_).isOk());
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].status.uuid(), running.uuid());
  EXPECT_EQ(sent_[0].frameworkId, "f1");

  // A stale or foreign acknowledgement changes nothing.
  auto stale = manager_->acknowledge(fid("f1"), tid("t1"), finished.uuid(), t0_);
  ASSERT_TRUE(stale.isOk());
  EXPECT_FALSE(stale->has_value());
  EXPECT_EQ(manager_->pendingCount(), 2u);

  auto acked = manager_->acknowledge(fid("f1"), tid("t1"), running.uuid(), t0_);
  ASSERT_TRUE(acked.isOk());
  ASSERT_TRUE(acked->has_value());
  EXPECT_EQ((*acked)->state(), v1::TASK_RUNNING);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].status.uuid(), finished.uuid());
  EXPECT_EQ(manager_->pendingCount(), 1u);
}

TEST_F(StatusUpdateManagerTest, TasksAreIndependent) {
  open();
  manager_->setConnected(true, t0_);
  ASSERT_TRUE(manager_->add(fid("f1"), status("a", v1::TASK_RUNNING), t0_).isOk());
  ASSERT_TRUE(manager_->add(fid("f1"), status("b", v1::TASK_RUNNING), t0_).isOk());
  EXPECT_EQ(sent_.size(), 2u);
}

TEST_F(StatusUpdateManagerTest, RetriesWithDoublingBackoffCappedAt30s) {
  open();
  manager_->setConnected(true, t0_);
  auto running = status("t1", v1::TASK_RUNNING);
  ASSERT_TRUE(manager_->add(fid("f1"), running, t0_).isOk());
  ASSERT_EQ(sent_.size(), 1u);
  manager_->tick(t0_ + 999ms);
  EXPECT_EQ(sent_.size(), 1u);
  // Retries at +1, +3, +7, +15, +31, then every 30 s.
  std::vector<Clock::duration> expected = {1s, 3s, 7s, 15s, 31s, 61s, 91s};
  for (auto at : expected) {
    size_t before = sent_.size();
    manager_->tick(t0_ + at - 1ms);
    EXPECT_EQ(sent_.size(), before) << "too early at " << (at - 1ms).count();
    manager_->tick(t0_ + at);
    ASSERT_EQ(sent_.size(), before + 1) << "no retry at " << at.count();
    EXPECT_EQ(sent_.back().status.uuid(), running.uuid());
  }
}

TEST_F(StatusUpdateManagerTest, HoldsUpdatesWhileDisconnected) {
  open();
  auto running = status("t1", v1::TASK_RUNNING);
  ASSERT_TRUE(manager_->add(fid("f1"), running, t0_).isOk());
  manager_->tick(t0_ + 10s);
  EXPECT_TRUE(sent_.empty());
  manager_->setConnected(true, t0_ + 11s);
  ASSERT_EQ(sent_.size(), 1u);
  manager_->setConnected(false, t0_ + 12s);
  manager_->tick(t0_ + 100s);
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(StatusUpdateManagerTest, RejectsUpdatesWithoutUuid) {
  open();
  auto bad = status("t1", v1::TASK_RUNNING);
  bad.clear_uuid();
  EXPECT_FALSE(manager_->add(fid("f1"), bad, t0_).isOk());
  EXPECT_EQ(manager_->pendingCount(), 0u);
}

TEST_F(StatusUpdateManagerTest, PendingUpdatesSurviveReopenInOrder) {
  open();
  auto starting = status("t1", v1::TASK_STARTING);
  auto running = status("t1", v1::TASK_RUNNING);
  auto finished = status("t1", v1::TASK_FINISHED);
  auto other = status("t2", v1::TASK_RUNNING);
  for (const auto& s : {starting, running, finished}) {
    ASSERT_TRUE(manager_->add(fid("f1"), s, t0_).isOk());
  }
  ASSERT_TRUE(manager_->add(fid("f2"), other, t0_).isOk());
  manager_->setConnected(true, t0_);
  auto acked = manager_->acknowledge(fid("f1"), tid("t1"), starting.uuid(), t0_);
  ASSERT_TRUE(acked.isOk() && acked->has_value());

  open();  // A restarted agent.
  EXPECT_EQ(manager_->pendingCount(), 3u);
  auto pending = manager_->pending("f1", "t1");
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].uuid(), running.uuid());
  EXPECT_EQ(pending[1].uuid(), finished.uuid());
  EXPECT_TRUE(manager_->contains("f2", "t2", other.uuid()));

  sent_.clear();
  manager_->setConnected(true, t0_);
  ASSERT_EQ(sent_.size(), 2u);  // One head per task.
  // New updates get sequence numbers after the recovered ones.
  auto late = status("t1", v1::TASK_KILLED);
  ASSERT_TRUE(manager_->add(fid("f1"), late, t0_).isOk());
  ASSERT_TRUE(manager_->acknowledge(fid("f1"), tid("t1"), running.uuid(), t0_).isOk());
  ASSERT_TRUE(manager_->acknowledge(fid("f1"), tid("t1"), finished.uuid(), t0_).isOk());
  pending = manager_->pending("f1", "t1");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].uuid(), late.uuid());
}

TEST_F(StatusUpdateManagerTest, ExtraRecordsCommitWithTheUpdate) {
  open();
  WriteBatch extra;
  extra.put("tasks/f1/t1", "record");
  ASSERT_TRUE(
      manager_->add(fid("f1"), status("t1", v1::TASK_RUNNING), t0_, std::move(extra)).isOk());
  auto value = store_->get("tasks/f1/t1");
  ASSERT_TRUE(value.isOk());
  ASSERT_TRUE(value->has_value());
  EXPECT_EQ(**value, "record");
}

// An executor's new head is sent before its checkpoint is synced; if the write then fails,
// the update is not queued (the executor was not acknowledged and sends it again). The
// agent's own updates are only sent once written.
TEST_F(StatusUpdateManagerTest, AFailedCheckpointLeavesTheUpdateOutOfTheQueue) {
  open();
  manager_->setConnected(true, t0_);
  store_->failWrites = true;
  v1::TaskStatus lost = status("t0", v1::TASK_LOST);
  lost.set_source(v1::TaskStatus::SOURCE_AGENT);
  EXPECT_FALSE(manager_->add(fid("f1"), lost, t0_).isOk());
  EXPECT_TRUE(sent_.empty()) << "an agent's update goes out only once written";
  v1::TaskStatus running = status("t1", v1::TASK_RUNNING);
  running.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  Status failed = manager_->add(fid("f1"), running, t0_);
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_NE(failed.message().find("No space left"), std::string::npos) << failed.message();
  ASSERT_EQ(sent_.size(), 1u);  // Already on its way when the write failed.
  EXPECT_TRUE(manager_->pending("f1", "t1").empty());
  EXPECT_EQ(manager_->pendingCount(), 0u);

  store_->failWrites = false;
  ASSERT_TRUE(manager_->add(fid("f1"), running, t0_).isOk());  // Sent again by its producer.
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].status.uuid(), running.uuid());
  EXPECT_EQ(manager_->pending("f1", "t1").size(), 1u);
}

}  // namespace
}  // namespace agora::slave
