// Host-side checks of the tensors handed to decode(): everything that would
// make a kernel read or write out of bounds is rejected before any launch.
#include <cmath>

#include "mladec/constants.h"
#include "src/core/tensor_layout_checks.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/tensor_checks.h"

namespace mladec {
namespace detail {
namespace {

void check_device_pointer(const void* data, const char* name) {
  require(data != nullptr, ErrorCode::kNullPointer, name, " must not be null");
  cudaPointerAttributes attributes{};
  cudaError_t status = cudaPointerGetAttributes(&attributes, data);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear: this is a user error, not a sticky one
    fail(ErrorCode::kBadTensor, name, " is not a CUDA pointer (",
         cudaGetErrorName(status), ")");
  }
  require(attributes.type == cudaMemoryTypeDevice ||
              attributes.type == cudaMemoryTypeManaged,
          ErrorCode::kBadTensor, name,
          " must point to device memory, got a host pointer");
}

void check_tensor(const TensorView& t, const char* name, ScalarType dtype,
                  std::initializer_list<int64_t> shape) {
  check_tensor_layout(t, name, dtype, shape);
  check_device_pointer(t.data, name);
}

}  // namespace

void check_device_buffer(const void* data, const char* name) {
  check_device_pointer(data, name);
}

void check_lengths_tensors(const DecodeProblem& p, const DecodeArgs& a) {
  check_tensor(a.seqlens, "seqlens", ScalarType::kInt32, {p.batch});
  if (p.ragged_q) {
    check_tensor(a.qo_indptr, "qo_indptr", ScalarType::kInt32, {p.batch + 1});
  } else {
    require(a.qo_indptr.data == nullptr, ErrorCode::kBadTensor,
            "qo_indptr is given but the problem is not ragged_q");
  }
}

}  // namespace detail

void validate_args(const DecodeProblem& p, const DecodeArgs& a) {
  using detail::check_tensor;
  using detail::check_vector_aligned;
  using detail::require;
  validate_problem(p);
  check_tensor(a.q, "q", ScalarType::kBf16, {p.total_q, p.num_heads, kHeadDim});
  check_vector_aligned(a.q, "q");
  check_tensor(a.kv_cache, "kv_cache", kv_cache_scalar_type(p.kv_dtype),
               {p.num_pages, p.page_size, kv_cache_token_elements(p.kv_dtype)});
  if (p.kv_dtype == KvDtype::kFp8E4m3) {
    require(std::isfinite(a.kv_scale) && a.kv_scale > 0.f, ErrorCode::kBadKvScale,
            "kv_scale must be finite and > 0 for fp8_e4m3, got ", a.kv_scale);
  }
  check_vector_aligned(a.kv_cache, "kv_cache");
  check_tensor(a.block_table, "block_table", ScalarType::kInt32,
               {p.batch, p.max_pages_per_request});
  detail::check_lengths_tensors(p, a);
  check_tensor(a.out, "out", ScalarType::kBf16, {p.total_q, p.num_heads, kLatentDim});
  check_vector_aligned(a.out, "out");
  detail::check_no_self_overlap(a.out, "out");
  check_tensor(a.lse, "lse", ScalarType::kFloat32, {p.total_q, p.num_heads});
  detail::check_no_self_overlap(a.lse, "lse");
}

}  // namespace mladec
