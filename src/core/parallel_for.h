#pragma once
// fn(i) for i in [0, n), spread over the host's cores: the float64 reference
// and the random test inputs of GPU checks are large.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace mladec::detail {

template <typename Fn>
void parallel_for(int64_t n, Fn&& fn) {
  const int64_t threads = std::clamp<int64_t>(
      int64_t(std::thread::hardware_concurrency()), 1, std::max<int64_t>(1, n));
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (int64_t i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
}

}  // namespace mladec::detail
