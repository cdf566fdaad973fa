#pragma once
// Persistent split-KV MLA decode (bf16 q; bf16, fp8_e4m3 or fp8_blockwise
// KV), sm_90a.
//
// Three warpgroups per CTA, one CTA per SM, walking the worker's plan pieces:
//   WG0  producer: gathers Q tiles and 64-token KV blocks through the block
//        table (any page size) into 128-byte-swizzled 16-bit slabs — bf16 KV
//        by TMA or 16-byte cp.async (row_gather.cuh; every block at 16-row
//        tiles, kv_tensor_map.h), fp8 KV through registers, dequantized
//        (fp8_kv_tiles.cuh: e4m3 to f16, blockwise to bf16) — and signals
//        mbarriers, two KV buffers deep;
//        for e4m3 at 16 and 32 rows it stages the fp8 bytes as they are, four
//        blocks deep (fp8_kv_tiles.cuh: stage_e4m3_rows).
//   WG1, WG2  math: 64-row tiles on the seesaw schedule, the blocks
//        alternating between the warpgroups (decode_math_rows.cuh); for
//        bf16 caches without the TMA block path (pages of 1..4 tokens and
//        other sizes the KV tensor map refuses) each math warpgroup also
//        gathers half A of its own next block (row_gather.cuh:
//        owner_gathers), since the producer's four warps alone bound page 1
//        when the gather copied a row a step (bench/NOTES.md v99, v100);
//        tiles
//        of at most 32 rows transposed, without padding rows
//        (decode_math_transposed.cuh); e4m3 at 16 and 32 rows transposed
//        with the fp8 converted in registers (decode_math_register_a.cuh).
// The fp8-compute form (DecodeProblem::fp8_compute: e4m3 at 64-row tiles)
// is a kernel of its own with its own layout (decode_fp8_compute below;
// fp8_compute_producer.cuh, decode_math_fp8_compute.cuh): e4m3 wgmmas on
// a quantized Q, the staged block and a transposed V.
// Tokens outside a piece are zero-filled (never read); rows past a tile's
// row count are zero and fully masked.
#include <cstdint>

#include "mladec/constants.h"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_math_fp8_compute.cuh"
#include "src/cuda/decode_math_register_a.cuh"
#include "src/cuda/decode_math_rows.cuh"
#include "src/cuda/decode_math_transposed.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/block_trace.cuh"
#include "src/cuda/fp8_compute_producer.cuh"
#include "src/cuda/fp8_kv_tiles.cuh"
#include "src/cuda/input_checks_device.cuh"
#include "src/cuda/row_gather.cuh"
#include "src/cuda/step_timeline.cuh"

