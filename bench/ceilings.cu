#include "bench/ceilings.h"

#include <cublas_v2.h>


#include "bench/device_fill.h"
#include "bench/event_timer.h"
#include "mladec/device_step.h"
#include "src/cuda/cuda_check.h"

namespace mladec::bench {
namespace {

using detail::cuda_check;

double copy_ceiling() {
  const size_t bytes = size_t(2) << 30;
  DeviceBuffer source(bytes), destination(bytes);
  fill_random_bf16(source.get(), bytes / 2, 11);
  const double seconds = median_seconds(nullptr, 3, 15, [&] {
    cuda_check(cudaMemcpyAsync(destination.get(), source.get(), bytes,
                               cudaMemcpyDeviceToDevice),
               "cudaMemcpyAsync");
  });
  return 2.0 * double(bytes) / seconds;
}

double gemm_ceiling() {
  const int n = 8192;
  const size_t elements = size_t(n) * n;
  DeviceBuffer a(elements * 2), b(elements * 2), c(elements * 2);
  fill_random_bf16(a.get(), elements, 21);
  fill_random_bf16(b.get(), elements, 22);
  cublasHandle_t handle;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) return 0;
  const float alpha = 1.f, beta = 0.f;
  bool ok = true;
  const double seconds = median_seconds(nullptr, 3, 10, [&] {
    ok = ok && cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha,
                            a.get(), CUDA_R_16BF, n, b.get(), CUDA_R_16BF, n,
                            &beta, c.get(), CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT) == CUBLAS_STATUS_SUCCESS;
  });
  cublasDestroy(handle);
  return ok ? 2.0 * double(n) * n * n / seconds : 0;
}

}  // namespace

Ceilings measure_ceilings() {
  Ceilings ceilings;
  ceilings.copy_bytes_per_s = copy_ceiling();
  ceilings.gemm_flops_per_s = gemm_ceiling();
  return ceilings;
}

}  // namespace mladec::bench
