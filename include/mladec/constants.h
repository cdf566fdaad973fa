#pragma once
// Shapes fixed by the MLA architecture (DeepSeek-V2/V3/R1, Kimi-K2) and by the
// kernel's tiling. Every other file takes these from here.

namespace mladec {

inline constexpr int kLatentDim = 512;                   // value / no-RoPE part
inline constexpr int kRopeDim = 64;                      // RoPE part of q and k
inline constexpr int kHeadDim = kLatentDim + kRopeDim;   // 576: q·k dimension

inline constexpr int kMaxHeads = 128;   // query heads per GPU (TP 1 of 128)
inline constexpr int kMaxQLen = 64;     // query tokens per request (MTP / spec)

// Blockwise fp8 cache line: 512 e4m3 latent values, 4 float32 scales (one per
// 128 latent values), then 64 bf16 RoPE values = 656 bytes per token.
inline constexpr int kBlockwiseGroup = 128;
inline constexpr int kBlockwiseScales = kLatentDim / kBlockwiseGroup;
inline constexpr int kBlockwiseTokenBytes =
    kLatentDim * 1 + kBlockwiseScales * 4 + kRopeDim * 2;

// FLOPs per (query row, KV token): q·k over 576 plus p·v over 512, 2 each.
inline constexpr double kFlopsPerRowToken = 2.0 * kHeadDim + 2.0 * kLatentDim;

}  // namespace mladec
