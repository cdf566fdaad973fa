// append_kv_host(): the KV append on host memory, token by token through
// encode_kv_token(), so it writes the format's bytes by definition; the GPU
// kernel is tested byte for byte against it.
#include <unordered_map>

#include "mladec/append.h"
#include "mladec/constants.h"
#include "mladec/kv_format.h"
#include "src/core/append_checks.h"
#include "src/core/numeric_formats.h"
#include "src/core/require.h"

namespace mladec {

namespace {

// All slots are read before anything is written, so a bad one late in the
// batch still leaves the cache as it was.
void check_host_slots(const int64_t* slots, int64_t tokens, int64_t num_slots) {
  std::unordered_map<int64_t, int64_t> first_use;  // slot -> its token
  for (int64_t t = 0; t < tokens; ++t) {
    const int64_t slot = slots[t];
    if (slot < 0) continue;
    detail::require(slot < num_slots, ErrorCode::kBadSlot, "slots[", t,
                    "] must be < num_pages * page_size = ", num_slots,
                    " (or negative to skip the token), got ", slot);
    const auto [it, first] = first_use.emplace(slot, t);
    detail::require(first, ErrorCode::kBadSlot, "slots[", t, "] = ", slot,
                    " repeats slots[", it->second, "]");
  }
}

// A token's 576 values as float (exact: bf16 is a prefix of float).
void gather_token(const AppendArgs& a, int64_t token, float* values) {
  const auto* latent = static_cast<const uint16_t*>(a.latent.data) + token * a.latent.stride[0];
  const auto* rope = static_cast<const uint16_t*>(a.rope.data) + token * a.rope.stride[0];
  for (int d = 0; d < kLatentDim; ++d) values[d] = detail::bf16_to_float(latent[d]);
  for (int d = 0; d < kRopeDim; ++d) values[kLatentDim + d] = detail::bf16_to_float(rope[d]);
}

}  // namespace

void append_kv_host(KvDtype dtype, const AppendArgs& a) {
  const detail::AppendExtents extents = detail::check_append_args(dtype, a);
  const auto* slots = static_cast<const int64_t*>(a.slots.data);
  check_host_slots(slots, extents.tokens, extents.num_slots);

  const int64_t element_bytes = scalar_size(a.kv_cache.dtype);
  auto* cache = static_cast<uint8_t*>(a.kv_cache.data);
  float values[kHeadDim];
  for (int64_t t = 0; t < extents.tokens; ++t) {
    const int64_t slot = slots[t];
    if (slot < 0) continue;
    const int64_t page = slot / extents.page_size;
    const int64_t offset = slot % extents.page_size;
    uint8_t* row = cache + (page * a.kv_cache.stride[0] + offset * a.kv_cache.stride[1]) *
                               element_bytes;
    gather_token(a, t, values);
    encode_kv_token(dtype, values, a.kv_scale, row);
  }
}

}  // namespace mladec
