// The decode kernel's instantiations, one per KV cache format and tile-rows
// form (src/core/tile_forms.h: kernel_runs_tile_rows), and the fp8-compute
// form's kernel.
#include <cstdio>

#include "src/core/require.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/decode_kernel.cuh"
#include "src/cuda/dependent_launch.h"
#include "src/cuda/launchers.h"
#include "src/cuda/step_timeline.h"

namespace mladec::detail {
namespace {

template <KvDtype kDtype, int kRows, bool kOwnerGathers>
__global__ void __launch_bounds__(decode_layout::kThreads, 1)
    decode_kernel(const __grid_constant__ DecodeParams params) {
  extern __shared__ __align__(1024) uint8_t smem[];
  decode_wgmma<kDtype, kRows, kOwnerGathers>(params, smem);
}

// The fp8-compute form (e4m3 caches, 64-row tiles): decode_math_fp8_compute.cuh.
__global__ void __launch_bounds__(decode_layout::kThreads, 1)
    decode_fp8_compute_kernel(const __grid_constant__ DecodeParams params) {
  extern __shared__ __align__(1024) uint8_t smem[];
  decode_fp8_compute(params, smem);
}

template <typename Kernel>
void launch_kernel(Kernel kernel, int shared_bytes, const DecodeParams& params, int workers,
                   cudaStream_t stream) {
  cuda_check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  shared_bytes),
             "cudaFuncSetAttribute(decode_kernel)");
  launch_dependent(kernel, dim3(workers), dim3(decode_layout::kThreads), shared_bytes, stream,
                   "decode_kernel launch", params);
}

}  // namespace

#ifdef MLADEC_BLOCK_TRACE
void print_decode_timeline(std::FILE* out) { print_timeline_slots(out, "decode"); }

// Prints the trace of the launches since the last dump and clears it (not
// while a stream is being captured: a graph's replays add to the next dump).
void dump_block_trace(cudaStream_t stream) {
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  cuda_check(cudaStreamIsCapturing(stream, &capture), "cudaStreamIsCapturing");
  if (capture != cudaStreamCaptureStatusNone) return;
  cuda_check(cudaStreamSynchronize(stream), "trace sync");
  static unsigned long long events[kTraceCtas][kTraceRoles][kTraceEvents];
  unsigned int counts[kTraceCtas][kTraceRoles];
  cuda_check(cudaMemcpyFromSymbol(counts, g_block_trace_count, sizeof counts), "trace counts");
  cuda_check(cudaMemcpyFromSymbol(events, g_block_trace, sizeof events), "trace events");
  std::fprintf(stderr, "block-trace begin\n");
  for (int cta = 0; cta < kTraceCtas; ++cta) {
    for (int role = 0; role < kTraceRoles; ++role) {
      const unsigned int n = counts[cta][role] < kTraceEvents ? counts[cta][role] : kTraceEvents;
      for (unsigned int i = 0; i < n; ++i) {
        const unsigned long long e = events[cta][role][i];
        std::fprintf(stderr, "trace %d %d %u %llu %llu\n", cta, role, unsigned((e >> 40) & 0xff),
                     e >> 48, e & ((1ull << 40) - 1));
      }
    }
  }
  std::fprintf(stderr, "block-trace end\n");
  const unsigned int zeros[kTraceCtas][kTraceRoles] = {};
  cuda_check(cudaMemcpyToSymbol(g_block_trace_count, zeros, sizeof zeros), "trace clear");
}
#endif

namespace {

template <KvDtype kDtype, int kRows, bool kOwnerGathers = false>
void launch(const DecodeParams& params, int workers, cudaStream_t stream) {
  launch_kernel(decode_kernel<kDtype, kRows, kOwnerGathers>, decode_layout::kSharedBytes, params,
                workers, stream);
}

template <KvDtype kDtype>
void launch_rows(int tile_rows, const DecodeParams& params, int workers,
                 cudaStream_t stream) {
  switch (tile_rows) {
    case kTransposedSmallTileRows:
      return launch<kDtype, kTransposedSmallTileRows>(params, workers, stream);
    case kTransposedTileRowLimit:
      // decode() runs select_config()'s tile rows only (kernel_form.h).
      if constexpr (runs_32_row_tiles(kDtype)) {
        return launch<kDtype, kTransposedTileRowLimit>(params, workers, stream);
      }
      fail(ErrorCode::kBadConfig, kv_dtype_name(kDtype), " caches have no ",
           kTransposedTileRowLimit, "-row kernel");
    default:
      // bf16 caches without the TMA block path: every block is gathered,
      // half A of most by its owner warpgroup (row_gather.cuh).
      if constexpr (kDtype == KvDtype::kBf16) {
        if (params.kv_tma_tokens == 0) {
          return launch<kDtype, decode_layout::kTileRows, true>(params, workers, stream);
        }
      }
      return launch<kDtype, decode_layout::kTileRows>(params, workers, stream);
  }
}

}  // namespace

void launch_decode(KvDtype dtype, int tile_rows, bool fp8_compute, const DecodeParams& params,
                   int workers, cudaStream_t stream) {
  if (fp8_compute) {
    require(dtype == KvDtype::kFp8E4m3 && tile_rows == decode_layout::kTileRows,
            ErrorCode::kBadConfig, "the fp8-compute form runs fp8_e4m3 caches at ",
            decode_layout::kTileRows, "-row tiles, got ", kv_dtype_name(dtype), " at ", tile_rows);
    return launch_kernel(decode_fp8_compute_kernel, decode_layout::fp8_compute::kSharedBytes,
                         params, workers, stream);
  }
  switch (dtype) {
    case KvDtype::kBf16: return launch_rows<KvDtype::kBf16>(tile_rows, params, workers, stream);
    case KvDtype::kFp8E4m3:
      return launch_rows<KvDtype::kFp8E4m3>(tile_rows, params, workers, stream);
    case KvDtype::kFp8Blockwise:
      return launch_rows<KvDtype::kFp8Blockwise>(tile_rows, params, workers, stream);
  }
}

}  // namespace mladec::detail
