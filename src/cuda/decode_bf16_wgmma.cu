#include "src/cuda/cuda_check.h"
#include "src/cuda/decode_wgmma_kernel.cuh"
#include "src/cuda/launchers.h"

namespace mladec::detail {
namespace {

__global__ void __launch_bounds__(wgmma_layout::kThreads, 1)
    decode_bf16_wgmma_kernel(const __grid_constant__ DecodeParams params) {
  extern __shared__ __align__(1024) uint8_t smem[];
  decode_wgmma(params, smem);
}

}  // namespace

void launch_decode_bf16_wgmma(const DecodeParams& params, int workers,
                              cudaStream_t stream) {
  cuda_check(cudaFuncSetAttribute(decode_bf16_wgmma_kernel,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  wgmma_layout::kSharedBytes),
             "cudaFuncSetAttribute(decode_bf16_wgmma_kernel)");
  decode_bf16_wgmma_kernel<<<workers, wgmma_layout::kThreads,
                             wgmma_layout::kSharedBytes, stream>>>(params);
  cuda_check(cudaGetLastError(), "decode_bf16_wgmma_kernel launch");
}

}  // namespace mladec::detail
