#include "common/resources/resources.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <sstream>

namespace agora {
namespace {

// Scalars are compared with a small tolerance: fractional cpus added and subtracted many
// times must not leave 1e-16 crumbs that block an offer.
constexpr double kEpsilon = 1e-6;

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n");
  size_t e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) {
    parts.push_back(part);
  }
  return parts;
}

StatusOr<IntervalSet> parseRanges(const std::string& text) {
  // "[31000-32000, 33000-33001]"
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
    return Status::invalid("ranges '" + text + "' must look like [begin-end, ...]");
  }
  IntervalSet set;
  for (const std::string& raw : split(text.substr(1, text.size() - 2), ',')) {
    std::string item = trim(raw);
    if (item.empty()) {
      continue;
    }
    size_t dash = item.find('-');
    try {
      size_t used = 0;
      uint64_t begin = std::stoull(item.substr(0, dash), &used);
      uint64_t end = dash == std::string::npos ? begin : std::stoull(item.substr(dash + 1));
      if (begin > end) {
        return Status::invalid("range '" + item + "' ends before it begins");
      }
      set.add(begin, end);
    } catch (const std::exception&) {
      return Status::invalid("range '" + item + "' is not begin-end");
    }
  }
  return set;
}

// "id:path[:ro]" and "64" as a volume proto (validated by `addVolume`).
v1::Resource volumeProto(const std::string& name, const std::string& role,
                         const std::string& volume, const std::string& value) {
  v1::Resource r;
  r.set_name(name);
  r.set_role(role);
  r.set_type(v1::Value::SCALAR);
  char* end = nullptr;
  double size = std::strtod(value.c_str(), &end);
  r.mutable_scalar()->set_value(value.empty() || *end != '\0' ? -1 : size);
  std::vector<std::string> parts = split(volume, ':');
  auto* disk = r.mutable_disk();
  disk->mutable_persistence()->set_id(parts.empty() ? "" : trim(parts[0]));
  disk->mutable_volume()->set_container_path(parts.size() > 1 ? trim(parts[1]) : "");
  disk->mutable_volume()->set_mode(parts.size() > 2 && trim(parts[2]) == "ro" ? v1::Volume::RO
                                                                              : v1::Volume::RW);
  return r;
}

}  // namespace

void IntervalSet::add(uint64_t begin, uint64_t end) {
  intervals_.emplace_back(begin, end);
  std::sort(intervals_.begin(), intervals_.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& iv : intervals_) {
    if (!merged.empty() && iv.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, iv.second);
    } else {
      merged.push_back(iv);
    }
  }
  intervals_ = std::move(merged);
}

void IntervalSet::add(const IntervalSet& other) {
  for (const auto& [b, e] : other.intervals_) {
    add(b, e);
  }
}

void IntervalSet::subtract(const IntervalSet& other) {
  for (const auto& [ob, oe] : other.intervals_) {
    std::vector<std::pair<uint64_t, uint64_t>> kept;
    for (const auto& [b, e] : intervals_) {
      if (oe < b || ob > e) {
        kept.emplace_back(b, e);
        continue;
      }
      if (b < ob) {
        kept.emplace_back(b, ob - 1);
      }
      if (e > oe) {
        kept.emplace_back(oe + 1, e);
      }
    }
    intervals_ = std::move(kept);
  }
}

bool IntervalSet::contains(const IntervalSet& other) const {
  for (const auto& [ob, oe] : other.intervals_) {
    bool inside = std::any_of(intervals_.begin(), intervals_.end(),
                              [&](const auto& iv) { return iv.first <= ob && oe <= iv.second; });
    if (!inside) {
      return false;
    }
  }
  return true;
}

uint64_t IntervalSet::size() const {
  uint64_t n = 0;
  for (const auto& [b, e] : intervals_) {
    n += e - b + 1;
  }
  return n;
}

std::string IntervalSet::toString() const {
  std::string out = "[";
  for (size_t i = 0; i < intervals_.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(intervals_[i].first) + "-" +
           std::to_string(intervals_[i].second);
  }
  return out + "]";
}

