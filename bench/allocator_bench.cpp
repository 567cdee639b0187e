// Allocation cycle time of the DRF allocator: every agent has free resources and every
// framework wants them; one `allocate()` pass hands each agent to one framework.
#include <benchmark/benchmark.h>

#include <memory>

#include "master/allocator/drf_allocator.hpp"

namespace agora::master {
namespace {

void BM_AllocationCycle(benchmark::State& state) {
  const int agents = static_cast<int>(state.range(0));
  const int frameworks = static_cast<int>(state.range(1));
  Resources agentTotal = *Resources::parse("cpus:16;mem:65536;disk:100000;ports:[31000-32000]");
  for (auto _ : state) {
    state.PauseTiming();
    auto allocator = std::make_unique<DrfAllocator>();
    for (int f = 0; f < frameworks; ++f) {
      allocator->addFramework("f" + std::to_string(f), {"role" + std::to_string(f % 10)});
    }
    for (int a = 0; a < agents; ++a) {
      allocator->addAgent("a" + std::to_string(a), agentTotal);
    }
    state.ResumeTiming();
    auto allocations = allocator->allocate(std::chrono::steady_clock::now());
    benchmark::DoNotOptimize(allocations);
    // The pass is timed, not the teardown of the whole cluster's bookkeeping.
    state.PauseTiming();
    allocations.clear();
    allocator.reset();
    state.ResumeTiming();
  }
  state.counters["agents"] = agents;
  state.counters["frameworks"] = frameworks;
}

BENCHMARK(BM_AllocationCycle)
    ->Args({1000, 100})
    ->Args({10000, 1000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace
}  // namespace agora::master

BENCHMARK_MAIN();
