#pragma once
// Programmatic dependent launch: a kernel launched this way may start while
// the previous kernel in the stream finishes (its CTAs land on SMs that one
// leaves free and run their prologue), instead of after its completion and
// a launch latency. Such a kernel must call grid_dependency_wait()
// (hopper.cuh) before it reads anything the previous kernel wrote; kernels
// that can be followed this way call allow_dependent_launch() early.
// Captured into CUDA graphs as programmatic edges.
#include <cuda_runtime.h>

#include <utility>

#include "src/cuda/cuda_check.h"

namespace mladec::detail {

template <typename... Params, typename... Args>
void launch_dependent(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes,
                      cudaStream_t stream, const char* what, Args&&... args) {
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  config.attrs = &attribute;
  config.numAttrs = 1;
  cuda_check(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...), what);
}

}  // namespace mladec::detail