StatusOr<Resources> Resources::parse(const std::string& text) {
  Resources out;
  for (const std::string& raw : split(text, ';')) {
    std::string item = trim(raw);
    if (item.empty()) {
      continue;
    }
    // "disk(eng)[id:path]:64": the volume's brackets come before the value's colon.
    std::string volume;
    size_t bracket = item.find('[');
    size_t colon = item.find(':');
    if (bracket != std::string::npos && bracket < colon) {
      size_t close = item.find(']', bracket);
      if (close == std::string::npos || close + 1 >= item.size() || item[close + 1] != ':') {
        return Status::invalid("resource '" + item + "' must look like disk(role)[id:path]:size");
      }
      volume = item.substr(bracket + 1, close - bracket - 1);
      item = item.substr(0, bracket) + item.substr(close + 1);
      colon = bracket;
    }
    if (colon == std::string::npos) {
      return Status::invalid("resource '" + item + "' has no ':' (expected name:value)");
    }
    std::string name = trim(item.substr(0, colon));
    std::string value = trim(item.substr(colon + 1));
    std::string role = kUnreservedRole;
    size_t paren = name.find('(');
    if (paren != std::string::npos) {
      if (name.back() != ')') {
        return Status::invalid("resource '" + item + "' has an unclosed role");
      }
      role = name.substr(paren + 1, name.size() - paren - 2);
      name = name.substr(0, paren);
    }
    if (name.empty() || role.empty()) {
      return Status::invalid("resource '" + item + "' has an empty name or role");
    }
    if (!volume.empty()) {
      AGORA_RETURN_IF_ERROR(out.addVolume(volumeProto(name, role, volume, value), role));
      continue;
    }
    if (!value.empty() && value.front() == '[') {
      auto ranges = parseRanges(value);
      if (!ranges.isOk()) {
        return ranges.status().withContext("resource '" + name + "'");
      }
      out.ranges_[{name, role}].add(*ranges);
    } else if (!value.empty() && value.front() == '{') {
      if (value.back() != '}') {
        return Status::invalid("set '" + value + "' is not closed by '}'");
      }
      for (const std::string& e : split(value.substr(1, value.size() - 2), ',')) {
        if (!trim(e).empty()) {
          out.sets_[{name, role}].insert(trim(e));
        }
      }
    } else {
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !std::isfinite(v) || v < 0) {
        return Status::invalid("resource '" + name + "' has value '" + value +
                               "', expected a non-negative number, [ranges] or {set}");
      }
      out.scalars_[{name, role}] += v;
    }
  }
  out.prune();
  return out;
}

StatusOr<Resources> Resources::fromProto(
    const google::protobuf::RepeatedPtrField<v1::Resource>& in) {
  Resources out;
  for (const v1::Resource& r : in) {
    if (r.name().empty()) {
      return Status::invalid("resource without a name");
    }
    std::string role = r.role().empty() ? kUnreservedRole : r.role();
    if (r.has_disk() && (r.disk().has_persistence() || r.disk().has_volume())) {
      AGORA_RETURN_IF_ERROR(out.addVolume(r, role));
      continue;
    }
    switch (r.type()) {
      case v1::Value::SCALAR: {
        double v = r.scalar().value();
        if (!std::isfinite(v) || v < 0) {
          return Status::invalid("resource '" + r.name() + "' has invalid scalar " +
                                 std::to_string(v));
        }
        out.scalars_[{r.name(), role}] += v;
        break;
      }
      case v1::Value::RANGES:
        for (const auto& range : r.ranges().range()) {
          if (range.begin() > range.end()) {
            return Status::invalid("resource '" + r.name() + "' has a range that ends before " +
                                   "it begins");
          }
          out.ranges_[{r.name(), role}].add(range.begin(), range.end());
        }
        break;
      case v1::Value::SET:
        for (const auto& item : r.set().item()) {
          out.sets_[{r.name(), role}].insert(item);
        }
        break;
      default:
        return Status::invalid("resource '" + r.name() + "' has no valid type");
    }
  }
  out.prune();
  return out;
}

