// The GPU side: plans and decode on device arrays, device queries, and the
// argument checks decode() runs, callable on their own.
#include <cuda_runtime_api.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <string>

#include "python/src/bindings.h"
#include "python/src/device_plan.h"
#include "src/cuda/cuda_check.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace mladec::python {

namespace {

// Empty when device `device` can run mladec's kernels, else why not.
std::string device_unavailable_reason(int device) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // not sticky: leave no error for the next call
    return std::string("no usable CUDA device (") + cudaGetErrorName(status) + ")";
  }
  if (device < 0 || device >= count) {
    return "no CUDA device " + std::to_string(device) + " (" + std::to_string(count) +
           " present)";
  }
  cudaDeviceProp prop{};
  detail::cuda_check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  // sm_90a code runs on sm_90 devices only.
  if (prop.major != 9 || prop.minor != 0) {
    return "cuda:" + std::to_string(device) + " (" + prop.name + ") is sm_" +
           std::to_string(prop.major) + std::to_string(prop.minor) +
           "; mladec's kernels are built for sm_90a (Hopper)";
  }
  return "";
}

int worker_count(int device) {
  if (device < 0) return device_worker_count();
  int sms = 0;
  detail::cuda_check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device),
                     "cudaDeviceGetAttribute(multiProcessorCount)");
  return sms;
}

// Device memory owned by the returned array (for frameworks whose arrays
// cannot be written through DLPack, e.g. JAX): freed with the array.
// An object with __dlpack__ / __dlpack_device__ (the array API protocol),
// which any DLPack consumer imports, as the other output paths give.
using OwnedArray = nb::ndarray<nb::array_api>;

OwnedArray device_empty(const std::vector<size_t>& shape, const std::string& dtype,
                        int device) {
  const bool bf16 = dtype == "bf16";
  detail::require(bf16 || dtype == "float32", ErrorCode::kBadTensor,
                  "device_empty makes 'bf16' or 'float32' arrays, got '", dtype, "'");
  size_t count = 1;
  for (size_t extent : shape) count *= extent;
  DeviceBuffer* buffer = [&] {
    DeviceScope scope(device);
    return new DeviceBuffer(count * (bf16 ? 2 : 4));
  }();
  nb::capsule owner(buffer, [](void* p) noexcept { delete static_cast<DeviceBuffer*>(p); });
  const nb::dlpack::dtype type = bf16 ? nb::dlpack::dtype{uint8_t(nb::dlpack::dtype_code::Bfloat), 16, 1}
                                      : nb::dtype<float>();
  return OwnedArray(buffer->get(), shape.size(), shape.data(), owner, nullptr, type,
                    kDlCuda, device);
}

}  // namespace

void bind_device(nb::module_& m) {
  m.attr("with_cuda") = true;

  nb::class_<DevicePlan>(m, "DevicePlan", "The C++ side of mladec.Plan.")
      .def(nb::init<const DecodeProblem&, int, int, std::optional<Array>,
                    std::optional<Array>>(),
           "problem"_a, "workers"_a, "device"_a, "plan_buffer"_a.none(),
           "workspace"_a.none())
      .def("plan", &DevicePlan::plan, "seqlens"_a, "qo_indptr"_a.none(), "stream"_a)
      .def("decode", &DevicePlan::decode, "q"_a, "kv_cache"_a, "block_table"_a,
           "kv_scale"_a, "out"_a, "lse"_a, "stream"_a, "checked"_a = false)
      .def("download", &DevicePlan::download)
      .def("download_seqlens", &DevicePlan::download_seqlens)
      .def("download_qo_indptr", &DevicePlan::download_qo_indptr)
      .def_prop_ro("problem", &DevicePlan::problem)
      .def_prop_ro("config", &DevicePlan::config)
      .def_prop_ro("layout", &DevicePlan::layout)
      .def_prop_ro("device", &DevicePlan::device)
      .def_prop_ro("planned", &DevicePlan::planned);

  m.def("validate_args",
        [](const DecodeProblem& problem, const Array& q, const Array& kv_cache,
           const Array& block_table, const Array& seqlens, std::optional<Array> qo_indptr,
           const Array& out, const Array& lse, float kv_scale) {
          DecodeArgs args;
          args.q = as_view(q, ScalarType::kBf16, "q");
          args.kv_cache = as_view(kv_cache, kv_cache_scalar_type(problem.kv_dtype), "kv_cache");
          args.block_table = as_view(block_table, ScalarType::kInt32, "block_table");
          args.seqlens = as_view(seqlens, ScalarType::kInt32, "seqlens");
          if (qo_indptr) args.qo_indptr = as_view(*qo_indptr, ScalarType::kInt32, "qo_indptr");
          args.out = as_view(out, ScalarType::kBf16, "out");
          args.lse = as_view(lse, ScalarType::kFloat32, "lse");
          args.kv_scale = kv_scale;
          validate_args(problem, args);
        },
        "problem"_a, "q"_a, "kv_cache"_a, "block_table"_a, "seqlens"_a,
        "qo_indptr"_a.none(), "out"_a, "lse"_a, "kv_scale"_a);

  m.def("device_unavailable_reason", &device_unavailable_reason, "device"_a = 0);
  m.def("device_worker_count", &worker_count, "device"_a = -1);
  m.def("device_empty", &device_empty, "shape"_a, "dtype"_a, "device"_a);
}

}  // namespace mladec::python
