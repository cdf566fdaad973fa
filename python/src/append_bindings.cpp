// append_kv: new tokens into a paged KV cache, on the host (NumPy and other
// CPU arrays; append_kv_host) or on the GPU (append_kv), whichever memory
// the cache lives in.
#include <nanobind/stl/string.h>

#include <string>

#include "mladec/append.h"
#include "python/src/array_views.h"
#include "python/src/bindings.h"
#include "src/core/require.h"
#if MLADEC_WITH_CUDA
#include "python/src/device_plan.h"
#endif

namespace nb = nanobind;
using namespace nb::literals;

namespace mladec::python {

namespace {

using detail::require;

bool host_accessible(const Array& array) {
  const int type = array.device_type();
  return type == kDlCpu || type == kDlCudaHost || type == kDlCudaManaged;
}

void append(const std::string& kv_dtype, const Array& kv_cache, const Array& latent,
            const Array& rope, const Array& slots, float kv_scale, uintptr_t stream) {
  const KvDtype dtype = parse_kv_dtype(kv_dtype);
  AppendArgs args;
  args.latent = as_view(latent, ScalarType::kBf16, "latent");
  args.rope = as_view(rope, ScalarType::kBf16, "rope");
  args.slots = as_view(slots, ScalarType::kInt64, "slots");
  args.kv_cache = as_view(kv_cache, kv_cache_scalar_type(dtype), "kv_cache");
  args.kv_scale = kv_scale;
  if (kv_cache.device_type() == kDlCpu || kv_cache.device_type() == kDlCudaHost) {
    // The host path dereferences every pointer: none may be device memory.
    for (const auto& [array, name] : {std::pair{&latent, "latent"}, std::pair{&rope, "rope"},
                                      std::pair{&slots, "slots"}}) {
      require(host_accessible(*array), ErrorCode::kBadTensor, name,
              " must be a host array like kv_cache, got one on DLPack device type ",
              array->device_type());
    }
    nb::gil_scoped_release release;
    append_kv_host(dtype, args);
    return;
  }
#if MLADEC_WITH_CUDA
  // The library checks that every tensor is device memory.
  DeviceScope scope(kv_cache.device_id());
  nb::gil_scoped_release release;
  append_kv(dtype, args, reinterpret_cast<cudaStream_t>(stream));
#else
  (void)stream;
  detail::fail(ErrorCode::kUnsupportedDevice,
               "kv_cache is not in host memory and this mladec was built without CUDA");
#endif
}

}  // namespace

void bind_append(nb::module_& m) {
  m.def("append_kv", &append, "kv_dtype"_a, "kv_cache"_a, "latent"_a, "rope"_a,
        "slots"_a, "kv_scale"_a, "stream"_a);
}

}  // namespace mladec::python
