// append_kv(): checks the arguments on the host (layout, then that every
// tensor is in device memory) and launches the append kernel.
#include <cstdint>

#include "mladec/append.h"
#include "src/core/append_checks.h"
#include "src/cuda/append_launch.h"
#include "src/cuda/tensor_checks.h"

namespace mladec {

namespace {

constexpr int64_t kVectorBytes = 16;

// Rows of a bf16 view that start on 16-byte boundaries can be read with
// 16-byte loads; others (any stride is allowed) are read value by value.
bool rows_vector_aligned(const TensorView& t) {
  return reinterpret_cast<uintptr_t>(t.data) % kVectorBytes == 0 &&
         t.stride[0] * scalar_size(t.dtype) % kVectorBytes == 0;
}

}  // namespace

void append_kv(KvDtype dtype, const AppendArgs& a, cudaStream_t stream) {
  const detail::AppendExtents extents = detail::check_append_args(dtype, a);
  detail::check_device_buffer(a.latent.data, "latent");
  detail::check_device_buffer(a.rope.data, "rope");
  detail::check_device_buffer(a.slots.data, "slots");
  detail::check_device_buffer(a.kv_cache.data, "kv_cache");
  if (extents.tokens == 0) return;

  const int64_t element_bytes = scalar_size(a.kv_cache.dtype);
  detail::AppendParams params{};
  params.latent = static_cast<const uint16_t*>(a.latent.data);
  params.rope = static_cast<const uint16_t*>(a.rope.data);
  params.latent_stride = a.latent.stride[0];
  params.rope_stride = a.rope.stride[0];
  params.latent_vector_loads = rows_vector_aligned(a.latent);
  params.rope_vector_loads = rows_vector_aligned(a.rope);
  params.slots = static_cast<const int64_t*>(a.slots.data);
  params.cache = static_cast<uint8_t*>(a.kv_cache.data);
  params.page_bytes = a.kv_cache.stride[0] * element_bytes;
  params.row_bytes = a.kv_cache.stride[1] * element_bytes;
  params.tokens = extents.tokens;
  params.page_size = extents.page_size;
  params.num_slots = extents.num_slots;
  params.kv_scale = a.kv_scale;
  detail::launch_append(dtype, params, stream);
}

}  // namespace mladec
