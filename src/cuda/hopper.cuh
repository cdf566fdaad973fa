#pragma once
// Hopper (sm_90a) building blocks of the v2 decode kernel: wgmma matrix
// descriptors and instructions, mbarriers, named barriers and setmaxnreg.
//
// Shared-memory operand layout: "slabs" of 64 rows × 128 bytes (64 bf16), the
// 16-byte chunk c of row r stored at chunk c ^ (r % 8) — the 128-byte swizzle
// wgmma reads. A slab is 8 KB and 1024-byte aligned. A 64-token KV block is 9
// slabs (576 features); Q is 9 slabs; P is 1 slab.
#include <cstdint>

namespace mladec::detail {

inline constexpr int kSlabRows = 64;
inline constexpr int kSlabBytes = kSlabRows * 128;

// Byte offset of (row, 16-byte chunk) in a tile of slabs (chunk counts along
// the row across slabs: chunk 8 is chunk 0 of slab 1).
__device__ __forceinline__ uint32_t slab_offset(int row, int chunk) {
  return uint32_t((chunk >> 3) * kSlabBytes + row * 128 +
                  (((chunk & 7) ^ (row & 7)) << 4));
}

// The descriptor's layout field (bits 62-63): the operand's swizzle.
inline constexpr uint64_t kSwizzle128B = 1, kSwizzle64B = 2;

// wgmma descriptor of a swizzled operand at shared address `address`.
// Strides in bytes: `leading` between 64-element groups along the
// contiguous dimension (MN-major operands only), `stride` between 8-row
// groups (1024 in a 128-byte-swizzled slab, 512 with the 64-byte swizzle).
__device__ __forceinline__ uint64_t make_smem_desc(uint32_t address,
                                                   uint32_t leading,
                                                   uint32_t stride,
                                                   uint64_t swizzle = kSwizzle128B) {
  uint64_t desc = 0;
  desc |= uint64_t((address >> 4) & 0x3fff);
  desc |= uint64_t((leading >> 4) & 0x3fff) << 16;
  desc |= uint64_t((stride >> 4) & 0x3fff) << 32;
  desc |= swizzle << 62;
  return desc;
}

// A slab operand's descriptors (stride 1024) at offsets from one base: the
// high word is a constant and the low word holds address >> 4 and the
// leading offset, so the descriptor at base + offset (a multiple of 16; all
// shared addresses are below 2^18, the 14-bit field's reach) is the low word
// plus offset >> 4 — one add per wgmma operand where building each
// descriptor from its address took about eight instructions, four of them
// moves into uniform registers (bench/NOTES.md v29: 1.1K of the e4m3 h_q 16
// math's 5.45K instructions per block).
struct SlabDescriptors {
  uint64_t base;
  __device__ __forceinline__ SlabDescriptors(uint32_t address, uint32_t leading,
                                             uint32_t stride = 1024,
                                             uint64_t swizzle = kSwizzle128B)
      : base(make_smem_desc(address, leading, stride, swizzle)) {}
  __device__ __forceinline__ uint64_t at(uint32_t offset) const {
    return (base & ~uint64_t(0xffffffffu)) | uint32_t(uint32_t(base) + (offset >> 4));
  }
};

// The fp8-compute form's operands (decode_math_fp8_compute.cuh): 8-bit,
// K-major, 64-byte swizzle — rows of 64 bytes, 8-row atoms of 512 bytes
// (the descriptor's stride), 16-byte chunk c of row r at c ^ ((r >> 1) & 3),
// the layout the TMA's 64-byte swizzle writes (src/core/register_a_layout.h,
// src/core/fp8_compute_layout.h). A k32 step is 32 bytes of a row: start
// address + 32 within an atom-aligned region, as the 128-byte form's k16.
__device__ __forceinline__ SlabDescriptors sw64_descriptors(uint32_t address) {
  return SlabDescriptors(address, 16, 512, kSwizzle64B);
}

// wgmma k-steps (16 features, 32 bytes) in a slab's 128-byte rows.
inline constexpr int kSlabKSteps = 4;

// Byte offset of k-step k in a tile of slabs: slab k / kSlabKSteps, step
// k % kSlabKSteps of its rows.
__device__ __forceinline__ uint32_t k_step_offset(int k) {
  return uint32_t((k / kSlabKSteps) * kSlabBytes + (k % kSlabKSteps) * 32);
}

__device__ __forceinline__ void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int kPending>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}
// Keeps the compiler from moving accumulator reads across wgmma_wait.
template <int N>
__device__ __forceinline__ void fence_registers(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// 2^x for the softmax, flushing results below 2^-126 to zero. exp2f keeps
// them (MUFU.EX2 plus a compare and two multiplies around it for the
// subnormal range): a P or a rescale factor that small is far below what
// f16 / bf16 P tiles hold (2^-24) and below every running sum's last bit,
// so the flush changes no result and saves three instructions per value.
__device__ __forceinline__ float exp2_flush(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}
// exp2_flush as the 2^x of src/core/blockwise_group_softmax.h's formulas.
struct Exp2Flush {
  __device__ __forceinline__ float operator()(float x) const { return exp2_flush(x); }
};

// Generic-proxy writes to shared memory (st.shared, cp.async) become visible
// to the async proxy (wgmma) of the executing thread.
__device__ __forceinline__ void fence_proxy_async() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

__device__ __forceinline__ void mbarrier_init(uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count));
}
// This thread's arrival, announcing `bytes` more that asynchronous copies
// will complete on the barrier (TMA).
__device__ __forceinline__ void mbarrier_arrive_expect_bytes(uint32_t bar, uint32_t bytes) {
  asm volatile(
      "{\n.reg .b64 state;\nmbarrier.arrive.expect_tx.shared::cta.b64 state, [%0], %1;\n}\n" ::"r"(
          bar),
      "r"(bytes)
      : "memory");
}

