#pragma once
// The gather path's row copies (16-byte cp.async through the block table),
// shared by the producer (decode_kernel.cuh) and, in the row form's
// owner-gathers kernel, by the math warpgroups (decode_math_rows.cuh).
#include <cstdint>

#include "src/core/fast_divider.h"
#include "src/core/row_gather_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/block_trace.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

// How a warp copies its 16 rows of a 64-row tile: eight lanes to a row, in
// four row groups (src/core/row_gather_layout.h, checked on the CPU by
// tests/row_gather_layout_test.cpp); lane i < 16 of the warp supplies row
// i's source (nullptr for a zero row), shuffled once per group. Each copy's
// addresses are then the row group's bases plus immediates: no shuffle,
// select or swizzle arithmetic between a group's copies. (A row a step, its
// address shuffled, selected and swizzled per copy, took ~28 instructions
// per 640 bytes and issued ~4.5 bytes a cycle a warp: bench/NOTES.md v99,
// v101.) Slabs [first_slab, first_slab + kSlabCount), then with
// `with_rope` the RoPE slab.
template <int kSlabCount, int kGroupsUnrolled>
__device__ __forceinline__ void copy_warp_rows(uint32_t tile, int warp,
                                               const uint8_t* my_row_source,
                                               const void* fallback, int first_slab,
                                               bool with_rope) {
  using namespace decode_layout;
  // The lane read here, not taken from the caller: its column and row
  // bases are then not hoisted out of the producer's loops, where the
  // fp8 producers (88 registers) have none to keep them in.
  const int my_lane = lane_id();
  const int column = gather_column(my_lane);
  // kGroupsUnrolled row groups at once: the producer's KV copies take all
  // four (its copies then issue back to back, each group's address in its
  // own registers); the math warpgroups' owner gathers (decode_math_rows.cuh,
  // at their 232-register ceiling: 28 bytes spilled unrolled) and every
  // kernel's Q copy (the fp8 producers' 88 registers) one at a time.
#pragma unroll kGroupsUnrolled
  for (int m = 0; m < kGatherRowGroups; ++m) {
    const uint8_t* source = row_address_of_lane(my_row_source, gather_warp_row(my_lane, m));
    const bool valid = source != nullptr;
    // A zero row reads nothing (src-size 0) but still names an address in
    // the fallback's first row: column and slab offsets stay < 1,152 bytes.
    const uint8_t* line =
        (valid ? source : static_cast<const uint8_t*>(fallback)) + column * 16;
    const uint32_t dest = tile + gather_line_offset(warp, my_lane, m);
    // The first slab's addresses once, each slab's an immediate from them.
    const uint32_t first_dest = dest + first_slab * kSlabBytes;
    const uint8_t* first_line = line + 128 * first_slab;
#pragma unroll
    for (int i = 0; i < kSlabCount; ++i) {
      cp_async_16(first_dest + i * kSlabBytes, first_line + 128 * i, valid);
    }
    if (with_rope) cp_async_16(dest + kPSlab * kSlabBytes, line + 128 * kPSlab, valid);
  }
}

// Producer warp `warp` (0..3) copies rows [16 warp, +16) of a 64-row tile,
// every slab; lane i < 16 supplies row 16 warp + i's source, nullptr for a
// zero row.
template <int kGroupsUnrolled = 4>
__device__ __forceinline__ void produce_tile_rows(uint32_t tile, int warp,
                                                  const uint8_t* my_row_source,
                                                  const void* fallback) {
  copy_warp_rows<decode_layout::kRowChunks / 8, kGroupsUnrolled>(tile, warp, my_row_source,
                                                                 fallback, 0, false);
}

// Half of a bf16 row-form block (decode_layout.cuh: kRowHalfB) for the
// rows produce_tile_rows copies: the kRowHalfSlabs V slabs from
// `first_slab` on, and with `with_rope` the RoPE slab.
template <int kGroupsUnrolled = 4>
__device__ __forceinline__ void produce_tile_row_half(uint32_t tile, int warp,
                                                      const uint8_t* my_row_source,
                                                      const void* fallback, int first_slab,
                                                      bool with_rope) {
  copy_warp_rows<decode_layout::kRowHalfSlabs, kGroupsUnrolled>(tile, warp, my_row_source,
                                                                fallback, first_slab, with_rope);
}

