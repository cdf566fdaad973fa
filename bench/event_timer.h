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

// Median seconds of `repeats` runs of fn() on `stream` after `warmup`
// untimed runs.
template <typename Fn>
double median_seconds(cudaStream_t stream, int warmup, int repeats, Fn&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) seconds.push_back(elapsed_seconds(stream, fn));
  return median(seconds);
}

}  // namespace mladec::bench
