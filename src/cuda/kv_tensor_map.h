#pragma once
// The TMA path for bf16 caches whose pages hold whole 64-token blocks: a
// 3-D tensor map over the cache ([pages][page tokens][576], 128-byte
// swizzle, one 64 × 64 slab per copy) lets one producer thread load a full
// block in 9 copies instead of 128 threads' 4,608 16-byte cp.async.
#include <cuda.h>

#include "mladec/decode.h"

namespace mladec::detail {

// Fills `map` and returns true when the cache allows the TMA path: bf16,
// a page size that is a multiple of 64, a 16-byte aligned base and 16-byte
// multiples as strides, and the driver's encoder available. False leaves
// the gather path in charge (every other cache). MLADEC_KV_TMA=0 in the
// environment turns the path off (for A/B timing and for debugging).
bool make_kv_tensor_map(const DecodeProblem& problem, const TensorView& kv_cache,
                        CUtensorMap& map);

}  // namespace mladec::detail
