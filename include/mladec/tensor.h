#pragma once
#include <cstdint>
#include <initializer_list>

#include "mladec/problem.h"

namespace mladec {

enum class ScalarType { kBf16, kFp8E4m3, kUint8, kFloat32, kInt32, kInt64 };

int scalar_size(ScalarType type);
const char* scalar_type_name(ScalarType type);

inline constexpr int kMaxTensorRank = 4;

// A non-owning view of a strided tensor. Strides count elements, not bytes.
struct TensorView {
  void* data = nullptr;
  ScalarType dtype = ScalarType::kBf16;
  int rank = 0;
  int64_t shape[kMaxTensorRank] = {};
  int64_t stride[kMaxTensorRank] = {};

  bool empty() const { return data == nullptr && rank == 0; }
};

// The element type of a KV cache in `dtype` and its elements per token
// (kv_token_bytes / element size): the cache is [num_pages, page_size, that].
ScalarType kv_cache_scalar_type(KvDtype dtype);
int64_t kv_cache_token_elements(KvDtype dtype);

// A view with contiguous (row-major) strides.
TensorView contiguous_view(void* data, ScalarType dtype,
                           std::initializer_list<int64_t> shape);

}  // namespace mladec
