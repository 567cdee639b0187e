// Counters and gauges for `/metrics` (Prometheus text) and `/metrics/snapshot` (JSON with
// Mesos-style keys such as "master/tasks_running").
//
// Thread-safe: the daemon's loop updates it, HTTP threads read it.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace agora {

class Metrics {
 public:
  void increment(const std::string& key, double delta = 1);
  void set(const std::string& key, double value);
  double get(const std::string& key) const;

  nlohmann::json snapshot() const;
  // Keys become metric names: "master/tasks_running" -> "agora_master_tasks_running".
  std::string prometheus() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, double> values_;  // GUARDED_BY(mutex_)
};

}  // namespace agora
