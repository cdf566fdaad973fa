#pragma once
// A diagnostic, off by default, built with the block trace
// (-DMLADEC_BLOCK_TRACE=ON): %globaltimer stamps (nanoseconds, one clock
// for every SM, unlike block_trace.cuh's clock64) of one decode step's
// three kernels — the planner, every decode CTA and every combine CTA — to
// see where a short step's time goes across kernels (bench/NOTES.md v63:
// Nsight's isolated kernel durations did not). Each stamp has a fixed slot,
// (CTA, event), rewritten at every launch, so after a CUDA graph's replays
// the slots hold the last replay. print_step_timeline (step_timeline.h)
// prints and clears them; scripts/step-timeline-summary.py reads the
// print. Without the option every call below is empty.
//
// Kernels are compiled without relocatable device code, so each
// translation unit that includes this header has its own slots and its
// own print_timeline_slots(); step_timeline.cu calls each unit's.
#include <cstdint>
#include <cstdio>

#include "src/cuda/cuda_check.h"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

constexpr int kTimelineCtas = 2048;

// The events (the print's fourth column; scripts/step-timeline-summary.py
// names them the same way).
enum TimelineEvent : int {
  kTimelineStart = 0,          // the CTA starts (before its dependency wait)
  kTimelineWaited = 1,         // past its dependency wait
  kTimelinePieceRead = 2,      // decode producer: its first piece and unit read
  kTimelineFirstCopy = 3,      // decode producer: its first KV copy issued
  kTimelineProducerDone = 4,   // decode producer: all its copies issued
  kTimelineMath0Done = 5,      // decode: math warpgroup 0's last result stored
  kTimelineMath1Done = 6,      // decode: math warpgroup 1's last result stored
  kTimelineEnd = 7,            // planner: plan written (slot 1 + n: its barrier n passed);
                               // combine: the CTA's row stored
  // Decode, math warpgroup 0 (bf16 row and transposed forms):
  kTimelineFirstData = 8,      // its first KV block has landed
  kTimelineFirstTotals = 9,    // its first piece's row totals are known (stores next)
  kTimelineFirstPieceEnd = 10, // its first piece's results are stored
  // Decode producer, its first piece, each once the load has landed (the
  // chain before its first KV copy: piece, then its unit, then the page
  // entry of its first block; bench/NOTES.md v65):
  kTimelinePieceLanded = 11,
  kTimelineUnitLanded = 12,
  kTimelinePageLanded = 13,
  // Not a time: the SM the CTA runs on, plus 1 (0 marks an empty slot). Its
  // CTAs do equal work in a fixed-length step whose units fill the GPU, yet
  // their ends spread by ~20 µs: two clusters of SM rates by TPC, not the
  // same SMs from run to run (bench/NOTES.md v84).
  kTimelineSm = 14,
  kTimelineEvents = 15,
};

#ifdef MLADEC_BLOCK_TRACE
__device__ unsigned long long g_step_timeline[kTimelineCtas][kTimelineEvents];

// Stamps `event` in `slot` (a CTA's by default). The planner, one CTA,
// stamps its barriers in the slots after its own (plan_kernel.cu).
__device__ __forceinline__ void timeline(TimelineEvent event, unsigned slot = blockIdx.x) {
  if (slot >= kTimelineCtas) return;
  g_step_timeline[slot][event] = global_timer_ns();
}

// Records the CTA's SM (kTimelineSm).
__device__ __forceinline__ void timeline_sm() {
  if (blockIdx.x >= kTimelineCtas) return;
  unsigned sm;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(sm));
  g_step_timeline[blockIdx.x][kTimelineSm] = sm + 1ull;
}

// Stamps `event` once `landed`, a load's result, is in a register: the
// stamp's slot depends on it, so the stamp cannot be taken while the load is
// in flight (timeline() after a load may be, since nothing waits for it).
__device__ __forceinline__ void timeline_after(TimelineEvent event, int landed) {
  timeline(event, landed == INT32_MIN ? kTimelineCtas : blockIdx.x);
}

namespace {
// Prints this translation unit's stamps as "timeline KERNEL CTA EVENT NS"
// lines and clears them.
[[maybe_unused]] void print_timeline_slots(std::FILE* out, const char* kernel) {
  static unsigned long long stamps[kTimelineCtas][kTimelineEvents];
  cuda_check(cudaDeviceSynchronize(), "timeline sync");
  cuda_check(cudaMemcpyFromSymbol(stamps, g_step_timeline, sizeof stamps), "timeline read");
  for (int cta = 0; cta < kTimelineCtas; ++cta) {
    for (int event = 0; event < kTimelineEvents; ++event) {
      if (stamps[cta][event] != 0) {
        std::fprintf(out, "timeline %s %d %d %llu\n", kernel, cta, event, stamps[cta][event]);
      }
    }
  }
  void* slots = nullptr;
  cuda_check(cudaGetSymbolAddress(&slots, g_step_timeline), "timeline address");
  cuda_check(cudaMemset(slots, 0, sizeof stamps), "timeline clear");
}
}  // namespace
#else
__device__ __forceinline__ void timeline(TimelineEvent, unsigned = 0) {}
__device__ __forceinline__ void timeline_after(TimelineEvent, int) {}
__device__ __forceinline__ void timeline_sm() {}
#endif

}  // namespace mladec::detail
