// The p-th percentile (0..1) of samples, by nearest rank; 0 for none.
#pragma once

#include <algorithm>
#include <vector>

namespace agora::bench {

inline double percentileOf(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return samples[std::min(samples.size() - 1, static_cast<size_t>(p * samples.size()))];
}

}  // namespace agora::bench