// A 3-D TMA copy of the box at (c0, c1, c2) of `tensor_map` (a kernel
// parameter's address) into shared memory, completed on `bar` in bytes.
// kEvictFirst, for bytes read once: L2 evicts them first, so they do not
// push out what is read again (FlashMLA's deep dive reports better L2 hit
// rates with this hint on its KV copies; bench/NOTES.md v79).
template <bool kEvictFirst = false>
__device__ __forceinline__ void tma_load_3d(uint32_t destination, const void* tensor_map,
                                            int c0, int c1, int c2, uint32_t bar) {
  if constexpr (kEvictFirst) {
    asm volatile(
        "{\n"
        ".reg .b64 policy;\n"
        "createpolicy.fractional.L2::evict_first.b64 policy, 1.0;\n"
        "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes"
        ".L2::cache_hint [%0], [%1, {%2, %3, %4}], [%5], policy;\n"
        "}\n" ::"r"(destination),
        "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(c0), "r"(c1), "r"(c2), "r"(bar)
        : "memory");
  } else {
    asm volatile(
        "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes "
        "[%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(destination),
        "l"(reinterpret_cast<uint64_t>(tensor_map)), "r"(c0), "r"(c1), "r"(c2), "r"(bar)
        : "memory");
  }
}

// Starts a DRAM → L2 copy of `bytes` (a multiple of 16) at a 16-byte aligned
// address and returns at once: later loads and copies of it then hit L2.
__device__ __forceinline__ void prefetch_l2(const void* address, uint32_t bytes) {
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(address),
               "r"(bytes)
               : "memory");
}

__device__ __forceinline__ void mbarrier_arrive(uint32_t bar) {
  asm volatile(
      "{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}\n" ::"r"(bar)
      : "memory");
}
__device__ __forceinline__ void mbarrier_wait(uint32_t bar, uint32_t parity) {
  asm volatile(
      "{\n"
      ".reg .pred done;\n"
      "wait_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra wait_%=;\n"
      "}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}
// Whether the phase with `parity` has completed, without waiting.
__device__ __forceinline__ bool mbarrier_ready(uint32_t bar, uint32_t parity) {
  uint32_t done;
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "mbarrier.test_wait.parity.shared::cta.b64 p, [%1], %2;\n"
      "selp.u32 %0, 1, 0, p;\n"
      "}\n"
      : "=r"(done)
      : "r"(bar), "r"(parity)
      : "memory");
  return done != 0;
}
__device__ __forceinline__ void fence_barrier_init() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}

