// The event loop runs posted work, timers and socket callbacks on its own thread.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "common/event/event_loop.hpp"

namespace agora {
namespace {

TEST(EventLoopTest, PostedWorkAndTimersRunOnTheLoop) {
  EventLoop loop;
  std::thread::id loopThread;
  std::vector<int> order;
  std::thread runner([&] {
    loopThread = std::this_thread::get_id();
    loop.run();
  });
  loop.post([&] {
    order.push_back(1);
    loop.runAfter(std::chrono::milliseconds(20), [&] {
      order.push_back(3);
      loop.stop();
    });
    loop.runAfter(std::chrono::milliseconds(1), [&] { order.push_back(2); });
  });
  runner.join();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventLoopTest, CancelledTimerNeverFires) {
  EventLoop loop;
  bool fired = false;
  std::thread runner([&] { loop.run(); });
  loop.post([&] {
    auto id = loop.runAfter(std::chrono::milliseconds(5), [&] { fired = true; });
    loop.cancel(id);
    loop.runAfter(std::chrono::milliseconds(30), [&] { loop.stop(); });
  });
  runner.join();
  EXPECT_FALSE(fired);
}

TEST(EventLoopTest, RunSyncReturnsTheValue) {
  EventLoop loop;
  std::thread runner([&] { loop.run(); });
  auto value = loop.runSync([] { return 42; });
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, 42);
  loop.stop();
  runner.join();
}

TEST(EventLoopTest, PeriodicTimerRepeats) {
  EventLoop loop;
  int ticks = 0;
  std::thread runner([&] { loop.run(); });
  loop.post([&] {
    loop.runEvery(std::chrono::milliseconds(2), [&] {
      if (++ticks == 5) loop.stop();
    });
  });
  runner.join();
  EXPECT_EQ(ticks, 5);
}

// Two fds ready in the same round: the first callback unwatches the second (and a new
// watch takes its place); the removed callback must not run on the stale readiness.
TEST(EventLoopTest, CallbackRemovedEarlierInTheRoundDoesNotRun) {
  EventLoop loop;
  int first = eventfd(1, 0);
  int second = eventfd(1, 0);
  int staleCalls = 0;
  std::thread runner([&] { loop.run(); });
  loop.post([&] {
    loop.watchFd(first, [&] {
      loop.unwatchFd(first);
      loop.unwatchFd(second);
      loop.watchFd(second, [&] {
        loop.unwatchFd(second);
        loop.stop();
      });
    });
    loop.watchFd(second, [&] { ++staleCalls; });
  });
  runner.join();
  EXPECT_EQ(staleCalls, 0);
  close(first);
  close(second);
}

}  // namespace
}  // namespace agora
