// The GPU backend of a build without CUDA (MLADEC_WITH_CUDA off).
#include "mladec/error.h"
#include "tools/backend.h"

namespace mladec::cli {

std::string gpu_unavailable_reason() {
  return "this mladec was built without CUDA (nvcc not found or "
         "MLADEC_ENABLE_CUDA=OFF)";
}

BackendRun run_on_gpu(const RandomStep&, const KernelConfig&, int, int) {
  throw Error(ErrorCode::kUnsupportedDevice, gpu_unavailable_reason());
}

}  // namespace mladec::cli
