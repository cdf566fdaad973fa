#include "src/core/append_checks.h"

#include <cmath>

#include "mladec/constants.h"
#include "src/core/require.h"
#include "src/core/tensor_layout_checks.h"

namespace mladec::detail {

AppendExtents check_append_args(KvDtype dtype, const AppendArgs& a) {
  const ScalarType cache_type = kv_cache_scalar_type(dtype);  // kBadKvDtype
  // latent sets n; rope and slots must agree with it.
  check_tensor_layout(a.latent, "latent", ScalarType::kBf16,
                      {a.latent.shape[0], kLatentDim});
  const int64_t tokens = a.latent.shape[0];
  require(tokens >= 0, ErrorCode::kBadTensor, "latent.shape[0] must be >= 0, got ",
          tokens);
  check_tensor_layout(a.rope, "rope", ScalarType::kBf16, {tokens, kRopeDim});
  check_tensor_layout(a.slots, "slots", ScalarType::kInt64, {tokens});

  const TensorView& cache = a.kv_cache;
  check_tensor_layout(cache, "kv_cache", cache_type,
                      {cache.shape[0], cache.shape[1], kv_cache_token_elements(dtype)});
  require(cache.shape[0] >= 1, ErrorCode::kBadTensor,
          "kv_cache.shape[0] (num_pages) must be >= 1, got ", cache.shape[0]);
  require(cache.shape[1] >= 1, ErrorCode::kBadTensor,
          "kv_cache.shape[1] (page_size) must be >= 1, got ", cache.shape[1]);
  AppendExtents extents{tokens, cache.shape[1], 0};
  require(!__builtin_mul_overflow(cache.shape[0], cache.shape[1], &extents.num_slots),
          ErrorCode::kBadTensor, "kv_cache has more than 2^63 slots (", cache.shape[0],
          " pages of ", cache.shape[1], ")");
  // The kernel writes whole rows with 16-byte stores, each row by one warp.
  check_vector_aligned(cache, "kv_cache");
  check_no_self_overlap(cache, "kv_cache");

  if (dtype == KvDtype::kFp8E4m3) {
    require(std::isfinite(a.kv_scale) && a.kv_scale > 0.f, ErrorCode::kBadKvScale,
            "kv_scale must be finite and > 0 for fp8_e4m3, got ", a.kv_scale);
  }
  return extents;
}

}  // namespace mladec::detail
