#pragma once
#include <cuda_runtime_api.h>

#include "src/core/require.h"

namespace mladec::detail {

// Turns a failed CUDA call into mladec::Error(kCudaError) naming the call.
inline void cuda_check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    fail(ErrorCode::kCudaError, what, " failed: ", cudaGetErrorName(status),
         " (", cudaGetErrorString(status), ")");
  }
}

}  // namespace mladec::detail