namespace mladec::detail {

// The producer's completion of its previous copy job: its cp.async group is
// done (only the newest group may still be in flight), made visible to
// wgmma, and announced on that job's barrier.
__device__ __forceinline__ void complete_job(uint32_t& pending_barrier, bool last) {
  if (pending_barrier == 0) return;
  if (last) cp_async_wait<0>(); else cp_async_wait<1>();
  fence_proxy_async();
  mbarrier_arrive(pending_barrier);
  pending_barrier = 0;
}

// A full block through the TMA path: one copy per slab and page of the
// block (9 for pages of >= 64 tokens, 9 x 64 / page size below). Each copy
// is issued by the producer thread whose row begins it (`box_token`, the
// row's token in the block, -1 for the others), with that row's page
// entry (`box_page`) and its place in that page (a box of fewer than 64
// tokens is a whole page; a 64-token box is the block, inside one page of a
// multiple of 64 tokens), which the caller found before its wait for the
// buffer. (Thread 0 used to load the entries after the wait, at pages of
// 8..32 tokens one page after another: page 16 at h_q 128 took 372 us that
// way, 300 this way; page 64 gained 2-3%: bench/NOTES.md v54. What is left
// between a buffer's release and its copies is the TMA unit taking nine
// 8 KB boxes one after another, ~130 cycles each: v55.)
// The full barrier's count stays the arriving threads': each arrives
// once, thread 0 announcing the tile's bytes (copies that land before
// that announcement only make the count transiently negative; the phase
// cannot complete before thread 0 has arrived). kDtype: bf16, a tile of
// 128-byte-swizzled slabs; e4m3, a block into the register-A path's
// staged layout (slabs of 64 bytes per token, src/core/register_a_layout.h);
// blockwise, its 8 latent slabs the same way plus its RoPE values
// (kv_rope_map) and scales (kv_scale_map) — 10 copies per page.
// kReadOnce: every KV byte is read by this tile alone — a tile of at most
// 32 rows holds all its request's rows — so the copies ask L2 to evict it
// first (tma_load_3d<true>). The 64-row tiles keep plain copies: a
// request's tiles share its blocks through L2 there, and passing the choice
// at run time cost those kernels 1.5% at h_q 128 (bench/NOTES.md v79).
template <KvDtype kDtype, bool kReadOnce>
__device__ __forceinline__ void produce_tile_tma(const DecodeParams& p, int box_token,
                                                 int box_page, int box_token_in_page,
                                                 uint32_t tile, uint32_t full) {
  using namespace decode_layout;
  constexpr bool kStaged = kDtype != KvDtype::kBf16;
  constexpr bool kBlockwise = kDtype == KvDtype::kFp8Blockwise;
  constexpr int kSlabs = kBlockwise ? kLatentDim / 64 : kRowChunks / 8;
  constexpr int kTileBytesHere = kStaged ? kRegisterAStageBytes<kDtype> : kTileBytes;
  constexpr int kSlabPitch = kStaged ? kRegisterAStageSlabBytes : kSlabBytes;
  constexpr int kTokenPitch = kStaged ? kRegisterAStageTokenBytes : kSlabBytes / kSlabRows;
  if (threadIdx.x == 0) mbarrier_arrive_expect_bytes(full, kTileBytesHere);
  if (box_token >= 0) {
    const uint32_t destination = tile + box_token * kTokenPitch;
#pragma unroll
    for (int slab = 0; slab < kSlabs; ++slab) {
      tma_load_3d<kReadOnce>(destination + slab * kSlabPitch, &p.kv_map, slab * kSlabValues,
                             box_token_in_page, box_page, full);
    }
    if constexpr (kBlockwise) {
      tma_load_3d<kReadOnce>(tile + kBlockwiseStageRope + kBlockwiseRopeBytes * box_token,
                             &p.kv_rope_map, kBlockwiseRopeOffset, box_token_in_page, box_page,
                             full);
      tma_load_3d<kReadOnce>(tile + kBlockwiseStageScales + kBlockwiseScaleBytes * box_token,
                             &p.kv_scale_map, kBlockwiseScalesOffset, box_token_in_page,
                             box_page, full);
    }
  }
  if (threadIdx.x != 0) mbarrier_arrive(full);
}

// Half of a bf16 row-form block through the TMA path (decode_layout.cuh:
// kRowHalfB says which slabs): the four V slabs from `first_slab`, and with
// `with_p_slab` the RoPE slab, announced on `full` as produce_tile_tma
// announces a block.
__device__ __forceinline__ void produce_row_half_tma(const DecodeParams& p, int box_token,
                                                     int box_page, int box_token_in_page,
                                                     uint32_t tile, uint32_t full, int first_slab,
                                                     bool with_p_slab) {
  using namespace decode_layout;
  if (threadIdx.x == 0) {
    mbarrier_arrive_expect_bytes(full, (kRowHalfSlabs + (with_p_slab ? 1 : 0)) * kSlabBytes);
  }
  if (box_token >= 0) {
    const uint32_t destination = tile + box_token * (kSlabBytes / kSlabRows);
#pragma unroll
    for (int i = 0; i < kRowHalfSlabs; ++i) {
      tma_load_3d<false>(destination + (first_slab + i) * kSlabBytes, &p.kv_map,
                         (first_slab + i) * kSlabValues, box_token_in_page, box_page, full);
    }
    if (with_p_slab) {
      tma_load_3d<false>(destination + kPSlab * kSlabBytes, &p.kv_map, kPSlab * kSlabValues,
                         box_token_in_page, box_page, full);
    }
  }
  if (threadIdx.x != 0) mbarrier_arrive(full);
}

// `worker_pieces`: this worker's [begin, end) in the plan. The end is read
// again for every piece (an L1 hit), not held: the fp8 producers, full with
// the rows they load, spilled it.
// kOwnerGathers: the math warpgroups copy half A of the blocks
// owner_gathers names (row_gather.cuh); the producer copies the rest.
template <KvDtype kDtype, int kRows, bool kOwnerGathers = false>
__device__ __forceinline__ void run_producer(const DecodeParams& p, uint32_t smem,
                                             const int* worker_pieces) {
  using namespace decode_layout;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const uint32_t bars = smem + kBarrierOffset;
  // The copy job awaiting completion: the barrier it announces, and for a
  // row-form block copied whole also its half B's.
  uint32_t pending = 0, pending_half_b = 0;
  const auto complete = [&](bool last) {
    if (pending == 0) return;
    const uint32_t half_b = pending_half_b;
    pending_half_b = 0;
    complete_job(pending, last);
    if (half_b != 0) mbarrier_arrive(half_b);
  };
  // A free buffer (or half), announcing the pending job before blocking:
  // the math warps free a buffer only after the next block is announced
  // (they issue its S before they release the last one), or neither side
  // moves.
  const auto wait_empty = [&](uint32_t empty, uint32_t parity) {
    if (!mbarrier_ready(empty, parity)) {
      complete(true);
      mbarrier_wait(empty, parity);
    }
  };
  uint32_t q_loads = 0, kv_loads = 0;
  // The block trace follows the row form only (its math warps log too).
  const auto trace_row_form = [](TraceEvent event, uint32_t load) {
    if constexpr (kRows == kTileRows) trace(event, load);
  };
  // A block's copies are issued (both diagnostics; empty without them).
  const auto copies_issued = [&](uint32_t load) {
    trace_row_form(kTraceCopyIssued, load);
    if (threadIdx.x == 0 && load == 0) timeline(kTimelineFirstCopy);
  };
  trace_row_form(kTraceLaunch, 0);
  for (int i = worker_pieces[0]; i < worker_pieces[1]; ++i) {
    const PlanPiece piece = p.pieces[i];
    const PlanUnit unit = p.units[piece.unit];
    const PieceExtent e = piece_extent(p, piece, unit);
    const bool first_piece = threadIdx.x == 0 && i == worker_pieces[0];
    if (first_piece) {
      timeline(kTimelinePieceRead);
      timeline_after(kTimelinePieceLanded, piece.unit);
      timeline_after(kTimelineUnitLanded, unit.request);
    }
    if (e.num_blocks == 0) continue;

    // bf16: the first block's page entry of this row, read before the wait
    // for Q and its copy, so that its latency runs under them (read after
    // the Q copy, it landed 3.1 us after the unit at 64-row tiles). Page 1
    // at h_q 128 gained 2.5% (392-400 -> 382-384 us); page 64 and 16 did
    // not move, and the e4m3 64-row form lost 0.9%, so the fp8 forms keep
    // the entry in the block loop (bench/NOTES.md v84; the e4m3 32-row
    // producer's 40 registers also spilled it).
    constexpr bool kFirstPageEarly = kDtype == KvDtype::kBf16;
    const int32_t* block_table = p.block_table + unit.request * p.block_table_stride;
    // The token of this lane's row in the piece's block b (lanes 16..31
    // mirror 0..15), and whether the piece loads it.
    const auto row_token = [&](int b) {
      return gather_row_token(e, b, warp, lane);
    };
    const auto piece_loads = [&](int j) { return j >= piece.kv_begin && j < e.load_end; };
    int first_page = 0;
    if constexpr (kFirstPageEarly) {
      const int j = row_token(0);
      if (piece_loads(j)) {
        first_page = block_table[divide_with_remainder(p.page_divider, j).quotient];
      }
    }

    // The math warps free Q only after the previous piece's last block,
    // whose copies must therefore be announced before waiting.
    complete(true);
    mbarrier_wait(bars + 8 * kQEmpty, (q_loads & 1) ^ 1);
    {
      const int r = warp * 16 + (lane & 15);
      const uint8_t* source = nullptr;
      if (r < unit.row_count) source = reinterpret_cast<const uint8_t*>(q_row_address(p, unit, r));
      // The transposed form reads only the first kRows rows; the rest of
      // the Q slabs is its exchange space.
      if (warp * 16 < kRows) produce_tile_rows<1>(smem + kQOffset, warp, source, p.q);
      cp_async_commit();
      pending = bars + 8 * kQFull;
      ++q_loads;
    }

    for (int b = 0; b < e.num_blocks; ++b, ++kv_loads) {
      constexpr int kBuffers = kStages<kDtype, kRows>;
      const int buffer = int(kv_loads % kBuffers);
      const int j = row_token(b);
      if (kDtype != KvDtype::kBf16 && !kRegisterA<kDtype, kRows> && b + 1 < e.num_blocks) {
        // fp8 tiles are converted through registers, few loads in flight:
        // start the next block's DRAM reads now so those loads find it in
        // L2 (without it 128x8192 h_q 64 e4m3 took 517 us, not 453). Not on
        // the register-A path, whose stages are copied as they are, four
        // ahead: there the prefetch only doubled the L2 traffic (L2 89%
        // busy, DRAM 55%; 236 us with it, 201 without: bench/NOTES.md v36).
        // The copy takes uniform operands, so per-lane copies are issued one
        // lane after another: where the warp's 16 tokens lie back to back in
        // one page, lane 0 starts all of them at once.
        const int next = j + kBlockTokens;
        const bool contiguous = p.page_size % 16 == 0 &&
                                p.kv_token_stride_bytes == kv_token_bytes(kDtype);
        if (contiguous ? lane == 0 : lane < 16) {
          if (next < e.load_end) {
            prefetch_l2(kv_token_address(p, block_table, next),
                        (contiguous ? 16 : 1) * kv_token_bytes(kDtype));
          }
        }
      }
      const int block_begin = block_begin_token(e, b);
      // A whole block of a cache the TMA path takes: bf16 tiles, or e4m3 /
      // blockwise staged for the register-A path.
      constexpr bool kTmaForm = kDtype == KvDtype::kBf16 || kRegisterA<kDtype, kRows>;
      const bool tma_block = kTmaForm && !kOwnerGathers && !gathers_every_block(kDtype, kRows) &&
                             p.kv_tma_tokens != 0 && block_is_whole(piece, e, b);
      // The row's page entry (and for the row copies its address) before
      // the wait for the buffer, so its latency is spent waiting anyway:
      // with small pages every row has its own entry (page size 1 was 16%
      // slower than 64). A TMA block's copies are issued by the rows that
      // begin them, with those rows' entries (produce_tile_tma).
      int row_page = 0, row_in_page = 0;
      const uint8_t* source = nullptr;
      if (piece_loads(j)) {
        const QuotientRemainder page = divide_with_remainder(p.page_divider, j);
        row_in_page = page.remainder;
        row_page = kFirstPageEarly && b == 0 ? first_page : block_table[page.quotient];
        if (!tma_block) source = kv_token_address_in_page(p, row_page, row_in_page);
        if (first_piece && b == 0) timeline_after(kTimelinePageLanded, row_page);
      }
      // The row form's half A first: its owner's V slabs, freed by the
      // owner's P·V of the buffer's last block (decode_layout.cuh, kRowHalfB).
      const int owner = b & 1;
      const auto row_part_empty_bar = [&](int warpgroup) {
        return bars + 8 * row_part_empty(warpgroup, buffer);
      };
      const uint32_t empty_parity = refill_parity(kv_loads, kBuffers);
      // Half A of this block is its owner's to copy (and to wait for).
      const bool owner_copies_half_a = kOwnerGathers && owner_gathers(piece, e, b);
      if (!owner_copies_half_a) {
        wait_empty(kRows == kTileRows ? row_part_empty_bar(owner) : bars + 8 * (kEmpty + buffer),
                   empty_parity);
      }
      trace_row_form(kTraceEmptyWaited, kv_loads);
      const uint32_t tile =
          smem + kKvOffset +
          buffer * (kRegisterA<kDtype, kRows> ? kRegisterAStageBytes<kDtype> : kTileBytes);
      if (tma_block) {
        complete(true);
        // (Boxes are of 8, 16, 32 or 64 tokens: kv_tensor_map.h.)
        const int row_token = j - block_begin;
        const bool begins_box = lane < 16 && (row_token & (p.kv_tma_tokens - 1)) == 0;
        if constexpr (kRows == kTileRows) {
          // In halves, each as soon as its readers free it: half A (the
          // owner's V slabs) first, which the owner's S reads first, then
          // half B.
          const int box_token = begins_box ? row_token : -1;
          produce_row_half_tma(p, box_token, row_page, row_in_page, tile,
                               bars + 8 * (kFull + buffer), kRowHalfSlabs * owner, false);
          copies_issued(kv_loads);
          wait_empty(row_part_empty_bar(1 - owner), empty_parity);
          trace_row_form(kTraceHalfBWaited, kv_loads);
          produce_row_half_tma(p, box_token, row_page, row_in_page, tile,
                               bars + 8 * (kFull + kRowHalfB + buffer),
                               kRowHalfSlabs * (1 - owner), true);
          trace_row_form(kTraceHalfBIssued, kv_loads);
        } else {
          produce_tile_tma<kDtype, (kRows < kTileRows)>(p, begins_box ? row_token : -1,
                                                        row_page, row_in_page, tile,
                                                        bars + 8 * (kFull + buffer));
          copies_issued(kv_loads);
        }
        continue;
      }
      if constexpr (kDtype == KvDtype::kBf16) {
        // The gather path (small pages, a piece's partial blocks): each
        // block announced by its own copies as they land
        // (cp_async_arrive_when_landed), so the producer never waits for
        // them; the 64-row form's in halves, as its TMA blocks — half A,
        // then half B once its readers free it: a block and a half in
        // flight. Announced after cp.async.wait_group instead, each half
        // waited for the one before it: page 1 h_q 128 402 -> 422 us; this
        // way 406 -> 387, h_q 16 (whole blocks) 173 -> 167 (bench/NOTES.md
        // v98).
        if (!owner_copies_half_a) {
          if constexpr (kRows == kTileRows) {
            produce_tile_row_half(tile, warp, source, p.kv, kRowHalfSlabs * owner,
                                  false);
          } else {
            produce_tile_rows(tile, warp, source, p.kv);
          }
          cp_async_commit();
          copies_issued(kv_loads);
          complete(false);  // a pending Q (owner_gathers names no piece's first block)
          cp_async_arrive_when_landed(bars + 8 * (kFull + buffer));
        }
        if constexpr (kRows == kTileRows) {
          wait_empty(row_part_empty_bar(1 - owner), empty_parity);
          trace_row_form(kTraceHalfBWaited, kv_loads);
          produce_tile_row_half(tile, warp, source, p.kv,
                                kRowHalfSlabs * (1 - owner), true);
          cp_async_commit();
          cp_async_arrive_when_landed(bars + 8 * (kFull + kRowHalfB + buffer));
          trace_row_form(kTraceHalfBIssued, kv_loads);
        }
        continue;
      }
      if constexpr (kRows == kTileRows) {
        // The fp8 row forms' blocks are converted whole: both parts free.
        wait_empty(row_part_empty_bar(1 - owner), empty_parity);
      }
      // The barriers a block copied whole announces: the row form's two halves.
      const auto set_pending_block = [&] {
        pending = bars + 8 * (kFull + buffer);
        if constexpr (kRows == kTileRows) pending_half_b = bars + 8 * (kFull + kRowHalfB + buffer);
      };
      if constexpr (kRegisterA<kDtype, kRows>) {
        // The fp8 bytes as they are: the math warps convert them.
        if constexpr (kRegisterABlockwise<kDtype, kRows>) {
          stage_blockwise_rows(tile, warp, lane, source, p.kv);
        } else {
          stage_e4m3_rows(tile, warp, lane, source, p.kv);
        }
        cp_async_commit();
        complete(false);
        set_pending_block();
      } else {
        // The converted rows are already stored: announce this block (and a
        // pending Q) as soon as the RoPE copies of blockwise land.
        produce_fp8_tile_rows<kDtype == KvDtype::kFp8Blockwise,
                              RegisterSplit<kDtype, kRows>::kFp8RowsPerBatch>(
            tile, warp, lane, source, p.kv);
        cp_async_commit();
        complete(true);
        set_pending_block();
        complete(true);
      }
    }
  }
  complete(true);
  if (threadIdx.x == 0) timeline(kTimelineProducerDone);
}

// The fp8-compute form's producer warpgroup (fp8_compute_producer.cuh), two
// roles that run apart so that the copies run ahead of the transposes:
// warp 0 stages each block (TMA for full blocks of caches the map takes,
// else cp.async for the block's 64 tokens) as soon as a stage is free;
// warps 1..3 transpose each staged block's latent part into a Vᵀ buffer
// once it has landed. (One loop doing both, a
// block apart, kept one copy in flight.) A staged block is free once its
// owner's S has read K and its transpose is done (kRawEmpty counts both).
__device__ __forceinline__ void run_producer_fp8_compute(const DecodeParams& p, uint32_t smem,
                                                         const int* worker_pieces) {
  using namespace decode_layout::fp8_compute;
  using decode_layout::kBlockTokens;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const uint32_t bars = smem + kBarrierOffset;
  uint32_t kv_loads = 0;
  if (warp > 0) {
    for (int i = worker_pieces[0]; i < worker_pieces[1]; ++i) {
      const PlanPiece piece = p.pieces[i];
      const PieceExtent e = piece_extent(p, piece, p.units[piece.unit]);
      for (int b = 0; b < e.num_blocks; ++b, ++kv_loads) {
        const int stage = int(kv_loads % kRawStages), buffer = int(kv_loads % kVtBuffers);
        mbarrier_wait(bars + 8 * (kRawFull + stage), (kv_loads / kRawStages) & 1);
        mbarrier_wait(bars + 8 * (kVtEmpty + buffer), ((kv_loads / kVtBuffers) & 1) ^ 1);
        transpose_v(smem + kRawOffset + stage * kRawBytes,
                    smem + kVtOffset + buffer * kFp8ComputeVtBytes, warp - 1, lane);
        fence_proxy_async();
        mbarrier_arrive(bars + 8 * (kVtFull + buffer));
        mbarrier_arrive(bars + 8 * (kRawEmpty + stage));
      }
    }
    return;
  }
  uint32_t pending = 0;
  trace(kTraceLaunch, 0);
  for (int i = worker_pieces[0]; i < worker_pieces[1]; ++i) {
    const PlanPiece piece = p.pieces[i];
    const PlanUnit unit = p.units[piece.unit];
    const PieceExtent e = piece_extent(p, piece, unit);
    const int32_t* block_table = p.block_table + unit.request * p.block_table_stride;
    // The loader reaches a piece a few blocks before the math warpgroups
    // quantize its Q (the stages it waits for are the last piece's).
    if (e.num_blocks > 0) prefetch_q_rows(p, unit, lane);
    for (int b = 0; b < e.num_blocks; ++b, ++kv_loads) {
      const int stage = int(kv_loads % kRawStages);
      const int block_begin = block_begin_token(e, b);
      const uint32_t empty = bars + 8 * (kRawEmpty + stage);
      const uint32_t empty_parity = refill_parity(kv_loads, kRawStages);
      if (!mbarrier_ready(empty, empty_parity)) {
        // Announce the copies in flight before blocking, or the
        // transposes that would free this stage never start.
        complete_job(pending, true);
        mbarrier_wait(empty, empty_parity);
      }
      trace(kTraceEmptyWaited, kv_loads);
      const uint32_t tile = smem + kRawOffset + stage * kRawBytes;
      if (p.kv_tma_tokens != 0 && block_is_whole(piece, e, b)) {
        complete_job(pending, true);
        // Lane i issues the copies of tokens [i box, +box), with its own
        // page entry, loaded here, all lanes at once. (Loaded before the
        // wait, as run_producer loads its rows' entries, they made this
        // form 1% slower: bench/NOTES.md v54.)
        const int box_token = lane * p.kv_tma_tokens < kBlockTokens ? lane * p.kv_tma_tokens : -1;
        const int box_first = block_begin + max(box_token, 0);  // (unused below 0)
        const QuotientRemainder box_page = divide_with_remainder(p.page_divider, box_first);
        produce_tile_tma<KvDtype::kFp8E4m3, false>(
            p, box_token, box_token >= 0 ? block_table[box_page.quotient] : 0,
            box_page.remainder, tile, bars + 8 * (kRawFull + stage));
        trace(kTraceCopyIssued, kv_loads);
      } else {
        // The block's 64 tokens as four warps' 16 rows each.
#pragma unroll 1
        for (int rows = 0; rows < 4; ++rows) {
          const int j = block_begin + rows * 16 + (lane & 15);
          const uint8_t* source = nullptr;
          if (j >= piece.kv_begin && j < e.load_end) source = kv_token_address(p, block_table, j);
          stage_e4m3_rows(tile, rows, lane, source, p.kv);
        }
        cp_async_commit();
        complete_job(pending, false);
        pending = bars + 8 * (kRawFull + stage);
      }
    }
  }
  complete_job(pending, true);
  if (threadIdx.x == 0) timeline(kTimelineProducerDone);
}

// Every decode CTA's start, both kernels: the planner's plan (dependent
// launch) before anything is read, then the combine kernel may launch.
__device__ __forceinline__ void wait_for_plan() {
  if (threadIdx.x == 0) {
    timeline(kTimelineStart);
    timeline_sm();
  }
  grid_dependency_wait();
  if (threadIdx.x == 0) timeline(kTimelineWaited);
  allow_dependent_launch();
}

// The step timeline's end of each math warpgroup (their first threads).
__device__ __forceinline__ void stamp_math_done() {
  using decode_layout::kWarpgroupThreads;
  if (threadIdx.x == kWarpgroupThreads) timeline(kTimelineMath0Done);
  if (threadIdx.x == 2 * kWarpgroupThreads) timeline(kTimelineMath1Done);
}

// Row-form math warpgroup m (its warpgroups run different steps).
template <KvDtype kDtype, int m, bool kOwnerGathers = false>
__device__ __forceinline__ void run_math_rows_form(const DecodeParams& p, uint8_t* smem_bytes,
                                                   uint32_t smem, int begin, int end) {
  using namespace decode_layout;
  // The pair step is bf16's: the fp8 producers are the bound of their row
  // forms, which free b0's buffer earliest in the older order.
  constexpr bool kPairStep = kDtype == KvDtype::kBf16;
  constexpr bool kEarlyRelease = kDtype != KvDtype::kFp8Blockwise;  // run_math_rows
  // e4m3 tiles in f16 (fp8_kv_tiles.cuh: store_e4m3x16); blockwise's scaled
  // values need bf16's range.
  constexpr bool kF16 = kDtype == KvDtype::kFp8E4m3;
  constexpr int kRopeSteps = RegisterSplit<kDtype, kTileRows>::kRopeSteps;
  if (kPairStep && p.kv_tma_tokens != 0 && p.kv_tma_tokens < kBlockTokens) {
    // Pages of 8..32 tokens: a block lands in per-page copies, later than
    // a page-64 block, and the pair step (C7) waits on it: page 16 at
    // h_q 128 took 429 us with it, 401 without (bench/NOTES.md v24; v52's
    // step 403 against 368).
    run_math_rows<m, false, kEarlyRelease, kF16, kRopeSteps, kOwnerGathers>(p, smem_bytes, smem,
                                                                            begin, end);
  } else {
    run_math_rows<m, kPairStep, kEarlyRelease, kF16, kRopeSteps, kOwnerGathers>(p, smem_bytes,
                                                                                smem, begin, end);
  }
}

// The fp8-compute form's CTA (decode_math_fp8_compute.cuh): its own layout
// and barriers (decode_layout::fp8_compute), the same start as decode_wgmma.
__device__ __forceinline__ void decode_fp8_compute(const DecodeParams& p, uint8_t* dynamic_smem) {
  using namespace decode_layout;
  namespace form = decode_layout::fp8_compute;
  wait_for_plan();
  // Checked mode: the CTAs check the inputs and meet; a failure anywhere
  // stops every CTA before it touches memory (uniform).
  if (p.check_status != nullptr && checked_mode_stops_cta(p)) return;
  uint8_t* smem_bytes = reinterpret_cast<uint8_t*>(
      (reinterpret_cast<uintptr_t>(dynamic_smem) + 1023) & ~uintptr_t(1023));
  const uint32_t smem = shared_address(smem_bytes);
  if (threadIdx.x == 0) {
    const uint32_t bars = smem + form::kBarrierOffset;
    for (int stage = 0; stage < form::kRawStages; ++stage) {
      mbarrier_init(bars + 8 * (form::kRawFull + stage), form::kLoaderThreads);
      mbarrier_init(bars + 8 * (form::kRawEmpty + stage),
                    form::kTransposerThreads + kWarpgroupThreads);  // + the block's owner
    }
    for (int buffer = 0; buffer < form::kVtBuffers; ++buffer) {
      mbarrier_init(bars + 8 * (form::kVtFull + buffer), form::kTransposerThreads);
      mbarrier_init(bars + 8 * (form::kVtEmpty + buffer), kMathThreads);
    }
    mbarrier_init(bars + 8 * (form::kPublished + 0), kWarpgroupThreads);
    mbarrier_init(bars + 8 * (form::kPublished + 1), kWarpgroupThreads);
    fence_barrier_init();
  }
  trace_init();
  __syncthreads();
  const int* worker_pieces = p.worker_piece_begin + blockIdx.x;
  if (threadIdx.x < kWarpgroupThreads) {
    setmaxnreg_decrease<form::kProducerRegisters>();
    run_producer_fp8_compute(p, smem, worker_pieces);
  } else if (threadIdx.x < kWarpgroupThreads + kMathThreads / 2) {
    setmaxnreg_increase<form::kMathRegisters>();
    run_math_fp8_compute<0>(p, smem, worker_pieces[0], worker_pieces[1]);
  } else {
    setmaxnreg_increase<form::kMathRegisters>();
    run_math_fp8_compute<1>(p, smem, worker_pieces[0], worker_pieces[1]);
  }
  stamp_math_done();
}

// kRows: the tile rows the plan was made with (kernel_runs_tile_rows).
// kOwnerGathers: the bf16 row form whose math warpgroups copy half A of
// their own blocks (row_gather.cuh), for caches without the TMA block path.
template <KvDtype kDtype, int kRows, bool kOwnerGathers = false>
__device__ __forceinline__ void decode_wgmma(const DecodeParams& p, uint8_t* dynamic_smem) {
  static_assert(!kOwnerGathers || (kDtype == KvDtype::kBf16 && kRows == decode_layout::kTileRows),
                "owner gathers: the bf16 row form");
  using namespace decode_layout;
  // Launched dependent on the planner (decode_kernels.cu): everything below
  // may read what it wrote. The combine kernel may then start on SMs this
  // grid leaves free and wait there.
  wait_for_plan();
  // Checked mode: the CTAs check the inputs and meet; a failure anywhere
  // stops every CTA before it touches memory (uniform).
  if (p.check_status != nullptr && checked_mode_stops_cta(p)) return;
  uint8_t* smem_bytes = reinterpret_cast<uint8_t*>(
      (reinterpret_cast<uintptr_t>(dynamic_smem) + 1023) & ~uintptr_t(1023));
  const uint32_t smem = shared_address(smem_bytes);
  if (threadIdx.x == 0) {
    const uint32_t bars = smem + kBarrierOffset;
    // A buffer is full when the producer's threads have arrived and empty
    // when its consumers have: both math warpgroups, or on the register-A
    // path the one that took the block.
    // The row form's buffers are filled in halves and freed in parts, each
    // part by one warpgroup (kRowHalfB).
    constexpr bool kHalves = kRows == kTileRows;
    static_assert(!kHalves || (!kRegisterA<kDtype, kRows> && kStages<kDtype, kRows> == kRowHalfB),
                  "the row form: two shared-memory buffers, each in halves");
    for (int buffer = 0; buffer < (kHalves ? 2 : 1) * kStages<kDtype, kRows>; ++buffer) {
      mbarrier_init(bars + 8 * (kFull + buffer), kWarpgroupThreads);
      mbarrier_init(bars + 8 * (kEmpty + buffer),
                    kRegisterA<kDtype, kRows> || kHalves ? kWarpgroupThreads : kMathThreads);
    }
    mbarrier_init(bars + 8 * kQFull, kWarpgroupThreads);
    mbarrier_init(bars + 8 * kQEmpty, kMathThreads);
    mbarrier_init(bars + 8 * (kPublished + 0), kWarpgroupThreads);
    mbarrier_init(bars + 8 * (kPublished + 1), kWarpgroupThreads);
    mbarrier_init(bars + 8 * kQConverted, kMathThreads);
    if constexpr (kRegisterA<kDtype, kRows>) {
      for (int sender = 0; sender < 2; ++sender) {
        mbarrier_init(bars + 8 * (kMergeFull + sender), kWarpgroupThreads);   // the sender
        mbarrier_init(bars + 8 * (kMergeEmpty + sender), kWarpgroupThreads);  // the other
      }
    }
    fence_barrier_init();
  }
  trace_init();
  __syncthreads();
  // The worker's pieces are read after setmaxnreg: values live across it
  // were spilled to local memory by ptxas in some instantiations.
  const int* worker_pieces = p.worker_piece_begin + blockIdx.x;
  using Registers = RegisterSplit<kDtype, kRows>;
  if (threadIdx.x < kWarpgroupThreads) {
    setmaxnreg_decrease<Registers::kProducer>();
    run_producer<kDtype, kRows, kOwnerGathers>(p, smem, worker_pieces);
  } else if constexpr (kRows == kTileRows) {
    if (threadIdx.x < kWarpgroupThreads + kMathThreads / 2) {
      setmaxnreg_increase<Registers::kMath>();
      run_math_rows_form<kDtype, 0, kOwnerGathers>(p, smem_bytes, smem, worker_pieces[0],
                                                   worker_pieces[1]);
    } else {
      setmaxnreg_increase<Registers::kMath>();
      run_math_rows_form<kDtype, 1, kOwnerGathers>(p, smem_bytes, smem, worker_pieces[0],
                                                   worker_pieces[1]);
    }
  } else if constexpr (kRegisterA<kDtype, kRows>) {
    setmaxnreg_increase<Registers::kMath>();
    run_math_register_a<kDtype, kRows>(p, smem_bytes, smem, worker_pieces[0], worker_pieces[1],
                                       threadIdx.x / kWarpgroupThreads - 1);
  } else {
    // One copy of the transposed form's code for both warpgroups
    // (decode_math_transposed.cuh): m at run time.
    setmaxnreg_increase<Registers::kMath>();
    run_math_transposed<kRows>(p, smem_bytes, smem, worker_pieces[0], worker_pieces[1],
                               threadIdx.x / kWarpgroupThreads - 1);
  }
  stamp_math_done();
}

}  // namespace mladec::detail
