#include "src/cuda/cuda_check.h"
#include "src/cuda/decode_kernel.cuh"
#include "src/cuda/launchers.h"

namespace mladec::detail {
namespace {

__global__ void __launch_bounds__(decode_layout::kThreads, 1)
    decode_bf16_kernel(const __grid_constant__ DecodeParams params) {
  extern __shared__ __align__(1024) uint8_t smem[];
  decode_wgmma(params, smem);
}

}  // namespace

void launch_decode_bf16(const DecodeParams& params, int workers,
                              cudaStream_t stream) {
  cuda_check(cudaFuncSetAttribute(decode_bf16_kernel,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  decode_layout::kSharedBytes),
             "cudaFuncSetAttribute(decode_bf16_kernel)");
  decode_bf16_kernel<<<workers, decode_layout::kThreads,
                             decode_layout::kSharedBytes, stream>>>(params);
  cuda_check(cudaGetLastError(), "decode_bf16_kernel launch");
}

}  // namespace mladec::detail
