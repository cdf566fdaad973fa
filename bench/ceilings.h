#pragma once

namespace mladec::bench {

// The two ceilings every result is compared against, measured in the same
// run: a device-to-device copy (bytes read + written per second) and a cuBLAS
// bf16 GEMM 8192³ on random data (FLOP per second).
struct Ceilings {
  double copy_bytes_per_s = 0;
  double gemm_flops_per_s = 0;
};

Ceilings measure_ceilings();

}  // namespace mladec::bench
