// The decode kernel's instantiations, one per KV cache format and tile-rows
// form (src/core/tile_forms.h: kernel_runs_tile_rows).
#include "src/cuda/cuda_check.h"
#include "src/cuda/decode_kernel.cuh"
#include "src/cuda/dependent_launch.h"
#include "src/cuda/launchers.h"

namespace mladec::detail {
namespace {

template <KvDtype kDtype, int kRows>
__global__ void __launch_bounds__(decode_layout::kThreads, 1)
    decode_kernel(const __grid_constant__ DecodeParams params) {
  extern __shared__ __align__(1024) uint8_t smem[];
  decode_wgmma<kDtype, kRows>(params, smem);
}

template <KvDtype kDtype, int kRows>
void launch(const DecodeParams& params, int workers, cudaStream_t stream) {
  cuda_check(cudaFuncSetAttribute(decode_kernel<kDtype, kRows>,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  decode_layout::kSharedBytes),
             "cudaFuncSetAttribute(decode_kernel)");
  launch_dependent(decode_kernel<kDtype, kRows>, dim3(workers), dim3(decode_layout::kThreads),
                   decode_layout::kSharedBytes, stream, "decode_kernel launch", params);
}

template <KvDtype kDtype>
void launch_rows(int tile_rows, const DecodeParams& params, int workers,
                 cudaStream_t stream) {
  switch (tile_rows) {
    case kTransposedSmallTileRows:
      return launch<kDtype, kTransposedSmallTileRows>(params, workers, stream);
    case kTransposedTileRowLimit:
      return launch<kDtype, kTransposedTileRowLimit>(params, workers, stream);
    default: return launch<kDtype, decode_layout::kTileRows>(params, workers, stream);
  }
}

}  // namespace

void launch_decode(KvDtype dtype, int tile_rows, const DecodeParams& params, int workers,
                   cudaStream_t stream) {
  switch (dtype) {
    case KvDtype::kBf16: return launch_rows<KvDtype::kBf16>(tile_rows, params, workers, stream);
    case KvDtype::kFp8E4m3:
      return launch_rows<KvDtype::kFp8E4m3>(tile_rows, params, workers, stream);
    case KvDtype::kFp8Blockwise:
      return launch_rows<KvDtype::kFp8Blockwise>(tile_rows, params, workers, stream);
  }
}

}  // namespace mladec::detail
