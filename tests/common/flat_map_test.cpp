// FlatMap: the sorted-vector map under Resources. Order, lookup and merging must match
// std::map, whatever the order keys arrive in.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/base/flat_map.hpp"

namespace agora {
namespace {

template <typename Map>
std::map<std::string, int> asStdMap(const Map& map) {
  return {map.begin(), map.end()};
}

TEST(FlatMapTest, KeepsKeysSortedAndUniqueLikeStdMap) {
  FlatMap<std::string, int> flat;
  std::map<std::string, int> reference;
  for (const char* key : {"mem", "cpus", "ports", "cpus", "disk", "a", "mem"}) {
    flat[key] += 1;
    reference[key] += 1;
  }
  EXPECT_EQ(asStdMap(flat), reference);
  std::string previous;
  for (const auto& [key, value] : flat) {
    EXPECT_LT(previous, key);
    previous = key;
  }
  EXPECT_EQ(flat.count("cpus"), 1u);
  EXPECT_EQ(flat.find("gpus"), flat.end());
  EXPECT_EQ(flat.find("mem")->second, 2);
}

TEST(FlatMapTest, MergeAddsKnownKeysInPlaceAndInsertsNewOnesInOrder) {
  FlatMap<std::string, int> mine;
  mine["b"] = 1;
  mine["d"] = 2;
  FlatMap<std::string, int> known;
  known["d"] = 10;
  auto add = [](int& a, int b) { a += b; };
  mine.mergeFrom(known, add);
  EXPECT_EQ(asStdMap(mine), (std::map<std::string, int>{{"b", 1}, {"d", 12}}));

  FlatMap<std::string, int> mixed;
  mixed["a"] = 5;
  mixed["c"] = 6;
  mixed["d"] = 1;
  mixed["e"] = 7;
  mine.mergeFrom(mixed, add);
  EXPECT_EQ(asStdMap(mine),
            (std::map<std::string, int>{{"a", 5}, {"b", 1}, {"c", 6}, {"d", 13}, {"e", 7}}));

  FlatMap<std::string, int> empty;
  empty.mergeFrom(mixed, add);
  EXPECT_EQ(empty, mixed);
  mixed.mergeFrom(FlatMap<std::string, int>(), add);
  EXPECT_EQ(asStdMap(mixed), (std::map<std::string, int>{{"a", 5}, {"c", 6}, {"d", 1}, {"e", 7}}));
}

TEST(FlatMapTest, EraseIfAndEraseKeepTheRestInOrder) {
  FlatMap<std::string, int> flat;
  for (int i = 0; i < 6; ++i) flat[std::string(1, static_cast<char>('a' + i))] = i;
  flat.eraseIf([](const auto& entry) { return entry.second % 2 == 1; });
  EXPECT_EQ(asStdMap(flat), (std::map<std::string, int>{{"a", 0}, {"c", 2}, {"e", 4}}));
  flat.erase(flat.find("c"));
  EXPECT_EQ(asStdMap(flat), (std::map<std::string, int>{{"a", 0}, {"e", 4}}));
}

}  // namespace
}  // namespace agora
