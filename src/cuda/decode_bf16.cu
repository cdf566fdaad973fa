// The bf16 decode kernel's two instantiations: 32-token KV blocks (four in
// flight, memory-bound shapes) and 64-token blocks (compute-bound shapes).
#include "src/core/require.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/decode_kernel.cuh"
#include "src/cuda/launchers.h"

namespace mladec::detail {
namespace {

template <int BT>
__global__ void __launch_bounds__(decode_layout::kThreads, 1)
    decode_bf16_kernel(const __grid_constant__ DecodeParams params) {
  extern __shared__ __align__(1024) uint8_t smem[];
  decode_persistent<BT>(params, smem);
}

template <int BT>
void launch(const DecodeParams& params, int workers, cudaStream_t stream) {
  cuda_check(cudaFuncSetAttribute(decode_bf16_kernel<BT>,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  decode_layout::kSharedBytes),
             "cudaFuncSetAttribute(decode_bf16_kernel)");
  decode_bf16_kernel<BT><<<workers, decode_layout::kThreads,
                           decode_layout::kSharedBytes, stream>>>(params);
  cuda_check(cudaGetLastError(), "decode_bf16_kernel launch");
}

}  // namespace

void launch_decode_bf16(const DecodeParams& params, int workers, int block_tokens,
                        cudaStream_t stream) {
  switch (block_tokens) {
    case 32: return launch<32>(params, workers, stream);
    case 64: return launch<64>(params, workers, stream);
  }
  fail(ErrorCode::kBadConfig, "kv_block_tokens must be 32 or 64, got ", block_tokens);
}

}  // namespace mladec::detail
