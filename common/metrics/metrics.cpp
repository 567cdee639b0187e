#include "common/metrics/metrics.hpp"

#include <sstream>

namespace agora {

void Metrics::increment(const std::string& key, double delta) {
  std::lock_guard<std::mutex> lock(mutex_);
  values_[key] += delta;
}

void Metrics::set(const std::string& key, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  values_[key] = value;
}

double Metrics::get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = values_.find(key);
  return it == values_.end() ? 0 : it->second;
}

nlohmann::json Metrics::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : values_) {
    out[key] = value;
  }
  return out;
}

std::string Metrics::prometheus() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  for (const auto& [key, value] : values_) {
    std::string name = "agora_";
    for (char c : key) {
      name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    out << "# TYPE " << name << " gauge\n" << name << " " << value << "\n";
  }
  return out.str();
}

}  // namespace agora
