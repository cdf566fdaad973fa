#include "mladec/tensor.h"

#include "src/core/require.h"

namespace mladec {

int scalar_size(ScalarType type) {
  switch (type) {
    case ScalarType::kBf16: return 2;
    case ScalarType::kFp8E4m3: return 1;
    case ScalarType::kUint8: return 1;
    case ScalarType::kFloat32: return 4;
    case ScalarType::kInt32: return 4;
    case ScalarType::kInt64: return 8;
  }
  return 0;
}

const char* scalar_type_name(ScalarType type) {
  switch (type) {
    case ScalarType::kBf16: return "bf16";
    case ScalarType::kFp8E4m3: return "fp8_e4m3";
    case ScalarType::kUint8: return "uint8";
    case ScalarType::kFloat32: return "float32";
    case ScalarType::kInt32: return "int32";
    case ScalarType::kInt64: return "int64";
  }
  return "unknown";
}

ScalarType kv_cache_scalar_type(KvDtype dtype) {
  switch (dtype) {
    case KvDtype::kBf16: return ScalarType::kBf16;
    case KvDtype::kFp8E4m3: return ScalarType::kFp8E4m3;
    case KvDtype::kFp8Blockwise: return ScalarType::kUint8;  // mixed bytes
  }
  detail::fail(ErrorCode::kBadKvDtype, "unknown kv_dtype enum value ", int(dtype));
}

int64_t kv_cache_token_elements(KvDtype dtype) {
  return kv_token_bytes(dtype) / scalar_size(kv_cache_scalar_type(dtype));
}

TensorView contiguous_view(void* data, ScalarType dtype,
                           std::initializer_list<int64_t> shape) {
  detail::require(shape.size() <= size_t(kMaxTensorRank), ErrorCode::kBadTensor,
                  "a tensor view has at most ", kMaxTensorRank,
                  " dimensions, got ", shape.size());
  TensorView view;
  view.data = data;
  view.dtype = dtype;
  view.rank = int(shape.size());
  int i = 0;
  for (int64_t extent : shape) view.shape[i++] = extent;
  int64_t stride = 1;
  for (int d = view.rank - 1; d >= 0; --d) {
    view.stride[d] = stride;
    stride *= view.shape[d];
  }
  return view;
}

}  // namespace mladec
