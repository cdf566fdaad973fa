#include "src/core/tensor_layout_checks.h"

#include <cstdint>

#include "src/core/require.h"

namespace mladec::detail {

namespace {

constexpr int64_t kVectorBytes = 16;

}  // namespace

void check_tensor_layout(const TensorView& t, const char* name, ScalarType dtype,
                         std::initializer_list<int64_t> shape) {
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
  // A last dimension of 0 or 1 elements has no stride to speak of (NumPy and
  // PyTorch give such dimensions any stride, e.g. 0 for an empty array).
  require(t.shape[t.rank - 1] <= 1 || t.stride[t.rank - 1] == 1, ErrorCode::kBadTensor,
          name, " must be contiguous in its last dimension, stride is ",
          t.stride[t.rank - 1]);
  for (d = 0; d + 1 < t.rank; ++d) {
    require(t.stride[d] >= 0, ErrorCode::kBadTensor, name, ".stride[", d,
            "] must be >= 0, got ", t.stride[d]);
  }
}

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

// Sorted by stride, each dimension must step past the whole extent of the
// smaller-strided ones; equal strides put the inner dimension first, so the
// error names the same dimension every time.
void check_no_self_overlap(const TensorView& t, const char* name) {
  for (int d = 0; d < t.rank; ++d) {
    if (t.shape[d] == 0) return;  // no elements, nothing to overlap
  }
  const auto before = [&](int a, int b) {
    return t.stride[a] != t.stride[b] ? t.stride[a] < t.stride[b] : a > b;
  };
  // Insertion sort: at most kMaxTensorRank dimensions.
  int order[kMaxTensorRank];
  for (int d = 0; d < t.rank; ++d) {
    int i = d;
    for (; i > 0 && before(d, order[i - 1]); --i) order[i] = order[i - 1];
    order[i] = d;
  }
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

}  // namespace mladec::detail