// Address of the KV token at `token_in_page` of `page` (a block-table entry).
__device__ __forceinline__ const uint8_t* kv_token_address_in_page(const DecodeParams& p,
                                                                   int64_t page,
                                                                   int token_in_page) {
  return p.kv + page * p.kv_page_stride_bytes +
         int64_t(token_in_page) * p.kv_token_stride_bytes;
}

// The token whose row lane `lane` of gathering warp `warp` (0..3) addresses
// in block b: rows 16 warp .. 16 warp + 15, lanes 16..31 mirroring 0..15.
__device__ __forceinline__ int gather_row_token(const PieceExtent& e, int b, int warp, int lane) {
  return block_begin_token(e, b) + warp * 16 + (lane & 15);
}

// Address of KV token j of a request (row `block_table` of the table).
__device__ __forceinline__ const uint8_t* kv_token_address(const DecodeParams& p,
                                                           const int32_t* block_table,
                                                           int j) {
  const QuotientRemainder page = divide_with_remainder(p.page_divider, j);
  return kv_token_address_in_page(p, block_table[page.quotient], page.remainder);
}

// The row form's owner-gathers kernel (bf16 caches without the TMA block
// path, decode_kernels.cu): half A of a piece's block b — its owner's V
// slabs, read by nobody else — is copied by the owner itself as soon as it
// frees half A of block b - 2 (the same warpgroup and buffer), where b - 2
// is in the same piece and b is whole (no zero rows); the producer skips it
// by the same rule. Written when the gather copied a row a step at ~4.5
// bytes a cycle per warp and the producer's four warps bound page 1
// (bench/NOTES.md v99, v100: page 1 h_q 128 386 -> 333 us); it still pays
// with copy_warp_rows: without it page 1 h_q 128 took 291-294 us against
// 286 (v102).
__device__ __forceinline__ bool owner_gathers(const PlanPiece& piece, const PieceExtent& e,
                                              int b) {
  return b >= 2 && b < e.num_blocks && block_is_whole(piece, e, b);
}

// Half A of block b (owner_gathers) by the owner warpgroup `owner`: its
// warp w copies rows 16 w .. 16 w + 15 as the producer's warps do, then
// each thread arrives on the half's full barrier when its copies land (128
// arrivals, as the producer's).
// `load` is the block's load count (its buffer is load & 1). First the
// owner waits for its own release of the buffer's part (the phase of
// `part_empty` that its 128 threads just completed, the one the producer
// would wait for: refill_parity): the producer waits on every other phase
// of that barrier but skips this one, and a phase nobody waits for is what
// compute-sanitizer's synccheck reports as a missing wait (session 40: 828
// reports at page 1).
// The wait also orders every warp's P·V reads of block b - 2 before any
// warp's copies of block b.
__device__ __forceinline__ void owner_gather_half_a(const DecodeParams& p,
                                                    const int32_t* block_table,
                                                    const PieceExtent& e, int b, int owner,
                                                    uint32_t tile, uint32_t full_a,
                                                    uint32_t part_empty, uint32_t load) {
  using namespace decode_layout;
  mbarrier_wait(part_empty, refill_parity(load, kStages<KvDtype::kBf16, kTileRows>));
  trace(kTraceOwnerWaited, load);
  const int warp = (threadIdx.x / 32) % 4;
  const int lane = threadIdx.x % 32;
  const uint8_t* source = kv_token_address(p, block_table, gather_row_token(e, b, warp, lane));
  produce_tile_row_half<1>(tile, warp, source, p.kv, kRowHalfSlabs * owner, false);
  cp_async_commit();
  cp_async_arrive_when_landed(full_a);
  trace(kTraceOwnerIssued, load);
}

}  // namespace mladec::detail
