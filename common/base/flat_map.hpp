// `FlatMap`: an ordered map kept as one sorted vector of pairs.
//
// For small maps that are copied and merged far more often than they grow: a copy is one
// allocation (a std::map allocates a node per entry) and a walk touches contiguous memory.
// `Resources` holds a handful of entries per kind and is copied on every allocation change,
// which made node allocation the larger part of an allocation pass.
//
// Unlike std::map, inserting or erasing invalidates every iterator and reference.
// Thread-compatible value type.
#pragma once

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

namespace agora {

template <typename Key, typename Value>
class FlatMap {
 public:
  using value_type = std::pair<Key, Value>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }

  iterator find(const Key& key) {
    auto it = lowerBound(key);
    return it != entries_.end() && it->first == key ? it : entries_.end();
  }
  const_iterator find(const Key& key) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
    return it != entries_.end() && it->first == key ? it : entries_.end();
  }
  size_t count(const Key& key) const { return find(key) != end() ? 1 : 0; }

  // The value at `key`, value-initialised when absent.
  Value& operator[](const Key& key) {
    auto it = lowerBound(key);
    if (it == entries_.end() || !(it->first == key)) {
      it = entries_.emplace(it, key, Value{});
    }
    return it->second;
  }

  // Folds `other` into this map: `combine(mine, theirs)` for every key of `other`, where
  // `mine` starts value-initialised for a key that is new here (and combining into a
  // value-initialised one must give `theirs`). One pass, in place when every key is known.
  template <typename Combine>
  void mergeFrom(const FlatMap& other, Combine combine) {
    if (entries_.empty()) {
      entries_ = other.entries_;
      return;
    }
    if (containsKeysOf(other)) {
      auto mine = entries_.begin();
      for (const auto& [key, value] : other.entries_) {
        while (!(mine->first == key)) ++mine;
        combine(mine->second, value);
      }
      return;
    }
    std::vector<value_type> merged;
    merged.reserve(entries_.size() + other.entries_.size());
    auto mine = entries_.begin();
    for (const auto& theirs : other.entries_) {
      for (; mine != entries_.end() && mine->first < theirs.first; ++mine) {
        merged.push_back(std::move(*mine));
      }
      if (mine != entries_.end() && mine->first == theirs.first) {
        merged.push_back(std::move(*mine++));
      } else {
        merged.emplace_back(theirs.first, Value{});
      }
      combine(merged.back().second, theirs.second);
    }
    std::move(mine, entries_.end(), std::back_inserter(merged));
    entries_ = std::move(merged);
  }

  iterator erase(const_iterator it) { return entries_.erase(it); }
  template <typename Predicate>
  void eraseIf(Predicate predicate) {
    std::erase_if(entries_, predicate);
  }

  bool operator==(const FlatMap&) const = default;

 private:
  struct KeyLess {
    bool operator()(const value_type& entry, const Key& key) const { return entry.first < key; }
  };
  bool containsKeysOf(const FlatMap& other) const {
    // Both sorted: one lockstep walk (cheaper than a search per key at these sizes).
    auto mine = entries_.begin();
    for (const auto& [key, value] : other.entries_) {
      while (mine != entries_.end() && mine->first < key) ++mine;
      if (mine == entries_.end() || !(mine->first == key)) return false;
    }
    return true;
  }
  iterator lowerBound(const Key& key) {
    return std::lower_bound(entries_.begin(), entries_.end(), key, KeyLess{});
  }

  std::vector<value_type> entries_;  // Sorted by key, keys unique.
};

}  // namespace agora
