#pragma once
#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

#include "src/cuda/cuda_check.h"

namespace mladec::bench {

inline double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

// Seconds one run of fn() takes on `stream`, timed with CUDA events (fn
// enqueues the work; the call waits for it).
template <typename Fn>
double elapsed_seconds(cudaStream_t stream, Fn&& fn) {
  using detail::cuda_check;
  cudaEvent_t start, stop;
  cuda_check(cudaEventCreate(&start), "cudaEventCreate");
  cuda_check(cudaEventCreate(&stop), "cudaEventCreate");
  cuda_check(cudaEventRecord(start, stream), "cudaEventRecord");
  fn();
  cuda_check(cudaEventRecord(stop, stream), "cudaEventRecord");
  cuda_check(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0;
  cuda_check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms * 1e-3;
}

// Untimed runs before a case is timed: at least `warmup` of them and at
// least this long, so that each case is timed at the clocks its own load
// settles at. With three runs (~0.5 ms) the first fp8 case, right after the
// compute-bound bf16 ones, read 93 us in the whole benchmark and 82 alone
// (e4m3 128x4096 h_q 16, every benchmark v70-v83; bench/NOTES.md v84).
// Triton's do_bench, which FlashMLA's scripts time with, warms up for 25 ms.
inline constexpr double kMinWarmupSeconds = 25e-3;

// Median seconds of `repeats` runs of fn() on `stream` after the warm-up
// (at least `warmup` untimed runs and kMinWarmupSeconds).
template <typename Fn>
double median_seconds(cudaStream_t stream, int warmup, int repeats, Fn&& fn) {
  double warmed = 0;
  for (int i = 0; i < warmup || warmed < kMinWarmupSeconds; ++i) {
    warmed += elapsed_seconds(stream, fn);
  }
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) seconds.push_back(elapsed_seconds(stream, fn));
  return median(seconds);
}

}  // namespace mladec::bench