void Resources::toProto(google::protobuf::RepeatedPtrField<v1::Resource>* out) const {
  for (const auto& [key, value] : scalars_) {
    v1::Resource* r = out->Add();
    r->set_name(key.first);
    r->set_role(key.second);
    r->set_type(v1::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
  }
  for (const auto& [key, set] : ranges_) {
    v1::Resource* r = out->Add();
    r->set_name(key.first);
    r->set_role(key.second);
    r->set_type(v1::Value::RANGES);
    for (const auto& [b, e] : set.intervals()) {
      auto* range = r->mutable_ranges()->add_range();
      range->set_begin(b);
      range->set_end(e);
    }
  }
  for (const auto& [key, items] : sets_) {
    v1::Resource* r = out->Add();
    r->set_name(key.first);
    r->set_role(key.second);
    r->set_type(v1::Value::SET);
    for (const auto& item : items) {
      r->mutable_set()->add_item(item);
    }
  }
  for (const auto& [key, volume] : volumes_) {
    v1::Resource* r = out->Add();
    r->set_name("disk");
    r->set_role(volume.role);
    r->set_type(v1::Value::SCALAR);
    r->mutable_scalar()->set_value(volume.size);
    auto* disk = r->mutable_disk();
    disk->mutable_persistence()->set_id(volume.id);
    disk->mutable_persistence()->set_principal(volume.principal);
    disk->mutable_volume()->set_container_path(volume.containerPath);
    disk->mutable_volume()->set_mode(volume.readOnly ? v1::Volume::RO : v1::Volume::RW);
  }
}

Resources& Resources::operator+=(const Resources& other) {
  scalars_.mergeFrom(other.scalars_, [](double& mine, double theirs) { mine += theirs; });
  ranges_.mergeFrom(other.ranges_,
                    [](IntervalSet& mine, const IntervalSet& theirs) { mine.add(theirs); });
  for (const auto& [key, items] : other.sets_) {
    sets_[key].insert(items.begin(), items.end());
  }
  volumes_.insert(other.volumes_.begin(), other.volumes_.end());
  prune();
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  for (const auto& [key, v] : other.scalars_) {
    auto it = scalars_.find(key);
    if (it != scalars_.end()) {
      it->second = std::max(0.0, it->second - v);
    }
  }
  for (const auto& [key, set] : other.ranges_) {
    auto it = ranges_.find(key);
    if (it != ranges_.end()) {
      it->second.subtract(set);
    }
  }
  for (const auto& [key, items] : other.sets_) {
    auto it = sets_.find(key);
    if (it != sets_.end()) {
      for (const auto& item : items) {
        it->second.erase(item);
      }
    }
  }
  for (const auto& [key, volume] : other.volumes_) {
    auto it = volumes_.find(key);
    if (it != volumes_.end() && it->second == volume) {
      volumes_.erase(it);
    }
  }
  prune();
  return *this;
}

bool Resources::contains(const Resources& other) const {
  for (const auto& [key, v] : other.scalars_) {
    auto it = scalars_.find(key);
    if (v > kEpsilon && (it == scalars_.end() || it->second + kEpsilon < v)) {
      return false;
    }
  }
  for (const auto& [key, set] : other.ranges_) {
    auto it = ranges_.find(key);
    if (!set.empty() && (it == ranges_.end() || !it->second.contains(set))) {
      return false;
    }
  }
  for (const auto& [key, items] : other.sets_) {
    auto it = sets_.find(key);
    for (const auto& item : items) {
      if (it == sets_.end() || !it->second.count(item)) {
        return false;
      }
    }
  }
  for (const auto& [key, volume] : other.volumes_) {
    auto it = volumes_.find(key);
    if (it == volumes_.end() || !(it->second == volume)) {
      return false;
    }
  }
  return true;
}

bool Resources::empty() const {
  return scalars_.empty() && ranges_.empty() && sets_.empty() && volumes_.empty();
}

double Resources::scalar(std::string_view name) const {
  double total = 0;
  for (const auto& [key, v] : scalars_) {
    if (key.first == name) {
      total += v;
    }
  }
  if (name == "disk") {
    for (const auto& [key, volume] : volumes_) {
      total += volume.size;
    }
  }
  return total;
}

IntervalSet Resources::ranges(const std::string& name) const {
  IntervalSet out;
  for (const auto& [key, set] : ranges_) {
    if (key.first == name) {
      out.add(set);
    }
  }
  return out;
}

Resources Resources::reservedTo(const std::string& role) const {
  Resources out;
  for (const auto& [key, v] : scalars_) {
    if (key.second == role) out.scalars_[key] = v;
  }
  for (const auto& [key, set] : ranges_) {
    if (key.second == role) out.ranges_[key] = set;
  }
  for (const auto& [key, items] : sets_) {
    if (key.second == role) out.sets_[key] = items;
  }
  for (const auto& [key, volume] : volumes_) {
    if (key.first == role) out.volumes_[key] = volume;
  }
  return out;
}

Resources Resources::allocatableTo(const std::string& role) const {
  // Hierarchical reservations: what is reserved to "eng" may be used by "eng/web".
  Resources out = reservedTo(kUnreservedRole);
  if (role == kUnreservedRole) {
    return out;
  }
  for (std::string r = role;;) {
    out += reservedTo(r);
    size_t slash = r.rfind('/');
    if (slash == std::string::npos) break;
    r.resize(slash);
  }
  return out;
}

std::vector<std::string> Resources::roles() const {
  std::set<std::string> roles;
  for (const auto& [key, v] : scalars_) roles.insert(key.second);
  for (const auto& [key, v] : ranges_) roles.insert(key.second);
  for (const auto& [key, v] : sets_) roles.insert(key.second);
  for (const auto& [key, v] : volumes_) roles.insert(key.first);
  return {roles.begin(), roles.end()};
}

Resources Resources::asRole(const std::string& role) const {
  Resources out;
  for (const auto& [key, v] : scalars_) out.scalars_[{key.first, role}] += v;
  for (const auto& [key, set] : ranges_) out.ranges_[{key.first, role}].add(set);
  for (const auto& [key, items] : sets_) out.sets_[{key.first, role}].insert(items.begin(), items.end());
  for (const auto& [key, volume] : volumes_) out.scalars_[{"disk", role}] += volume.size;
  out.prune();
  return out;
}

Resources Resources::withScalarAtMost(const std::string& name, double max) const {
  Resources out = *this;
  double excess = scalar(name) - std::max(0.0, max);
  if (excess <= kEpsilon) {
    return out;
  }
  // Unreserved first, then reserved entries in key order.
  auto take = [&](const Key& key) {
    auto it = out.scalars_.find(key);
    if (it == out.scalars_.end() || excess <= 0) {
      return;
    }
    double taken = std::min(it->second, excess);
    it->second -= taken;
    excess -= taken;
  };
  take({name, kUnreservedRole});
  for (const auto& [key, value] : scalars_) {
    if (key.first == name) {
      take(key);
    }
  }
  out.prune();
  return out;
}

Status Resources::addVolume(const v1::Resource& r, const std::string& role) {
  const auto& disk = r.disk();
  if (r.name() != "disk" || r.type() != v1::Value::SCALAR) {
    return Status::invalid("resource '" + r.name() + "' has disk info but is not a scalar 'disk'");
  }
  if (!disk.has_persistence() || disk.persistence().id().empty()) {
    return Status::invalid("volume of resource 'disk' has no disk.persistence.id");
  }
  const std::string& id = disk.persistence().id();
  double size = r.scalar().value();
  if (!std::isfinite(size) || size <= kEpsilon) {
    return Status::invalid("persistent volume '" + id + "' must have a positive disk size");
  }
  PersistentVolume volume{.role = role,
                          .id = id,
                          .principal = disk.persistence().principal(),
                          .containerPath = disk.volume().container_path(),
                          .readOnly = disk.volume().mode() == v1::Volume::RO,
                          .size = size};
  auto [it, added] = volumes_.emplace(VolumeKey{role, id}, volume);
  if (!added && !(it->second == volume)) {
    return Status::invalid("persistent volume '" + id + "' of role '" + role +
                           "' is listed twice with different values");
  }
  return Status::ok();
}

Resources Resources::volumes() const {
  Resources out;
  out.volumes_ = volumes_;
  return out;
}

Resources Resources::volumesAsDisk() const {
  Resources out = *this;
  out.volumes_.clear();
  for (const auto& [key, volume] : volumes_) {
    out.scalars_[{"disk", volume.role}] += volume.size;
  }
  return out;
}

std::vector<PersistentVolume> Resources::volumeList() const {
  std::vector<PersistentVolume> out;
  for (const auto& [key, volume] : volumes_) {
    out.push_back(volume);
  }
  return out;
}

bool Resources::hasVolume(const std::string& role, const std::string& id) const {
  return volumes_.count({role, id}) > 0;
}

void Resources::prune() {
  scalars_.eraseIf([](const auto& kv) { return kv.second <= kEpsilon; });
  ranges_.eraseIf([](const auto& kv) { return kv.second.empty(); });
  std::erase_if(sets_, [](const auto& kv) { return kv.second.empty(); });
}

std::string Resources::toString() const {
  std::string out;
  auto name = [](const Key& key) {
    return key.second == kUnreservedRole ? key.first : key.first + "(" + key.second + ")";
  };
  for (const auto& [key, v] : scalars_) {
    std::ostringstream num;
    num << v;
    out += (out.empty() ? "" : ";") + name(key) + ":" + num.str();
  }
  for (const auto& [key, set] : ranges_) {
    out += (out.empty() ? "" : ";") + name(key) + ":" + set.toString();
  }
  for (const auto& [key, items] : sets_) {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : ",") + item;
    out += (out.empty() ? "" : ";") + name(key) + ":{" + joined + "}";
  }
  for (const auto& [key, volume] : volumes_) {
    std::ostringstream num;
    num << volume.size;
    out += (out.empty() ? "" : ";") + name({"disk", volume.role}) + "[" + volume.id + ":" +
           volume.containerPath + (volume.readOnly ? ":ro" : "") + "]:" + num.str();
  }
  return out;
}

