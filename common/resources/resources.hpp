// `Resources`: the value type for all resource arithmetic (after Mesos' `Resources`).
//
// A bag of named quantities, each owned by a role ("*" = unreserved): scalars (`cpus`,
// `mem`, `disk`, `gpus`), ranges (`ports`) and sets. Built only from validated input
// (`parse()` or `fromProto()`), so every value in it is non-negative and well formed.
//
// Persistent volumes (a `disk` resource with `disk.persistence`, Mesos'
// docs/persistent-volume.md) are items of their own, keyed by (role, persistence id): they
// are never merged with plain disk or with each other, `-` and `contains` match them
// exactly (size, path and mode included), and adding a volume that is already there is a
// no-op (a persistence id is unique on an agent for a role). They count in
// `scalar("disk")`.
// Thread-compatible value type.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/repeated_field.h>
#include <nlohmann/json.hpp>

#include "agora/v1/common.pb.h"
#include "common/base/flat_map.hpp"
#include "common/base/status.hpp"

namespace agora {

// A set of inclusive integer intervals, kept sorted and merged.
class IntervalSet {
 public:
  void add(uint64_t begin, uint64_t end);
  void add(const IntervalSet& other);
  void subtract(const IntervalSet& other);
  bool contains(const IntervalSet& other) const;
  bool empty() const { return intervals_.empty(); }
  uint64_t size() const;
  const std::vector<std::pair<uint64_t, uint64_t>>& intervals() const { return intervals_; }
  // "[31000-31005, 31010-31010]"
  std::string toString() const;
  bool operator==(const IntervalSet&) const = default;

 private:
  std::vector<std::pair<uint64_t, uint64_t>> intervals_;
};

// One persistent volume of a `Resources`.
struct PersistentVolume {
  std::string role;
  std::string id;  // `disk.persistence.id`
  std::string principal;
  std::string containerPath;  // `disk.volume.container_path`
  bool readOnly = false;
  double size = 0;  // MB of disk
  bool operator==(const PersistentVolume&) const = default;
};

class Resources {
 public:
  static constexpr const char* kUnreservedRole = "*";

  Resources() = default;

  // Parses Mesos' text form: "cpus:4;mem:8192;ports:[31000-32000];cpus(eng):2;zones:{a,b}",
  // and persistent volumes as "disk(eng)[<persistence id>:<container path>]:64" (":ro" after
  // the path makes it read-only).
  static StatusOr<Resources> parse(const std::string& text);
  // Validates every entry (known type, non-negative, well-formed ranges; a volume is a
  // positive scalar `disk` with a non-empty persistence id).
  static StatusOr<Resources> fromProto(const google::protobuf::RepeatedPtrField<v1::Resource>& in);

  void toProto(google::protobuf::RepeatedPtrField<v1::Resource>* out) const;

  Resources& operator+=(const Resources& other);
  // Subtracts what is there; quantities never go below zero.
  Resources& operator-=(const Resources& other);
  friend Resources operator+(Resources a, const Resources& b) { return a += b; }
  friend Resources operator-(Resources a, const Resources& b) { return a -= b; }
  bool operator==(const Resources&) const = default;

  // True when every quantity of `other` (per role) is available here.
  bool contains(const Resources& other) const;
  bool empty() const;

  // Total of a scalar across roles (0 when absent).
  double scalar(std::string_view name) const;
  // All `ports`-like ranges of `name` across roles.
  IntervalSet ranges(const std::string& name) const;

  // Only the entries owned by `role`, and those usable by `role` (its own, its ancestors'
  // — "eng" for "eng/web" — and "*").
  Resources reservedTo(const std::string& role) const;
  Resources allocatableTo(const std::string& role) const;
  // The same quantities, all owned by `role` (e.g. "*" to see reserved resources as the
  // unreserved ones they were made from). Persistent volumes become plain `disk`.
  Resources asRole(const std::string& role) const;
  // Every role that owns something here.
  std::vector<std::string> roles() const;
  // A copy holding at most `max` of scalar `name` in total, taken away from unreserved
  // ("*") entries first. Persistent volumes are never cut.
  Resources withScalarAtMost(const std::string& name, double max) const;

  // Persistent volumes: only the volumes; the same with each volume turned back into the
  // plain disk of its role it was made from; the volumes one by one.
  Resources volumes() const;
  Resources volumesAsDisk() const;
  std::vector<PersistentVolume> volumeList() const;
  bool hasVolume(const std::string& role, const std::string& id) const;

  std::string toString() const;
  // {"cpus": 4, "mem": 8192, "disk": 0, "gpus": 0, "ports": "[31000-32000]"}, summed over
  // roles, in the shape of Mesos' /state.
  nlohmann::json toJson() const;
  // The same object as text, appended to `out` (no document tree: for bulk output).
  void appendJson(std::string* out) const;

 private:
  using Key = std::pair<std::string, std::string>;  // (name, role)
  // What toJson() and appendJson() show, computed once for both.
  struct JsonFields {
    std::map<std::string, double> scalars;
    std::map<std::string, std::string> ranges;
  };
  JsonFields jsonFields() const;
  using VolumeKey = std::pair<std::string, std::string>;  // (role, persistence id)
  void prune();
  // Adds one volume from a proto (already known to be a persistent `disk`).
  Status addVolume(const v1::Resource& r, const std::string& role);

  // Flat: copied and merged on every allocation change (see FlatMap).
  FlatMap<Key, double> scalars_;
  FlatMap<Key, IntervalSet> ranges_;
  std::map<Key, std::set<std::string>> sets_;
  std::map<VolumeKey, PersistentVolume> volumes_;
};

// Parses agent attributes: "rack:r1;zone:z1;level:3" (numbers become scalars, "[a-b]"
// ranges, anything else text).
StatusOr<std::vector<v1::Attribute>> parseAttributes(const std::string& text);
nlohmann::json attributesToJson(const google::protobuf::RepeatedPtrField<v1::Attribute>& in);

}  // namespace agora