// Barrier among `threads` threads (whole warps) under id 1..15. The two
// math warpgroups reach each barrier from different instructions (run_math<0>
// and run_math<1> are separate instantiations), which the .aligned form
// (bar.sync) does not allow — compute-sanitizer synccheck reports it — so
// this is the unaligned barrier.sync.
__device__ __forceinline__ void named_barrier_sync(int id, int threads) {
  asm volatile("barrier.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// %globaltimer: nanoseconds, one clock for every SM (unlike clock64).
__device__ __forceinline__ uint64_t global_timer_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Programmatic dependent launch (dependent_launch.h): wait until the
// previous kernel in the stream has completed and its writes are visible
// (returns at once when not launched that way) ...
__device__ __forceinline__ void grid_dependency_wait() {
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
}
// ... and let the next kernel, if launched that way, start now.
__device__ __forceinline__ void allow_dependent_launch() {
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
}

template <int kRegisters>
__device__ __forceinline__ void setmaxnreg_increase() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegisters) : "memory");
}
template <int kRegisters>
__device__ __forceinline__ void setmaxnreg_decrease() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegisters) : "memory");
}

// d (8 floats) = A · B (+ d when accumulate), m64n16k16, both from smem; B
// K-major, A K-major or, with kTransposeA, MN-major.
template <bool kTransposeA>
__device__ __forceinline__ void wgmma_m64n16k16_ss(float (&d)[8], uint64_t a_desc,
                                                   uint64_t b_desc, bool accumulate) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %10, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7}, %8, %9, p, 1, 1, %11, 0;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]),
        "+f"(d[7])
      : "l"(a_desc), "l"(b_desc), "r"(int(accumulate)), "n"(int(kTransposeA)));
}

// d (16 floats) = A · B (+ d when accumulate), m64n32k16, both from smem; B
// K-major, A K-major or, with kTransposeA, MN-major.
template <bool kTransposeA>
__device__ __forceinline__ void wgmma_m64n32k16_ss(float (&d)[16], uint64_t a_desc,
                                                   uint64_t b_desc, bool accumulate) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %18, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, "
      "%16, %17, p, 1, 1, %19, 0;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
      : "l"(a_desc), "l"(b_desc), "r"(int(accumulate)), "n"(int(kTransposeA)));
}

// d (32 floats) = A · B (+ d when accumulate), m64n64k16, both from smem,
// K-major; bf16 operands, or f16 with kF16.
#define MLADEC_WGMMA_M64N64K16_SS(TYPE)                                                          \
  asm volatile(                                                                                  \
      "{\n"                                                                                      \
      ".reg .pred p;\n"                                                                          \
      "setp.ne.b32 p, %34, 0;\n"                                                                 \
      "wgmma.mma_async.sync.aligned.m64n64k16.f32." TYPE "." TYPE " "                            \
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, "   \
      "%19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "                       \
      "%32, %33, p, 1, 1, 0, 0;\n"                                                               \
      "}\n"                                                                                      \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]) \
      : "l"(a_desc), "l"(b_desc), "r"(int(accumulate)))
template <bool kF16 = false>
__device__ __forceinline__ void wgmma_m64n64k16_ss(float (&d)[32], uint64_t a_desc,
                                                   uint64_t b_desc, bool accumulate) {
  if constexpr (kF16) {
    MLADEC_WGMMA_M64N64K16_SS("f16");
  } else {
    MLADEC_WGMMA_M64N64K16_SS("bf16");
  }
}
#undef MLADEC_WGMMA_M64N64K16_SS

