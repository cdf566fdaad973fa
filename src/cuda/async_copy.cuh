#pragma once
// cp.async (16-byte global→shared copies that can zero-fill) and bf16
// packing, as the decode and combine kernels use them.
#include <cstdint>

namespace mladec::detail {

__device__ __forceinline__ uint32_t shared_address(const void* pointer) {
  return uint32_t(__cvta_generic_to_shared(pointer));
}

// This thread's lane, read from the hardware each time (volatile: not
// hoisted out of loops, unlike threadIdx.x % 32).
__device__ __forceinline__ int lane_id() {
  int lane;
  asm volatile("mov.u32 %0, %%laneid;" : "=r"(lane));
  return lane;
}

// The row address lane `source_lane` of the warp holds (the producers give
// each of a warp's 16 rows to one lane, nullptr for a zero row).
__device__ __forceinline__ const uint8_t* row_address_of_lane(const uint8_t* mine,
                                                              int source_lane) {
  return reinterpret_cast<const uint8_t*>(
      __shfl_sync(0xffffffffu, reinterpret_cast<unsigned long long>(mine), source_lane));
}

// Copies 16 bytes, or writes 16 zero bytes without reading `src` when
// `valid` is false (src-size 0).
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void* src,
                                            bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst),
               "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
// Arrives on the mbarrier at shared address `bar` once every cp.async this
// thread has issued so far has landed (the arrival counts toward the
// barrier's expected count: `noinc`), without waiting here. The readers
// still fence the async proxy after their wait, before wgmma reads the data.
__device__ __forceinline__ void cp_async_arrive_when_landed(uint32_t bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
}
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

__device__ __forceinline__ uint32_t pack_bf16x2(float lo, float hi) {
  uint32_t result;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(result) : "f"(hi), "f"(lo));
  return result;
}

// A bf16x2 word's two values (low half first) as floats.
__device__ __forceinline__ float bf16x2_low(uint32_t word) { return __uint_as_float(word << 16); }
__device__ __forceinline__ float bf16x2_high(uint32_t word) {
  return __uint_as_float(word & 0xffff0000u);
}

// The larger magnitude of a bf16x2 word's two values.
__device__ __forceinline__ float bf16x2_largest(uint32_t word) {
  return fmaxf(fabsf(bf16x2_low(word)), fabsf(bf16x2_high(word)));
}

// One float as bf16 bits, rounded to nearest even.
__device__ __forceinline__ uint16_t bf16_bits(float v) {
  uint16_t result;
  asm("cvt.rn.bf16.f32 %0, %1;\n" : "=h"(result) : "f"(v));
  return result;
}

// One float as f16 bits, rounded to nearest even.
__device__ __forceinline__ uint16_t f16_bits(float v) {
  uint16_t result;
  asm("cvt.rn.f16.f32 %0, %1;\n" : "=h"(result) : "f"(v));
  return result;
}
__device__ __forceinline__ uint32_t pack_f16x2(float lo, float hi) {
  uint32_t result;
  asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(result) : "f"(hi), "f"(lo));
  return result;
}
// Four e4m3 values (low byte first) as two f16x2 words, exactly (every
// e4m3 value is an f16 value): bytes 0, 1 to `low`, bytes 2, 3 to `high`.
// Split in the PTX so that the conversion of
// the high half reads it in place (the SASS operand's .H1) instead of
// after a shift: bench/NOTES.md v33.
__device__ __forceinline__ void e4m3x4_to_f16x2x2(uint32_t four, uint32_t& low, uint32_t& high) {
  asm("{\n.reg .b16 l, h;\nmov.b32 {l, h}, %2;\ncvt.rn.f16x2.e4m3x2 %0, l;\n"
      "cvt.rn.f16x2.e4m3x2 %1, h;\n}\n"
      : "=r"(low), "=r"(high)
      : "r"(four));
}
// Two floats as e4m3 bytes (lo in the low byte), rounded to nearest even,
// saturated to +-448.
__device__ __forceinline__ uint32_t pack_e4m3x2(float lo, float hi) {
  uint16_t result;
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;\n" : "=h"(result) : "f"(hi), "f"(lo));
  return result;
}
// Bytes of a and b (a's bytes 0..3, b's 4..7) picked by `selector`'s nibbles.
__device__ __forceinline__ uint32_t byte_permute(uint32_t a, uint32_t b, uint32_t selector) {
  uint32_t result;
  asm("prmt.b32 %0, %1, %2, %3;\n" : "=r"(result) : "r"(a), "r"(b), "r"(selector));
  return result;
}

__device__ __forceinline__ void store_shared_u16(uint32_t address, uint16_t v) {
  asm volatile("st.shared.u16 [%0], %1;\n" ::"r"(address), "h"(v) : "memory");
}
__device__ __forceinline__ uint32_t load_shared_u32(uint32_t address) {
  uint32_t v;
  asm volatile("ld.shared.u32 %0, [%1];\n" : "=r"(v) : "r"(address) : "memory");
  return v;
}
__device__ __forceinline__ uint2 load_shared_v2(uint32_t address) {
  uint2 v;
  asm volatile("ld.shared.v2.u32 {%0, %1}, [%2];\n"
               : "=r"(v.x), "=r"(v.y)
               : "r"(address)
               : "memory");
  return v;
}
__device__ __forceinline__ uint4 load_shared_v4(uint32_t address) {
  uint4 v;
  asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "r"(address)
               : "memory");
  return v;
}
__device__ __forceinline__ void store_shared_v4(uint32_t address, uint4 v) {
  asm volatile("st.shared.v4.u32 [%0], {%1, %2, %3, %4};\n" ::"r"(address), "r"(v.x), "r"(v.y),
               "r"(v.z), "r"(v.w)
               : "memory");
}
__device__ __forceinline__ void store_shared_v2(uint32_t address, uint2 v) {
  asm volatile("st.shared.v2.u32 [%0], {%1, %2};\n" ::"r"(address), "r"(v.x), "r"(v.y)
               : "memory");
}
__device__ __forceinline__ void store_shared_u32(uint32_t address, uint32_t v) {
  asm volatile("st.shared.u32 [%0], %1;\n" ::"r"(address), "r"(v) : "memory");
}
__device__ __forceinline__ void store_shared_f32(uint32_t address, float v) {
  asm volatile("st.shared.f32 [%0], %1;\n" ::"r"(address), "f"(v) : "memory");
}

}  // namespace mladec::detail
