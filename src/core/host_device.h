#pragma once
// Code that both the host planner / reference and the CUDA kernels compile.
#if defined(__CUDACC__)
#define MLADEC_HD __host__ __device__ __forceinline__
#else
#define MLADEC_HD inline
#endif
