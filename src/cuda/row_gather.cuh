#pragma once
// The gather path's row copies (16-byte cp.async through the block table),
// shared by the producer (decode_kernel.cuh) and, in the row form's
// owner-gathers kernel, by the math warpgroups (decode_math_rows.cuh).
#include <cstdint>

#include "src/core/fast_divider.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/block_trace.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

// Producer warp `warp` (0..3) copies rows [16 warp, +16) of a 64-row tile;
// lane i < 16 supplies row 16 warp + i's source, nullptr for a zero row.
// kUnroll rows per loop step: 4 for KV tiles; Q, copied once per piece,
// takes 2, whose fewer live addresses the register-A producer's 40
// registers need at 32 rows (4 spilled its Q count).
template <int kUnroll = 4>
__device__ __forceinline__ void produce_tile_rows(uint32_t tile, int warp, int lane,
                                                  const uint8_t* my_row_source,
                                                  const void* fallback) {
  using namespace decode_layout;
#pragma unroll kUnroll
  for (int i = 0; i < 16; ++i) {
    const uint8_t* source = row_address_of_lane(my_row_source, i);
    const int row = warp * 16 + i;
    const bool valid = source != nullptr;
#pragma unroll
    for (int c = lane; c < kRowChunks; c += 32) {
      cp_async_16(tile + slab_offset(row, c), valid ? source + c * 16 : fallback,
                  valid);
    }
  }
}

// Half of a bf16 row-form block (decode_layout.cuh: kRowHalfB) for the
// rows produce_tile_rows copies: lane l copies chunk first_chunk + l of each
// row (one V half: four slabs of 8 chunks), and with `with_rope` lanes 0..7
// also the RoPE slab's chunks.
__device__ __forceinline__ void produce_tile_row_half(uint32_t tile, int warp, int lane,
                                                      const uint8_t* my_row_source,
                                                      const void* fallback, int first_chunk,
                                                      bool with_rope) {
  using namespace decode_layout;
  static_assert(kRowHalfSlabs * 8 == 32, "a V half is one chunk per lane");
  const int chunk = first_chunk + lane, rope_chunk = kPSlab * 8 + (lane & 7);
#pragma unroll 4
  for (int i = 0; i < 16; ++i) {
    const uint8_t* source = row_address_of_lane(my_row_source, i);
    const int row = warp * 16 + i;
    const bool valid = source != nullptr;
    cp_async_16(tile + slab_offset(row, chunk), valid ? source + chunk * 16 : fallback, valid);
    if (with_rope && lane < 8) {
      cp_async_16(tile + slab_offset(row, rope_chunk),
                  valid ? source + rope_chunk * 16 : fallback, valid);
    }
  }
}

// Address of the KV token at `token_in_page` of `page` (a block-table entry).
__device__ __forceinline__ const uint8_t* kv_token_address_in_page(const DecodeParams& p,
                                                                   int64_t page,
                                                                   int token_in_page) {
  return p.kv + page * p.kv_page_stride_bytes +
         int64_t(token_in_page) * p.kv_token_stride_bytes;
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
// by the same rule. The gather issues ~4.5 bytes a cycle per warp, so the
// producer's four warps bound page 1 (bench/NOTES.md v99); at page 1 the
// owners idle ~5,000 cycles a pair waiting for data or a publication.
__device__ __forceinline__ bool owner_gathers(const PlanPiece& piece, const PieceExtent& e,
                                              int b) {
  using decode_layout::kBlockTokens;
  const int begin = (e.first_block + b) * kBlockTokens;
  return b >= 2 && b < e.num_blocks && begin >= piece.kv_begin &&
         begin + kBlockTokens <= e.load_end;
}

// Half A of block b (owner_gathers) by the owner warpgroup `owner`: its
// warp w copies rows 16 w .. 16 w + 15 as the producer's warps do, then
// each thread arrives on the half's full barrier when its copies land (128
// arrivals, as the producer's).
// `load` is the block's load count (its buffer is load & 1). First the
// owner waits for its own release of the buffer's part (the phase of
// `part_empty` that its 128 threads just completed, the one run_producer's
// empty_parity names for this load): the producer waits on every other
// phase of that barrier but skips this one, and a phase nobody waits for is
// what compute-sanitizer's synccheck reports as a missing wait (session 40:
// 828 reports at page 1).
// The wait also orders every warp's P·V reads of block b - 2 before any
// warp's copies of block b.
__device__ __forceinline__ void owner_gather_half_a(const DecodeParams& p,
                                                    const int32_t* block_table,
                                                    const PieceExtent& e, int b, int owner,
                                                    uint32_t tile, uint32_t full_a,
                                                    uint32_t part_empty, uint32_t load) {
  using namespace decode_layout;
  mbarrier_wait(part_empty, ((load / 2) & 1) ^ 1);
  trace(kTraceOwnerWaited, load);
  const int warp = (threadIdx.x / 32) % 4;
  const int lane = threadIdx.x % 32;
  const int j = (e.first_block + b) * kBlockTokens + warp * 16 + (lane & 15);
  const uint8_t* source = kv_token_address(p, block_table, j);
  produce_tile_row_half(tile, warp, lane, source, p.kv, kRowHalfSlabs * 8 * owner, false);
  cp_async_commit();
  cp_async_arrive_when_landed(full_a);
  trace(kTraceOwnerIssued, load);
}

}  // namespace mladec::detail
