// Host-side checks of the tensors handed to decode(): everything that would
// make a kernel read or write out of bounds is rejected before any launch.
#include <algorithm>
#include <cmath>

#include "mladec/constants.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/tensor_checks.h"

namespace mladec {
namespace detail {
namespace {

// 16-byte vector loads and stores need 16-byte aligned rows.
constexpr int64_t kVectorBytes = 16;

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
  // First, so that a tensor left out (an empty view) is named as missing
  // rather than as having the default view's dtype or rank.
  require(t.data != nullptr, ErrorCode::kNullPointer, name,
          " must not be null");
  require(t.dtype == dtype, ErrorCode::kBadTensor, name, " must be ",
          scalar_type_name(dtype), ", got ", scalar_type_name(t.dtype));
  require(t.rank == int(shape.size()), ErrorCode::kBadTensor, name, " must have ",
          shape.size(), " dimensions, got ", t.rank);
  int d = 0;
  for (int64_t extent : shape) {
    require(t.shape[d] == extent, ErrorCode::kBadTensor, name, ".shape[", d,
            "] must be ", extent, ", got ", t.shape[d]);
    ++d;
  }
  require(t.stride[t.rank - 1] == 1, ErrorCode::kBadTensor, name,
          " must be contiguous in its last dimension, stride is ",
          t.stride[t.rank - 1]);
  for (d = 0; d + 1 < t.rank; ++d) {
    require(t.stride[d] >= 0, ErrorCode::kBadTensor, name, ".stride[", d,
            "] must be >= 0, got ", t.stride[d]);
  }
  check_device_pointer(t.data, name);
}

// Rows (all but the last dimension) start on 16-byte boundaries.
void check_vector_aligned(const TensorView& t, const char* name) {
  const int64_t size = scalar_size(t.dtype);
  require(reinterpret_cast<uintptr_t>(t.data) % kVectorBytes == 0,
          ErrorCode::kBadTensor, name, " must be 16-byte aligned");
  for (int d = 0; d + 1 < t.rank; ++d) {
    require(t.stride[d] * size % kVectorBytes == 0, ErrorCode::kBadTensor, name,
            ".stride[", d, "] must be a multiple of ", kVectorBytes / size,
            " elements (16 bytes), got ", t.stride[d]);
  }
}

// Outputs whose elements alias each other (a zero or too small stride) would
// be written by several threads at once, leaving whichever write lands last.
// Sorted by stride, each dimension must step past the whole extent of the
// smaller-strided ones; equal strides put the inner dimension first, so the
// error names the same dimension every time.
void check_no_self_overlap(const TensorView& t, const char* name) {
  for (int d = 0; d < t.rank; ++d) {
    if (t.shape[d] == 0) return;  // no elements, nothing to overlap
  }
  int order[kMaxTensorRank];
  for (int d = 0; d < t.rank; ++d) order[d] = d;
  std::sort(order, order + t.rank, [&](int a, int b) {
    return t.stride[a] != t.stride[b] ? t.stride[a] < t.stride[b] : a > b;
  });
  int64_t extent = 1;  // elements spanned by the dimensions checked so far
  for (int i = 0; i < t.rank; ++i) {
    const int d = order[i];
    if (t.shape[d] <= 1) continue;
    require(t.stride[d] >= extent, ErrorCode::kBadTensor, name, ".stride[", d,
            "] is ", t.stride[d], ": elements would overlap (need >= ", extent,
            ")");
    // Saturates: a stride this large leaves no room for another dimension.
    if (__builtin_mul_overflow(t.stride[d], t.shape[d], &extent)) {
      extent = INT64_MAX;
    }
  }
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