// d (32 floats) += a (registers, the m64k16 A fragment as in
// wgmma_m64nk16_rs below) · B (smem, K-major), m64n64k16; bf16, or f16
// with kF16. The registers must not change until the group has completed.
#define MLADEC_WGMMA_M64N64K16_RS(TYPE)                                                          \
  asm volatile(                                                                                  \
      "{\n"                                                                                      \
      ".reg .pred p;\n"                                                                          \
      "setp.ne.b32 p, %37, 0;\n"                                                                 \
      "wgmma.mma_async.sync.aligned.m64n64k16.f32." TYPE "." TYPE " "                            \
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, "   \
      "%19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "                       \
      "{%32, %33, %34, %35}, %36, p, 1, 1, 0;\n"                                                 \
      "}\n"                                                                                      \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]) \
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b_desc), "r"(1))
template <bool kF16 = false>
__device__ __forceinline__ void wgmma_m64n64k16_rs(float (&d)[32], const uint32_t (&a)[4],
                                                   uint64_t b_desc) {
  if constexpr (kF16) {
    MLADEC_WGMMA_M64N64K16_RS("f16");
  } else {
    MLADEC_WGMMA_M64N64K16_RS("bf16");
  }
}
#undef MLADEC_WGMMA_M64N64K16_RS

// m64nNk16 for N = kColumns (16 or 32), as above.
template <int kColumns, bool kTransposeA>
__device__ __forceinline__ void wgmma_m64nk16_ss(float (&d)[kColumns / 2], uint64_t a_desc,
                                                 uint64_t b_desc, bool accumulate) {
  static_assert(kColumns == 16 || kColumns == 32, "wgmma N of the narrow forms");
  if constexpr (kColumns == 16) {
    wgmma_m64n16k16_ss<kTransposeA>(d, a_desc, b_desc, accumulate);
  } else {
    wgmma_m64n32k16_ss<kTransposeA>(d, a_desc, b_desc, accumulate);
  }
}

// d (128 floats) += A (smem, K-major) · B (smem, MN-major); bf16 operands,
// or f16 with kF16.
#define MLADEC_WGMMA_M64N256K16_SS(TYPE)                                        \
  asm volatile(                                                                 \
      "{\n"                                                                     \
      ".reg .pred p;\n"                                                         \
      "setp.ne.b32 p, %130, 0;\n"                                               \
      "wgmma.mma_async.sync.aligned.m64n256k16.f32." TYPE "." TYPE " "          \
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "                                                                       \
      "%128, %129, p, 1, 1, 0, 1;\n"                                            \
      "}\n"                                                                     \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])                                                                      \
      : "l"(a_desc), "l"(b_desc), "r"(1))
template <bool kF16 = false>
__device__ __forceinline__ void wgmma_m64n256k16_ss(float (&d)[128], uint64_t a_desc,
                                                    uint64_t b_desc) {
  if constexpr (kF16) {
    MLADEC_WGMMA_M64N256K16_SS("f16");
  } else {
    MLADEC_WGMMA_M64N256K16_SS("bf16");
  }
}
#undef MLADEC_WGMMA_M64N256K16_SS

// d (128 floats) += a (registers, 4 × bf16x2, or f16x2 with kF16) · B
// (smem, MN-major).
#define MLADEC_WGMMA_M64N256K16_RS(TYPE)                                        \
  asm volatile(                                                                 \
      "{\n"                                                                     \
      ".reg .pred p;\n"                                                         \
      "setp.ne.b32 p, %133, 0;\n"                                               \
      "wgmma.mma_async.sync.aligned.m64n256k16.f32." TYPE "." TYPE " "          \
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "                                                                       \
      "{%128, %129, %130, %131}, %132, p, 1, 1, 1;\n"                           \
      "}\n"                                                                     \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])                                                                      \
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b_desc), "r"(1))
template <bool kF16 = false>
__device__ __forceinline__ void wgmma_m64n256k16_rs(float (&d)[128], const uint32_t (&a)[4],
                                                    uint64_t b_desc) {
  if constexpr (kF16) {
    MLADEC_WGMMA_M64N256K16_RS("f16");
  } else {
    MLADEC_WGMMA_M64N256K16_RS("bf16");
  }
}
#undef MLADEC_WGMMA_M64N256K16_RS

