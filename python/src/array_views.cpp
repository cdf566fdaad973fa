#include "python/src/array_views.h"

#include <cstring>

#include "src/core/require.h"

namespace nb = nanobind;

namespace mladec::python {

namespace {

using Code = nb::dlpack::dtype_code;

// "bfloat16", "uint8", "float8 (DLPack code 10)": for messages.
std::string dtype_name(nb::dlpack::dtype dtype) {
  std::string name;
  switch (Code(dtype.code)) {
    case Code::Int: name = "int" + std::to_string(dtype.bits); break;
    case Code::UInt: name = "uint" + std::to_string(dtype.bits); break;
    case Code::Float: name = "float" + std::to_string(dtype.bits); break;
    case Code::Bfloat: name = "bfloat" + std::to_string(dtype.bits); break;
    case Code::Bool: name = "bool"; break;
    default:
      name = "float" + std::to_string(dtype.bits) + " (DLPack code " +
             std::to_string(dtype.code) + ")";
  }
  if (dtype.lanes != 1) name += "x" + std::to_string(dtype.lanes);
  return name;
}

bool accepts(ScalarType type, nb::dlpack::dtype dtype) {
  if (dtype.lanes != 1) return false;
  const Code code = Code(dtype.code);
  const bool integer = code == Code::Int || code == Code::UInt;
  switch (type) {
    case ScalarType::kBf16:
      return dtype.bits == 16 && (code == Code::Bfloat || integer);
    case ScalarType::kFp8E4m3:
    case ScalarType::kUint8:
      return dtype.bits == 8 && code != Code::Bool;
    case ScalarType::kFloat32:
      return dtype.bits == 32 && code == Code::Float;
    case ScalarType::kInt32:
      return dtype.bits == 32 && code == Code::Int;
    case ScalarType::kInt64:
      return dtype.bits == 64 && code == Code::Int;
  }
  return false;
}

const char* expected_name(ScalarType type) {
  switch (type) {
    case ScalarType::kBf16: return "bfloat16 (or uint16/int16 holding bf16 bits)";
    case ScalarType::kFp8E4m3: return "an 8-bit type (float8_e4m3fn or uint8 bytes)";
    case ScalarType::kUint8: return "uint8 (raw cache bytes; any 8-bit type)";
    case ScalarType::kFloat32: return "float32";
    case ScalarType::kInt32: return "int32";
    case ScalarType::kInt64: return "int64";
  }
  return "?";
}

void check_dtype(const Array& array, ScalarType type, const char* name) {
  detail::require(accepts(type, array.dtype()), ErrorCode::kBadTensor, name,
                  " must be ", expected_name(type), ", got ",
                  dtype_name(array.dtype()));
}

}  // namespace

bool is_row_major(const Array& array) {
  int64_t expected = 1;
  for (size_t d = array.ndim(); d-- > 0;) {
    if (array.shape(d) != 1 && array.stride(d) != expected) return false;
    expected *= int64_t(array.shape(d));
  }
  return true;
}

TensorView as_view(const Array& array, ScalarType type, const char* name) {
  check_dtype(array, type, name);
  detail::require(array.ndim() <= size_t(kMaxTensorRank), ErrorCode::kBadTensor,
                  name, " has ", array.ndim(), " dimensions, at most ",
                  kMaxTensorRank, " are supported");
  TensorView view;
  view.data = array.data();
  view.dtype = type;
  view.rank = int(array.ndim());
  for (int d = 0; d < view.rank; ++d) {
    view.shape[d] = int64_t(array.shape(d));
    view.stride[d] = array.stride(d);
  }
  return view;
}

template <typename T>
std::vector<T> host_copy(const Array& array, ScalarType type, const char* name) {
  check_dtype(array, type, name);
  detail::require(array.device_type() == kDlCpu || array.device_type() == kDlCudaHost,
                  ErrorCode::kBadTensor, name,
                  " must be a host (CPU) array, got one on DLPack device type ",
                  array.device_type());
  std::vector<T> values(array.size());
  const auto* base = static_cast<const std::byte*>(array.data());
  if (is_row_major(array)) {
    if (!values.empty()) std::memcpy(values.data(), base, values.size() * sizeof(T));
    return values;
  }
  // Strided: walk the index space in row-major order.
  const size_t rank = array.ndim();
  std::vector<size_t> index(rank, 0);
  for (T& value : values) {
    int64_t offset = 0;
    for (size_t d = 0; d < rank; ++d) offset += int64_t(index[d]) * array.stride(d);
    std::memcpy(&value, base + offset * int64_t(sizeof(T)), sizeof(T));
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < array.shape(d)) break;
      index[d] = 0;
    }
  }
  return values;
}

template std::vector<uint8_t> host_copy(const Array&, ScalarType, const char*);
template std::vector<uint16_t> host_copy(const Array&, ScalarType, const char*);
template std::vector<int32_t> host_copy(const Array&, ScalarType, const char*);

}  // namespace mladec::python
