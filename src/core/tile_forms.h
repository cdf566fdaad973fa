#pragma once
// The query-tile sizes the sm_90a decode kernel runs and the rule that
// picks one: select_config() applies the rule, the kernel's layout and
// launch (src/cuda/decode_layout.cuh, decode.cu) accept exactly these.
#include <cstdint>

#include "mladec/problem.h"
#include "src/core/host_device.h"

namespace mladec::detail {

// The row form: 64 query rows per tile, the wgmma M.
inline constexpr int kRowFormTileRows = 64;
// The transposed form: 16 or 32 query rows per tile, the wgmma N; it uses
// only kTransposedTileRowLimit rows of the Q tile.
inline constexpr int kTransposedSmallTileRows = 16;
inline constexpr int kTransposedTileRowLimit = 32;

MLADEC_HD constexpr bool kernel_runs_tile_rows(int rows) {
  return rows == kTransposedSmallTileRows || rows == kTransposedTileRowLimit ||
         rows == kRowFormTileRows;
}

// Whether caches of `dtype` run the transposed form at 32 rows: where it
// computes from the cache as stored — bf16, and e4m3 through the register-A
// path; the blockwise format measured slower there and keeps 64-row tiles
// (bench/NOTES.md v6, v34), so no blockwise 32-row kernel is built
// (decode_kernels.cu).
MLADEC_HD constexpr bool runs_32_row_tiles(KvDtype dtype) {
  return dtype != KvDtype::kFp8Blockwise;
}

// Tile rows for requests of up to `rows` query rows (max_q_len * h_q) of a
// `dtype` cache: the transposed form for up to 16 rows, and up to 32 where
// runs_32_row_tiles, else the row form.
MLADEC_HD constexpr int tile_rows_for(int64_t rows, KvDtype dtype) {
  return rows <= kTransposedSmallTileRows                              ? kTransposedSmallTileRows
         : rows <= kTransposedTileRowLimit && runs_32_row_tiles(dtype) ? kTransposedTileRowLimit
                                                                       : kRowFormTileRows;
}

// Blockwise caches in tiles of `tile_rows` rows: the 16-row tiles run the
// register-A form, which keeps e4m3 values and applies each group's scale
// in float32 (exact products, BlockwiseProducts::kExact); the others
// dequantize into bf16 tiles (kRoundedToBf16). The kernel instantiations
// (decode_layout.cuh: kRegisterABlockwise) and select_config() both ask here.
MLADEC_HD constexpr bool blockwise_exact_products(int tile_rows) {
  return tile_rows == kTransposedSmallTileRows;
}

// Caches whose every KV block the kernel gathers with cp.async even where
// a KV tensor map could take it (kv_tensor_map.h): bf16 at the transposed
// form's 16- and 32-row tiles, where the gather (eight lanes to a row,
// row_gather.cuh) reads faster than the TMA block path at page 64. 16 rows:
// 7–8% at h_q 16, s_q 1 fixed (4.35 TB/s at 128x8192), 2–7% varlen
// (bench/NOTES.md v101). 32 rows, once both warpgroups split Sᵀ and so
// hold a block for less time: 2–5% fixed (128x8192 h_q 32 305 -> 290 µs),
// −2..+1% varlen (v103); with the whole Sᵀ on each warpgroup it was
// within −4..+3%. At 64 rows the same with one tile a request but 4–10%
// slower with two (v101). make_kv_tensor_map asks here, and so does the
// kernel (decode_kernel.cuh), whose TMA block code is then not compiled.
MLADEC_HD constexpr bool gathers_every_block(KvDtype dtype, int tile_rows) {
  return dtype == KvDtype::kBf16 && tile_rows <= kTransposedTileRowLimit;
}

}  // namespace mladec::detail
