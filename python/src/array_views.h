#pragma once
// DLPack arrays (nanobind ndarrays) as the library's tensor views and host
// vectors. Element types are checked here; shapes, strides and where the
// memory lives are the library's checks (validate_args and friends).
#include <nanobind/ndarray.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mladec/problem.h"
#include "mladec/tensor.h"

namespace mladec::python {

using Array = nanobind::ndarray<>;

// DLPack device types (dlpack.h's DLDeviceType).
inline constexpr int kDlCpu = 1;
inline constexpr int kDlCuda = 2;
inline constexpr int kDlCudaHost = 3;
inline constexpr int kDlCudaManaged = 13;

// `array` seen as a tensor of `type`. bf16 accepts bfloat16 and 16-bit
// integers (bf16 bits: NumPy and CuPy have no bfloat16); fp8_e4m3 and uint8
// accept any 8-bit type (raw cache bytes); float32 and int32 need exactly
// that type. Throws mladec::Error(kBadTensor) naming `name`.
TensorView as_view(const Array& array, ScalarType type, const char* name);


// Contiguous in row-major order (dimensions of extent 1 may have any stride).
bool is_row_major(const Array& array);

// The elements of a host (CPU) array in row-major order, checked as by
// as_view(); `type` must be sizeof(T) bytes.
template <typename T>
std::vector<T> host_copy(const Array& array, ScalarType type, const char* name);

extern template std::vector<uint8_t> host_copy(const Array&, ScalarType, const char*);
extern template std::vector<uint16_t> host_copy(const Array&, ScalarType, const char*);
extern template std::vector<int32_t> host_copy(const Array&, ScalarType, const char*);

}  // namespace mladec::python
