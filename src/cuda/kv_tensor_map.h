#pragma once
// The TMA path for bf16 and e4m3 caches: a 3-D tensor map over the cache
// ([pages][page tokens][576], a box of 64 values × the tokens of one page a
// 64-token block can hold; bf16 with the 128-byte swizzle of the wgmma
// slabs, e4m3 as bytes with the 64-byte swizzle of the register-A path's
// staged blocks) lets the producer load a full block in 9 copies per page
// of it (9 for pages of ≥ 64 tokens, 36 for pages of 16) instead of 128
// threads' 4,608 (bf16) or 2,304 (e4m3) 16-byte cp.async.
#include <cuda.h>
#include <cudaTypedefs.h>

#include "mladec/decode.h"

namespace mladec::detail {

// The smallest page the path takes: below it a block needs 144..576 copies,
// more than one thread issues in a block's time (page 1 through TMA was
// correct but 2× slower than the cp.async gather: bench/NOTES.md v21).
constexpr int kKvTmaMinPageTokens = 8;

// The driver's tensor-map encoder, looked up once (no link against
// libcuda); null when the driver lacks it (the gather path takes over).
// The benchmark's read ceilings (bench/ceilings.cu) use it too.
PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder();

// Tokens per copy of the TMA path for this cache, with `map` filled; 0 when
// the cache does not allow it: bf16, e4m3 or blockwise (these two used by
// the register-A path only), a page size that is a multiple of 64 or divides 64 (at least
// kKvTmaMinPageTokens), a 16-byte aligned base and
// 16-byte multiples as strides, and the driver's encoder available. 0 leaves
// the gather path in charge (every other cache), and so do the caches
// that gather every block at `tile_rows` (tile_forms.h: gathers_every_block,
// where the rule and its measurements are). MLADEC_KV_TMA=0 in the
// environment turns the path off for every cache (for A/B timing and for
// debugging).
// Blockwise caches (the register-A path at 16 rows) get three maps over the
// same bytes: `map` the latent slabs (64 bytes, 64-byte swizzle, as e4m3),
// `rope_map` the RoPE values (128 bytes, 128-byte swizzle) and `scale_map`
// the scales (16 bytes): the staged layout of src/core/register_a_layout.h.
int make_kv_tensor_map(const DecodeProblem& problem, int tile_rows,
                       const TensorView& kv_cache, CUtensorMap& map, CUtensorMap& rope_map,
                       CUtensorMap& scale_map);

}  // namespace mladec::detail
