// The decode kernel's instantiations, one per KV cache format.
#include "src/cuda/cuda_check.h"
#include "src/cuda/decode_kernel.cuh"
#include "src/cuda/launchers.h"

namespace mladec::detail {
namespace {

template <KvDtype kDtype>
__global__ void __launch_bounds__(decode_layout::kThreads, 1)
    decode_kernel(const __grid_constant__ DecodeParams params) {
  extern __shared__ __align__(1024) uint8_t smem[];
  decode_wgmma<kDtype>(params, smem);
}

template <KvDtype kDtype>
void launch(const DecodeParams& params, int workers, cudaStream_t stream) {
  cuda_check(cudaFuncSetAttribute(decode_kernel<kDtype>,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  decode_layout::kSharedBytes),
             "cudaFuncSetAttribute(decode_kernel)");
  decode_kernel<kDtype><<<workers, decode_layout::kThreads, decode_layout::kSharedBytes,
                          stream>>>(params);
  cuda_check(cudaGetLastError(), "decode_kernel launch");
}

}  // namespace

void launch_decode(KvDtype dtype, const DecodeParams& params, int workers,
                   cudaStream_t stream) {
  switch (dtype) {
    case KvDtype::kBf16: return launch<KvDtype::kBf16>(params, workers, stream);
    case KvDtype::kFp8E4m3: return launch<KvDtype::kFp8E4m3>(params, workers, stream);
    case KvDtype::kFp8Blockwise:
      return launch<KvDtype::kFp8Blockwise>(params, workers, stream);
  }
}

}  // namespace mladec::detail
