#pragma once
#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

#include "src/cuda/cuda_check.h"

namespace mladec::bench {

// Median seconds of `repeats` runs of fn() on `stream`, timed with CUDA
// events, after `warmup` untimed runs.
template <typename Fn>
double median_seconds(cudaStream_t stream, int warmup, int repeats, Fn&& fn) {
  using detail::cuda_check;
  cudaEvent_t start, stop;
  cuda_check(cudaEventCreate(&start), "cudaEventCreate");
  cuda_check(cudaEventCreate(&stop), "cudaEventCreate");
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<float> ms;
  for (int i = 0; i < repeats; ++i) {
    cuda_check(cudaEventRecord(start, stream), "cudaEventRecord");
    fn();
    cuda_check(cudaEventRecord(stop, stream), "cudaEventRecord");
    cuda_check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float elapsed = 0;
    cuda_check(cudaEventElapsedTime(&elapsed, start, stop), "cudaEventElapsedTime");
    ms.push_back(elapsed);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2] * 1e-3;
}

}  // namespace mladec::bench
