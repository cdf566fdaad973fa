#pragma once
// Shared-memory layout, thread roles and register split of the decode
// kernel (decode_kernel.cuh), and the KV extent of a plan piece — what the
// producer and both forms of the math warpgroups agree on.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/fp8_compute_layout.h"
#include "src/core/register_a_layout.h"
#include "src/core/tile_forms.h"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

namespace decode_layout {
constexpr int kWarpgroupThreads = 128;
constexpr int kThreads = 3 * kWarpgroupThreads;      // producer + two math
constexpr int kMathThreads = 2 * kWarpgroupThreads;
// Query rows per tile (src/core/tile_forms.h): 64 for the row form, 16 / 32
// for the transposed form (decode_math_transposed.cuh); the launch
// dispatches on the plan's tile rows.
constexpr int kTileRows = kRowFormTileRows;
// bf16 values per row of a slab: a latent tile of Oᵀ in the transposed form.
constexpr int kSlabValues = 128 / 2;
constexpr int kBlockTokens = 64;
constexpr int kRowChunks = kHeadDim * 2 / 16;      // 72 chunks of 16 bytes
constexpr int kTileBytes = kRowChunks / 8 * kSlabBytes;
constexpr int kQOffset = 0;
constexpr int kKvOffset = kTileBytes;              // two buffers
// Row form: a block's P goes into its RoPE slab once S has read it.
constexpr int kPSlab = kRowChunks / 8 - 1;
// Row form exchanges, per warpgroup (and piece parity for the totals).
constexpr int kExchangeMaxOffset = 3 * kTileBytes;                            // float [2][64]
constexpr int kExchangeScaleOffset = kExchangeMaxOffset + 2 * kTileRows * 4;  // float [2][64]
constexpr int kRowSumOffset = kExchangeScaleOffset + 2 * kTileRows * 4;   // float [2][2][64]
// Row form in f16 (e4m3 caches: q_tile_f16.cuh): each Q row's inverse
// scale, float [64].
constexpr int kRowQScaleOffset = kRowSumOffset + 2 * 2 * kTileRows * 4;
constexpr int kBarrierOffset = kRowQScaleOffset + kTileRows * 4;
// mbarriers. kFull / kEmpty + buffer: two KV buffers, or the register-A
// path's four stages. kPublished + owner (row form): warpgroup `owner` has
// published a block's P, maxima and rescale factors for the other warpgroup.
// Register-A path: kQConverted, both warpgroups have converted the Q tile;
// kMergeFull / kMergeEmpty + s, warpgroup s has handed a part of its state
// to the other / the other has read it (the merge: each sends half of Oᵀ).
// Hand-overs between the math
// warpgroups use mbarriers, not named barriers: compute-sanitizer racecheck
// reported hazards across named barriers between the warpgroups (v32's
// first run) and models an mbarrier's arrive/wait as release/acquire.
constexpr int kMaxStages = 4;
constexpr int kFull = 0, kEmpty = kFull + kMaxStages, kQFull = kEmpty + kMaxStages,
              kQEmpty = kQFull + 1, kPublished = kQEmpty + 1, kQConverted = kPublished + 2,
              kMergeFull = kQConverted + 1, kMergeEmpty = kMergeFull + 2,
              kBarriers = kMergeEmpty + 2;
// Row form: each KV buffer is refilled in two halves and freed in two parts.
// Full side: half A (kFull + buffer) is the V slabs of the block's owner
// (4 o .. 4 o + 3 for owner o = the block's parity in its piece), which the
// owner's S reads first; half B (kFull + kRowHalfB + buffer) is the other V
// slabs and the RoPE slab (where the owner puts P). Empty side: part w
// (row_part_empty(w, buffer)) is freed by warpgroup w's P·V, which reads
// V slabs 4 w .. 4 w + 3 of every block (and the P slab of the other's
// block, as its last reader). The producer copies a block of owner o as:
// wait for part o, half A; wait for part 1 - o, half B. So a block's first
// slabs are refilled while the other warpgroup still reads the rest
// (FlashMLA's per-slab copies; bench/NOTES.md v96). The empty side is
// indexed by warpgroup, not by role: after a piece of an odd number of
// blocks a buffer's next block has the other owner, and its half A is the
// slabs the previous block's non-owner may still read (v97: wrong results
// under racecheck while it was indexed by role).
constexpr int kRowHalfB = 2, kRowHalfSlabs = 4;
static_assert(kMaxStages >= 2 * kRowHalfB, "the row form's two buffers in halves");
__host__ __device__ constexpr int row_part_empty(int warpgroup, int buffer) {
  return kEmpty + warpgroup * kRowHalfB + buffer;
}
static_assert(kPSlab == 2 * kRowHalfSlabs, "V slabs, then the RoPE slab");
// Slabs must start 1024-byte aligned; the dynamic base is aligned by hand.
constexpr int kSharedBytes = kBarrierOffset + kBarriers * 8 + 1024;
static_assert(kSharedBytes <= 227 * 1024, "shared memory budget of one CTA");
// The math warpgroups' named barrier for the row totals (id 0 is
// __syncthreads). A block's publication uses mbarriers (kPublished), not a
// named barrier's arrive/sync: compute-sanitizer racecheck reported hazards
// on the exchange with arrive/sync (runs of 2026-11-29), and an mbarrier's
// arrive/wait is a release/acquire pair the tools model.
constexpr int kRowSumBarrier = 2;

// The transposed form loads only the first 32 rows of the Q tile; the upper
// halves of Q slabs 0..3 (4 KB each, 1024-byte aligned) hold what it
// exchanges instead of the row form's P slab and exchange arrays.
constexpr int kTransposedRowLimit = kTransposedTileRowLimit;
constexpr int kUpperHalf = kTransposedRowLimit * 128;
__host__ __device__ constexpr int transposed_p_offset(int warpgroup) {  // Pᵀ, 32 rows x 128 B
  return kQOffset + warpgroup * kSlabBytes + kUpperHalf;
}
constexpr int kTransposedMaxOffset = kQOffset + 2 * kSlabBytes + kUpperHalf;  // float [2][4][32]
constexpr int kTransposedSumOffset = kQOffset + 3 * kSlabBytes + kUpperHalf;  // float [2][2][4][32]
// Both tile sizes split Sᵀ's k-steps between the warpgroups and exchange
// the halves. 16 rows (8 floats per thread) through the upper halves of Q
// slabs 4..7: [block parity][warpgroup], 4 KB each. 32 rows (16 floats, 8 KB
// a warpgroup: two per warpgroup would not fit) in one buffer, the same
// slabs, by warpgroup_exchange_offset (below).
__host__ __device__ constexpr int transposed_scores_offset(int parity, int warpgroup) {
  return kQOffset + (4 + 2 * parity + warpgroup) * kSlabBytes + kUpperHalf;
}
// e4m3 caches at 16 and 32 query rows take the register-A path
// (decode_math_register_a.cuh): the producer stages each block's fp8 bytes
// — by TMA for full blocks of caches the map takes, else by cp.async — into
// one of four stages that fill the two KV buffers (slab-major, chunks
// swizzled: src/core/register_a_layout.h), and the math
// warps convert K and Vᵀ into f16 wgmma A operands themselves; Q is
// converted in place to f16, each row scaled by a power of two (its inverse
// at kTransposedQScaleOffset). The warpgroups take alternate blocks and
// merge their states through the upper halves of Q slabs 4..8 (the
// transposed form's Sᵀ exchange, unused here). bench/NOTES.md v31–v36.
template <KvDtype kDtype, int kRows>
inline constexpr bool kRegisterAFp8 = kDtype == KvDtype::kFp8E4m3 && kRows != kTileRows;
// Blockwise caches at 16 rows take it too (bench/NOTES.md v43, v43b:
// 388 -> 265 us at 128x8192 h_q 16): the staged block adds each token's scales
// and keeps the RoPE part in bf16 (register_a_layout.h), 41 KB, so three
// stages; Sᵀ per scale group, the softmax with a base per group
// (blockwise_softmax.cuh), one Pᵀ per group.
template <KvDtype kDtype, int kRows>
inline constexpr bool kRegisterABlockwise =
    kDtype == KvDtype::kFp8Blockwise && blockwise_exact_products(kRows);
template <KvDtype kDtype, int kRows>
inline constexpr bool kRegisterA = kRegisterAFp8<kDtype, kRows> || kRegisterABlockwise<kDtype, kRows>;
template <KvDtype kDtype>
inline constexpr int kRegisterAStages = kDtype == KvDtype::kFp8Blockwise ? 3 : 4;
template <KvDtype kDtype>
inline constexpr int kRegisterAStageBytes = kDtype == KvDtype::kFp8Blockwise
                                                ? kBlockwiseStageBytes
                                                : kRowChunks / 8 * kRegisterAStageSlabBytes;
static_assert(kRegisterAStages<KvDtype::kFp8E4m3> <= kMaxStages,
              "a full and an empty mbarrier per stage");
template <KvDtype kDtype, int kRows>
inline constexpr int kStages = kRegisterA<kDtype, kRows> ? kRegisterAStages<kDtype> : 2;
static_assert(kRegisterAStages<KvDtype::kFp8E4m3> * kRegisterAStageBytes<KvDtype::kFp8E4m3> <=
                      2 * kTileBytes &&
                  kRegisterAStages<KvDtype::kFp8Blockwise> *
                          kRegisterAStageBytes<KvDtype::kFp8Blockwise> <=
                      2 * kTileBytes,
              "the stages fill the two KV buffers");
static_assert(kBlockwiseStageBytes % 1024 == 0, "stages 1024-byte aligned");
static_assert(kRegisterAStageTokens == kBlockTokens, "a staged block is a KV block");
// Register-A path, by Q tile parity: each Q row's inverse f16 scale (float
// [2][32]) and the end of its keys in the piece (int [2][32]).
constexpr int kTransposedQScaleOffset = kTransposedMaxOffset + 2 * 4 * kTransposedRowLimit * 4;
constexpr int kRegisterARowEndOffset = kTransposedQScaleOffset + 2 * kTransposedRowLimit * 4;
// Blockwise (16 rows): each warpgroup's maxima exchange, float [5][16 rows]
// [4 warps] (blockwise_softmax.cuh), after the row-end table; 16-byte
// aligned (a row's four warps are one read).
constexpr int kBlockwiseExchangeOffset = kRegisterARowEndOffset + 2 * kTransposedRowLimit * 4;
constexpr int kBlockwiseExchangeBytes = (1 + kBlockwiseScales) * 4 * 16 * 4;
static_assert(kBlockwiseExchangeOffset % 16 == 0 && kBlockwiseExchangeBytes % 16 == 0,
              "16-byte rows");
static_assert(kBlockwiseExchangeOffset + 2 * kBlockwiseExchangeBytes <=
                  kTransposedMaxOffset + kUpperHalf,
              "within the upper half of Q slab 2");
// Blockwise (16 rows): warpgroup m's four group Pᵀ tiles (16 query rows of
// 128 bytes each, tile g at + g · kSlabBytes) in rows 16..31 of Q slabs
// 4m..4m + 3, which 16-row tiles leave free; 1024-byte aligned, as the
// 128-byte swizzle of their wgmma descriptors needs.
__host__ __device__ constexpr int blockwise_p_tiles_offset(int warpgroup) {
  return kQOffset + 4 * warpgroup * kSlabBytes + kTransposedSmallTileRows * 128;
}
static_assert(blockwise_p_tiles_offset(1) % 1024 == 0, "swizzle-aligned tiles");
// What warpgroup s hands the other, 16 floats per thread (float4 `slot`
// 0..3 of each thread, slot-major: conflict-free), in the upper halves of Q
// slabs 4 + 2s, 5 + 2s: a part of Oᵀ in the register-A merge (with the row
// statistics at kRegisterAMergeStatsOffset, below), or the 32-row
// transposed form's half of a block's Sᵀ.
__host__ __device__ constexpr int warpgroup_exchange_offset(int sender, int slot, int thread) {
  return kQOffset + (4 + 2 * sender + slot / 2) * kSlabBytes + kUpperHalf +
         16 * ((slot % 2) * kWarpgroupThreads + thread);
}
constexpr int kRegisterAMergeStatsOffset = kQOffset + 8 * kSlabBytes + kUpperHalf;
// Per warpgroup and query row: the row maximum and total, and blockwise's
// four group maxima (float [2 warpgroups][kMergeStats][32]).
constexpr int kMergeStats = 2 + kBlockwiseScales;
static_assert(2 * kMergeStats * kTransposedRowLimit * 4 <= kUpperHalf, "in Q slab 8's upper half");

// Per-warpgroup named barriers of the transposed form: ids 4 + m and 6 + m;
// id 8 (both warpgroups) for the exchange of the Sᵀ halves, and id 9 (both)
// before a 32-row half is overwritten (its one buffer).
constexpr int kTransposedMaxBarrier = 4, kTransposedPBarrier = 6, kTransposedScoresBarrier = 8,
              kTransposedScoresFreeBarrier = 9;

// Registers per thread after setmaxnreg: the fp8 producer holds a batch of
// rows in registers while it converts them. The CTA owns what it was
// launched with — the kernel's register count, at most 168 per thread
// (65536 / 384, rounded down to a multiple of 8) — and setmaxnreg.inc waits
// until the pool can give what is asked: a
// split past that budget hangs the math warps at their first instruction
// (96 / 208 did, on the H200).
constexpr int kLaunchRegisters = 65536 / kThreads / 8 * 8;
// The transposed form's math needs far fewer (a 32-row Oᵀ is 64 floats).
template <KvDtype kDtype, int kRows>
struct RegisterSplit {
  static constexpr bool kRowForm = kRows == kTileRows;
  // The register-A e4m3 path's producer only issues copies (72 at 16
  // rows; 40 at 32, as the bf16 row form's), its math converts K and Vᵀ
  // and holds all of Oᵀ (64 floats at 16 rows, 128 at 32) plus two
  // fragment sets and the next k-step's chunks (216; 232 at 32 rows:
  // 216 spilled 276 bytes).
  static constexpr bool kRegisterA32 = kRegisterAFp8<kDtype, kRows> && kRows == 32;
  static constexpr int kProducer = kDtype == KvDtype::kBf16 ? (kRowForm ? 40 : 64)
                                   : kRegisterA32              ? 40
                                   : kRegisterA<kDtype, kRows> ? 72
                                                               : (kRowForm ? 88 : 152);
  static constexpr int kMath = kDtype == KvDtype::kBf16 ? (kRowForm ? 232 : 208)
                               : kRegisterA32              ? 232
                               : kRegisterA<kDtype, kRows> ? 216
                                                           : (kRowForm ? 208 : 160);
  // The kernel's own count (what the CTA is launched with) is the larger
  // setmaxnreg target, capped at kLaunchRegisters (ptxas -v: 160 for the
  // 152 / 160 split, 168 for 40 / 232).
  static constexpr int kKernelRegisters =
      kLaunchRegisters < (kProducer > kMath ? kProducer : kMath)
          ? kLaunchRegisters
          : (kProducer > kMath ? kProducer : kMath);
  static_assert(kWarpgroupThreads * kProducer + kMathThreads * kMath <=
                    kThreads * kKernelRegisters,
                "registers the CTA is launched with");
  // fp8 rows per copy group of the row producer (fp8_kv_tiles.cuh): it
  // stages a whole block in shared memory and holds one group's rows to
  // convert. e4m3 waits on two groups of 8 per warp and block (−0.3..−1%
  // against four of 4 at 64+ rows, bench/NOTES.md v74, v76); blockwise keeps
  // groups of 4.
  static constexpr int kFp8RowsPerBatch = kDtype == KvDtype::kFp8E4m3 ? 8 : 4;
  // The row form's last k-steps of S with Q in registers (decode_math_rows.cuh:
  // issue_block_scores), 4 registers each: two fit beside bf16's 232-register
  // math (four spilled 32 bytes); the fp8 row forms' math spilled 16 bytes
  // with two, and a producer under 40 registers spills, so 232 is the
  // ceiling (bench/NOTES.md v86).
  static constexpr int kRopeSteps = kDtype == KvDtype::kBf16 && kRowForm ? 2 : 0;
};

// The fp8-compute form (e4m3 caches at 64-row tiles when the problem asks
// for it: decode_math_fp8_compute.cuh) has a layout of its own, every
// operand 8-bit in the 64-byte swizzle (src/core/fp8_compute_layout.h): the
// quantized Q tile, three staged blocks (the TMA / cp.async copies of the
// register-A path), two Vᵀ buffers the producer transposes into, two P
// buffers (by block parity: the owner's A fragments for the other
// warpgroup), then the exchanges and barriers.
namespace fp8_compute {
constexpr int kRawStages = 3, kVtBuffers = 2, kPBuffers = 2;
// The producer warpgroup's roles (run_producer_fp8_compute): warp 0 copies,
// warps 1..3 transpose. The math warpgroups quantize Q (quantize_q_tile) and
// meet on named barrier kQReadyBarrier before its first S.
constexpr int kLoaderThreads = 32, kTransposerWarps = 3, kTransposerThreads = 32 * kTransposerWarps;
constexpr int kQReadyBarrier = 3;  // kRowSumBarrier's neighbour, both math warpgroups
constexpr int kQ8Offset = 0;
constexpr int kRawOffset = kQ8Offset + kFp8ComputeSlabs * kFp8ComputeTileBytes;  // Q's 9 slabs
constexpr int kRawBytes = kRegisterAStageBytes<KvDtype::kFp8E4m3>;  // staged as register-A stages
constexpr int kVtOffset = kRawOffset + kRawStages * kRawBytes;
constexpr int kPOffset = kVtOffset + kVtBuffers * kFp8ComputeVtBytes;
// The owner's row maxima and rescale factors, float [warpgroup][64] each,
// and the row sums, float [piece parity][warpgroup][64].
constexpr int kExchangeMaxOffset = kPOffset + kPBuffers * kFp8ComputePBytes;
constexpr int kExchangeScaleOffset = kExchangeMaxOffset + 2 * kTileRows * 4;
constexpr int kRowSumOffset = kExchangeScaleOffset + 2 * kTileRows * 4;
// Each Q row's inverse scale, float [64].
constexpr int kQScaleOffset = kRowSumOffset + 2 * 2 * kTileRows * 4;
constexpr int kBarrierOffset = kQScaleOffset + kTileRows * 4;
// mbarriers: staged block full / empty (its owner's S and the transpose
// release it), Vᵀ full / empty and kPublished + m: warpgroup m has
// published a block's P, maxima and rescale factors.
constexpr int kRawFull = 0, kRawEmpty = kRawFull + kRawStages, kVtFull = kRawEmpty + kRawStages,
              kVtEmpty = kVtFull + kVtBuffers, kPublished = kVtEmpty + kVtBuffers,
              kBarriers = kPublished + 2;
constexpr int kSharedBytes = kBarrierOffset + kBarriers * 8 + 1024;
static_assert(kSharedBytes <= 227 * 1024, "shared memory budget of one CTA");
static_assert(kRawOffset % 1024 == 0 && kRawBytes % 1024 == 0 && kVtOffset % 1024 == 0 &&
                  kPOffset % 1024 == 0,
              "swizzle atoms (and TMA destinations) aligned");
// Registers: the math holds O's half (128 floats), S (32) and the P
// fragments, as the bf16 row form does; the producer's transposers hold
// eight 8-byte words and their transposes.
constexpr int kProducerRegisters = 56, kMathRegisters = 224;
static_assert(kWarpgroupThreads * kProducerRegisters + kMathThreads * kMathRegisters <=
                  kThreads * kLaunchRegisters,
              "registers the CTA is launched with");
}  // namespace fp8_compute
}  // namespace decode_layout