// d (kColumns / 2 floats) = A · B (+ d when accumulate), m64n{16,32}k16 in
// f16 (or bf16 with kBf16): A from registers (per warp the m16n8k16
// fragment: a[0] row g, columns 2c..2c+1; a[1] row g + 8; a[2], a[3] the
// same rows, columns + 8; g = lane / 4, c = lane % 4), B from shared memory,
// K-major. The registers must not change until the wgmma group that reads
// them has completed.
#define MLADEC_WGMMA_RS_N16(TYPE)                                                            \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %13, 0;\n"                                  \
               "wgmma.mma_async.sync.aligned.m64n16k16.f32." TYPE "." TYPE " "                  \
               "{%0, %1, %2, %3, %4, %5, %6, %7}, {%8, %9, %10, %11}, %12, p, 1, 1, 0;\n}\n" \
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),      \
                 "+f"(d[6]), "+f"(d[7])                                                       \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b_desc),                     \
                 "r"(int(accumulate)))
#define MLADEC_WGMMA_RS_N32(TYPE)                                                              \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %21, 0;\n"                                    \
               "wgmma.mma_async.sync.aligned.m64n32k16.f32." TYPE "." TYPE " "                    \
               "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, "        \
               "{%16, %17, %18, %19}, %20, p, 1, 1, 0;\n}\n"                                      \
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),        \
                 "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),      \
                 "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])                             \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b_desc),                       \
                 "r"(int(accumulate)))
template <int kColumns, bool kBf16 = false>
__device__ __forceinline__ void wgmma_m64nk16_rs(float (&d)[kColumns / 2],
                                                 const uint32_t (&a)[4], uint64_t b_desc,
                                                 bool accumulate) {
  static_assert(kColumns == 16 || kColumns == 32, "wgmma N of the narrow forms");
  if constexpr (kColumns == 16 && !kBf16) {
    MLADEC_WGMMA_RS_N16("f16");
  } else if constexpr (kColumns == 16) {
    MLADEC_WGMMA_RS_N16("bf16");
  } else if constexpr (!kBf16) {
    MLADEC_WGMMA_RS_N32("f16");
  } else {
    MLADEC_WGMMA_RS_N32("bf16");
  }
}
#undef MLADEC_WGMMA_RS_N16
#undef MLADEC_WGMMA_RS_N32

// d (32 floats) = A · B (kAccumulate: d +=), m64n64k32, e4m3 × e4m3 into
// f32, both from shared memory, K-major (8-bit wgmma has no other form).
// The first k-step (d =) takes d as an output only, so that d's earlier
// values are dead before it.
template <bool kAccumulate>
__device__ __forceinline__ void wgmma_m64n64k32_e4m3_ss(float (&d)[32], uint64_t a_desc,
                                                        uint64_t b_desc) {
  if constexpr (kAccumulate) {
    asm volatile(
        "wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "%32, %33, 1, 1, 1;\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(a_desc), "l"(b_desc));
  } else {
    asm volatile(
        "wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "%32, %33, 0, 1, 1;\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3]), "=f"(d[4]), "=f"(d[5]), "=f"(d[6]), "=f"(d[7]), "=f"(d[8]), "=f"(d[9]), "=f"(d[10]), "=f"(d[11]), "=f"(d[12]), "=f"(d[13]), "=f"(d[14]), "=f"(d[15]), "=f"(d[16]), "=f"(d[17]), "=f"(d[18]), "=f"(d[19]), "=f"(d[20]), "=f"(d[21]), "=f"(d[22]), "=f"(d[23]), "=f"(d[24]), "=f"(d[25]), "=f"(d[26]), "=f"(d[27]), "=f"(d[28]), "=f"(d[29]), "=f"(d[30]), "=f"(d[31])
        : "l"(a_desc), "l"(b_desc));
  }
}

// d (128 floats) += a (registers: 4 × four e4m3, the 8-bit A fragment —
// register i row g + 8 (i % 2), k 4 c + 16 (i / 2) + byte) · B (shared
// memory, K-major), m64n256k32. The registers must not change until the
// group that reads them has completed.
__device__ __forceinline__ void wgmma_m64n256k32_e4m3_rs(float (&d)[128],
                                                         const uint32_t (&a)[4],
                                                         uint64_t b_desc) {
  asm volatile(
      "wgmma.mma_async.sync.aligned.m64n256k32.f32.e4m3.e4m3 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "
      "{%128, %129, %130, %131}, %132, 1, 1, 1;\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b_desc));
}

}  // namespace mladec::detail
