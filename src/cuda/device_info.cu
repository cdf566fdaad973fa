#include "mladec/decode.h"
#include "src/cuda/cuda_check.h"

namespace mladec {

int device_worker_count() {
  int device = 0;
  detail::cuda_check(cudaGetDevice(&device), "cudaGetDevice");
  int sms = 0;
  detail::cuda_check(
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device),
      "cudaDeviceGetAttribute(multiProcessorCount)");
  return sms;
}

}  // namespace mladec