// What a piece loads: KV blocks [first_block, first_block + num_blocks) with
// tokens in [kv_begin, load_end); producer and math warps derive it alike.
struct PieceExtent {
  int first_block;
  int num_blocks;
  int load_end;
};

__device__ __forceinline__ PieceExtent piece_extent(const DecodeParams& p,
                                                    const PlanPiece& piece,
                                                    const PlanUnit& unit) {
  using namespace decode_layout;
  // The last row of the tile sees the most keys; nothing past it is loaded.
  const int last_t = (unit.row_begin + unit.row_count - 1) / p.num_heads;
  const int tile_end = p.causal
      ? min(piece.kv_end, unit.kv_len - unit.q_len + last_t + 1)
      : piece.kv_end;
  PieceExtent e;
  e.load_end = max(tile_end, piece.kv_begin);
  e.first_block = piece.kv_begin / kBlockTokens;
  e.num_blocks = e.load_end > piece.kv_begin
      ? (e.load_end + kBlockTokens - 1) / kBlockTokens - e.first_block : 0;
  return e;
}

// The first token of a piece's block b.
__device__ __forceinline__ int block_begin_token(const PieceExtent& e, int b) {
  return (e.first_block + b) * decode_layout::kBlockTokens;
}

// Whether every token of block b is in the piece (no row to zero: a masked
// row of NaN would still poison P·V): the blocks TMA copies take, and the
// blocks the owner-gathers kernel's math warpgroups copy (row_gather.cuh).
__device__ __forceinline__ bool block_is_whole(const PlanPiece& piece, const PieceExtent& e,
                                               int b) {
  const int begin = block_begin_token(e, b);
  return begin >= piece.kv_begin && begin + decode_layout::kBlockTokens <= e.load_end;
}

// The parity a refill of a buffer waits for on its empty barrier: that of
// the release of the buffer's previous block (`load` counts the CTA's
// blocks, `buffers` deep). The first round passes on the fresh barrier.
__device__ __forceinline__ uint32_t refill_parity(uint32_t load, int buffers) {
  return ((load / buffers) & 1) ^ 1;
}

// Row r of a unit's Q tile: 576 bf16 values, 16-byte aligned (validated).
__device__ __forceinline__ const uint4* q_row_address(const DecodeParams& p, const PlanUnit& unit,
                                                     int r) {
  const int index = unit.row_begin + r;
  return reinterpret_cast<const uint4*>(p.q +
                                        (unit.q_start + index / p.num_heads) * p.q_token_stride +
                                        (index % p.num_heads) * p.q_head_stride);
}

}  // namespace mladec::detail
