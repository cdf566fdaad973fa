#pragma once
// A diagnostic, off by default: a clock64 trace of the row form's and the
// fp8-compute form's steps for the first kTraceCtas CTAs, built only with
// -DMLADEC_BLOCK_TRACE=ON (CMake option; otherwise every call below is
// empty and the kernels' SASS is unchanged). Thread 0 of each warpgroup (role 0: the producer,
// 1 and 2: math warpgroups 0 and 1) appends events to a __device__ array;
// decode() prints and clears it after each eager call (dump_block_trace),
// so `mladec run --repeats 1 --backend gpu 2> trace.txt` traces one
// launch, and scripts/block-trace-summary.py sums the gaps between events.
// Events are clock64 stores, no printf: a printf in the decode kernel made
// ptxas serialize every wgmma (C7510). The traced build spills 8 bytes in
// the bf16 64-row kernel's math warps, so its cycles are approximate
// (bench/NOTES.md v53-v56 read them).
#include <cstdint>

namespace mladec::detail {

constexpr int kTraceCtas = 2, kTraceRoles = 3, kTraceEvents = 4096;

// What happened (the dump's third column; scripts/block-trace-summary.py
// names them the same way in NAMES).
enum TraceEvent : uint32_t {
  kTraceEmptyWaited = 1,     // producer: the buffer (the row form: its half A) is free
  kTraceHalfBWaited = 2,     // producer (row form): the buffer's half B is free
  kTraceCopyIssued = 3,      // producer: the block's (row form: half A's) copies are issued
  kTraceHalfBIssued = 4,     // producer (row form): half B's copies are issued
  kTraceFullWaited = 10,     // math: the block has landed
  kTraceScoresIssued = 11,   // math: S issued
  kTraceScoresDone = 12,     // math: S complete
  kTracePublished = 13,      // math: own block's softmax done and published
  kTraceTaken = 14,          // math: the other's publication taken
  kTraceOutputIssued = 15,   // math: a P·V issued
  kTraceOutputDone = 16,     // math: its P·V complete (the buffer released)
  kTraceVtWaited = 17,       // math (fp8-compute): the block's transposed V has landed
  kTraceOwnerWaited = 18,    // math (owner gathers): its own release of half A observed
  kTraceOwnerIssued = 19,    // math (owner gathers): its copies of the block's half A issued
  kTracePieceStart = 20,     // math: a piece's first block
  kTracePieceEnd = 21,       // math: a piece's row totals done
  kTraceLaunch = 30,         // producer: the CTA starts (math: piece start, block 0)
};

#ifdef MLADEC_BLOCK_TRACE
__device__ unsigned long long g_block_trace[kTraceCtas][kTraceRoles][kTraceEvents];
__device__ unsigned int g_block_trace_count[kTraceCtas][kTraceRoles];
// The running count in shared memory (zeroed by trace_init before the
// CTA's first barrier): an event is a shared increment and two global
// stores, no global load (session 16's first trace read a global counter
// at every event, whose round trip inflated every gap).
__shared__ unsigned int s_block_trace_count[kTraceRoles];

__device__ __forceinline__ void trace_init() {
  if (threadIdx.x < kTraceRoles) s_block_trace_count[threadIdx.x] = 0;
}

// clock64 in the low 40 bits, the event above them, `block` (the CTA's
// load count, mod 2^16) at the top.
__device__ __forceinline__ void trace(TraceEvent event, uint32_t block) {
  if (blockIdx.x >= kTraceCtas || threadIdx.x % 128 != 0) return;
  const int role = threadIdx.x / 128;
  const uint64_t now = clock64();
  const unsigned int n = s_block_trace_count[role]++;
  if (n < kTraceEvents) {
    g_block_trace[blockIdx.x][role][n] = (now & ((1ull << 40) - 1)) | (uint64_t(event) << 40) |
                                         (uint64_t(block & 0xffff) << 48);
    g_block_trace_count[blockIdx.x][role] = n + 1;
  }
}
#else
__device__ __forceinline__ void trace_init() {}
__device__ __forceinline__ void trace(TraceEvent, uint32_t) {}
#endif

}  // namespace mladec::detail
