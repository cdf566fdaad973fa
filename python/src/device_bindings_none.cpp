// The GPU side of a build without CUDA (no nvcc when the package was
// built): the same names, each reporting why it cannot run.
#include <nanobind/stl/string.h>

#include <string>

#include "mladec/error.h"
#include "python/src/bindings.h"

namespace nb = nanobind;

namespace mladec::python {

namespace {

const char* const kNoCuda =
    "this mladec was built without CUDA (nvcc was not found when it was compiled)";

[[noreturn]] void unsupported(nb::args, nb::kwargs) {
  throw Error(ErrorCode::kUnsupportedDevice, kNoCuda);
}

}  // namespace

void bind_device(nb::module_& m) {
  m.attr("with_cuda") = false;
  m.def("device_unavailable_reason", [](int) { return std::string(kNoCuda); },
        nb::arg("device") = 0);
  for (const char* name : {"DevicePlan", "validate_args", "device_worker_count",
                           "device_empty"}) {
    m.def(name, &unsupported);
  }
}

}  // namespace mladec::python
