#pragma once
#include <cuda_runtime_api.h>

#include "src/cuda/decode_params.h"

namespace mladec::detail {

// One persistent CTA per worker over the plan's pieces, for KV format dtype
// and a plan made with tile_rows (src/core/tile_forms.h: kernel_runs_tile_rows);
// fp8_compute (KernelConfig::fp8_compute): the e4m3 wgmma form.
void launch_decode(KvDtype dtype, int tile_rows, bool fp8_compute, const DecodeParams& params,
                   int workers, cudaStream_t stream);

// Covers the combine list's capacity; entries past the plan's
// num_combine return at once, so the grid never depends on the lengths.
void launch_combine(const DecodeParams& params, const PlanLayout& layout,
                    cudaStream_t stream);

#ifdef MLADEC_BLOCK_TRACE
// The block trace (src/cuda/block_trace.cuh): prints and clears it.
void dump_block_trace(cudaStream_t stream);
#endif

}  // namespace mladec::detail
