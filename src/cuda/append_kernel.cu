// The KV append kernel: one warp per token. Each lane owns 16 consecutive
// values, a "piece": lane l the latent values [16l, 16l + 16), lanes 0-3 also
// the RoPE values [16l, 16l + 16). A piece is read with two 16-byte loads
// (value by value from rows that are not 16-byte aligned) and written with
// one 16-byte store (e4m3) or two (bf16), so every access of the warp is
// coalesced, and a blockwise group of 128 latent values is 8
// neighbouring lanes, whose amax takes three shuffles. The encoding is
// src/core/kv_token_codec.h's, which encode_kv_token() uses on the host, so
// the bytes written are the same.
#include <algorithm>
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/kv_token_codec.h"
#include "src/cuda/append_launch.h"
#include "src/cuda/cuda_check.h"

namespace mladec::detail {
namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kPieceValues = 16;
constexpr int kRopePieces = kRopeDim / kPieceValues;
constexpr int kLanesPerGroup = kBlockwiseGroup / kPieceValues;
constexpr unsigned kFullWarp = 0xffffffffu;
// 16384 warps: about twice what an H100/H200 holds at once, so the GPU is
// full; larger batches loop over the grid.
constexpr int64_t kMaxBlocks = 4096;

static_assert(kLatentDim == 32 * kPieceValues, "one latent piece per lane");
static_assert(kBlockwiseScales * kLanesPerGroup == 32, "one scale per 8 lanes");

__device__ __forceinline__ void load_piece(const uint16_t* src, bool vector_loads,
                                           float (&v)[kPieceValues]) {
  if (vector_loads) {
    const uint4* vectors = reinterpret_cast<const uint4*>(src);
    const uint4 low = vectors[0];
    const uint4 high = vectors[1];
    const uint32_t words[8] = {low.x, low.y, low.z, low.w,
                               high.x, high.y, high.z, high.w};
#pragma unroll
    for (int i = 0; i < 8; ++i) {  // little endian: value 2i is the low half
      v[2 * i] = bits_to_float(words[i] << 16);
      v[2 * i + 1] = bits_to_float(words[i] & 0xffff0000u);
    }
  } else {
#pragma unroll
    for (int i = 0; i < kPieceValues; ++i) v[i] = bf16_to_float(src[i]);
  }
}

__device__ __forceinline__ void store_bf16_piece(uint8_t* dst,
                                                 const float (&v)[kPieceValues]) {
  uint32_t w[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    w[i] = uint32_t(float_to_bf16(v[2 * i])) |
           uint32_t(float_to_bf16(v[2 * i + 1])) << 16;
  }
  uint4* out = reinterpret_cast<uint4*>(dst);
  out[0] = make_uint4(w[0], w[1], w[2], w[3]);
  out[1] = make_uint4(w[4], w[5], w[6], w[7]);
}

__device__ __forceinline__ void store_fp8_piece(uint8_t* dst,
                                                const float (&v)[kPieceValues],
                                                float scale) {
  uint32_t w[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    w[i] = uint32_t(encode_fp8(v[4 * i], scale)) |
           uint32_t(encode_fp8(v[4 * i + 1], scale)) << 8 |
           uint32_t(encode_fp8(v[4 * i + 2], scale)) << 16 |
           uint32_t(encode_fp8(v[4 * i + 3], scale)) << 24;
  }
  *reinterpret_cast<uint4*>(dst) = make_uint4(w[0], w[1], w[2], w[3]);
}

// Encodes the lane's latent piece; blockwise also writes the 4 scales.
template <KvDtype kDtype>
__device__ __forceinline__ void write_latent(uint8_t* row, int lane,
                                             const float (&v)[kPieceValues],
                                             float kv_scale) {
  if constexpr (kDtype == KvDtype::kBf16) {
    store_bf16_piece(row + lane * kPieceValues * 2, v);
  } else if constexpr (kDtype == KvDtype::kFp8E4m3) {
    store_fp8_piece(row + lane * kPieceValues, v, kv_scale);
  } else {
    float amax = 0.f;
#pragma unroll
    for (int i = 0; i < kPieceValues; ++i) amax = fold_amax(amax, v[i]);
    // Lanes 8g..8g+7 hold group g: xor over masks < 8 stays inside it, and
    // max is exact, so every order gives the host's amax.
#pragma unroll
    for (int mask = 1; mask < kLanesPerGroup; mask *= 2) {
      amax = fold_amax(amax, __shfl_xor_sync(kFullWarp, amax, mask));
    }
    const float scale = blockwise_scale(amax);
    store_fp8_piece(row + lane * kPieceValues, v, scale);
    const float4 scales = make_float4(__shfl_sync(kFullWarp, scale, 0 * kLanesPerGroup),
                                      __shfl_sync(kFullWarp, scale, 1 * kLanesPerGroup),
                                      __shfl_sync(kFullWarp, scale, 2 * kLanesPerGroup),
                                      __shfl_sync(kFullWarp, scale, 3 * kLanesPerGroup));
    if (lane == 0) *reinterpret_cast<float4*>(row + kBlockwiseScalesOffset) = scales;
  }
}

// Encodes RoPE piece `piece`: e4m3 with kv_scale for fp8_e4m3, bf16 otherwise.
template <KvDtype kDtype>
__device__ __forceinline__ void write_rope(uint8_t* row, int piece,
                                           const float (&v)[kPieceValues],
                                           float kv_scale) {
  if constexpr (kDtype == KvDtype::kFp8E4m3) {
    store_fp8_piece(row + kLatentDim + piece * kPieceValues, v, kv_scale);
  } else {
    constexpr int rope_offset =
        kDtype == KvDtype::kBf16 ? kLatentDim * 2 : kBlockwiseRopeOffset;
    store_bf16_piece(row + rope_offset + piece * kPieceValues * 2, v);
  }
}

template <KvDtype kDtype>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    append_kernel(const __grid_constant__ AppendParams p) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = int64_t(gridDim.x) * kWarpsPerBlock;
  for (int64_t t = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
       t < p.tokens; t += warps) {
    const int64_t slot = p.slots[t];
    // Padding, or a slot past the cache (the host cannot see it to refuse
    // it). The same for the whole warp, so the shuffles see every lane.
    if (slot < 0 || slot >= p.num_slots) continue;
    uint8_t* row = p.cache + slot / p.page_size * p.page_bytes +
                   slot % p.page_size * p.row_bytes;
    float v[kPieceValues];
    load_piece(p.latent + t * p.latent_stride + lane * kPieceValues,
               p.latent_vector_loads, v);
    write_latent<kDtype>(row, lane, v, p.kv_scale);
    if (lane < kRopePieces) {
      load_piece(p.rope + t * p.rope_stride + lane * kPieceValues,
                 p.rope_vector_loads, v);
      write_rope<kDtype>(row, lane, v, p.kv_scale);
    }
  }
}

template <KvDtype kDtype>
void launch(const AppendParams& params, cudaStream_t stream) {
  const int64_t blocks =
      std::min((params.tokens + kWarpsPerBlock - 1) / kWarpsPerBlock, kMaxBlocks);
  append_kernel<kDtype><<<int(blocks), kWarpsPerBlock * 32, 0, stream>>>(params);
}

}  // namespace

void launch_append(KvDtype dtype, const AppendParams& params, cudaStream_t stream) {
  switch (dtype) {
    case KvDtype::kBf16: launch<KvDtype::kBf16>(params, stream); break;
    case KvDtype::kFp8E4m3: launch<KvDtype::kFp8E4m3>(params, stream); break;
    case KvDtype::kFp8Blockwise: launch<KvDtype::kFp8Blockwise>(params, stream); break;
  }
  cuda_check(cudaGetLastError(), "append_kernel launch");
}

}  // namespace mladec::detail