Resources::JsonFields Resources::jsonFields() const {
  // The four shared scalars always (summed over roles, volumes in "disk"), then any other
  // scalar; a range is shown as its text.
  JsonFields fields;
  fields.scalars = {{"cpus", 0}, {"mem", 0}, {"disk", 0}, {"gpus", 0}};
  for (const auto& [key, v] : scalars_) fields.scalars[key.first] += v;
  for (const auto& [key, volume] : volumes_) fields.scalars["disk"] += volume.size;
  for (const auto& [key, set] : ranges_) {
    fields.scalars.erase(key.first);
    fields.ranges[key.first] = ranges(key.first).toString();
  }
  return fields;
}

nlohmann::json Resources::toJson() const {
  JsonFields fields = jsonFields();
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : fields.scalars) out[name] = value;
  for (const auto& [name, text] : fields.ranges) out[name] = text;
  return out;
}

void Resources::appendJson(std::string* out) const {
  JsonFields fields = jsonFields();
  out->push_back('{');
  bool first = true;
  char buffer[32];
  for (const auto& [name, value] : fields.scalars) {
    if (!first) out->push_back(',');
    first = false;
    out->push_back('"');
    out->append(name);
    out->append("\":");
    auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
    out->append(buffer, end);
    // JSON readers expect a fraction on a float ("cpus": 1.0), as toJson() writes it.
    if (std::string_view(buffer, end - buffer).find_first_of(".e") == std::string_view::npos) {
      out->append(".0");
    }
  }
  for (const auto& [name, text] : fields.ranges) {
    out->append(",\"" + name + "\":\"" + text + "\"");
  }
  out->push_back('}');
}

StatusOr<std::vector<v1::Attribute>> parseAttributes(const std::string& text) {
  std::vector<v1::Attribute> out;
  for (const std::string& raw : split(text, ';')) {
    std::string item = trim(raw);
    if (item.empty()) {
      continue;
    }
    size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::invalid("attribute '" + item + "' is not name:value");
    }
    v1::Attribute attr;
    attr.set_name(trim(item.substr(0, colon)));
    std::string value = trim(item.substr(colon + 1));
    char* end = nullptr;
    double number = std::strtod(value.c_str(), &end);
    if (!value.empty() && value.front() == '[') {
      auto ranges = parseRanges(value);
      if (!ranges.isOk()) {
        return ranges.status().withContext("attribute '" + attr.name() + "'");
      }
      attr.set_type(v1::Value::RANGES);
      for (const auto& [b, e] : ranges->intervals()) {
        auto* r = attr.mutable_ranges()->add_range();
        r->set_begin(b);
        r->set_end(e);
      }
    } else if (!value.empty() && *end == '\0' && std::isfinite(number)) {
      attr.set_type(v1::Value::SCALAR);
      attr.mutable_scalar()->set_value(number);
    } else {
      attr.set_type(v1::Value::TEXT);
      attr.mutable_text()->set_value(value);
    }
    out.push_back(std::move(attr));
  }
  return out;
}

nlohmann::json attributesToJson(const google::protobuf::RepeatedPtrField<v1::Attribute>& in) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& attr : in) {
    switch (attr.type()) {
      case v1::Value::SCALAR:
        out[attr.name()] = attr.scalar().value();
        break;
      case v1::Value::RANGES: {
        IntervalSet set;
        for (const auto& r : attr.ranges().range()) set.add(r.begin(), r.end());
        out[attr.name()] = set.toString();
        break;
      }
      default:
        out[attr.name()] = attr.text().value();
    }
  }
  return out;
}

}  // namespace agora
