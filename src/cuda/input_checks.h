#pragma once
// Checked mode (DecodeArgs::checked or MLADEC_CHECKED=1): before the decode
// kernels run, one small kernel checks on the device what the host cannot
// see without a copy — the plan's every index, the lengths and every
// block-table entry a request uses. A failure is recorded in a status word
// the decode and combine kernels read first: they then return without
// touching memory, and decode() reports the failure as a typed error.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "mladec/decode.h"
#include "src/cuda/decode_params.h"

namespace mladec::detail {

// What failed, most specific first: one bad length also makes the plan
// disagree with the lengths, and the error should name the length.
enum InputCheck : int32_t {
  kSeqLenOutOfRange,        // request, -, length
  kPlannerRejectedLengths,  // -, -, the planner's status
  kBlockTableOutOfRange,    // request, column, page
  kPlanCorrupt,             // PlanField, index, value
  kNumInputChecks,
};

// Which plan field a kPlanCorrupt failure names (index into a message table).
enum PlanField : int32_t {
  kFieldHeaderCounts,
  kFieldWorkerRange,
  kFieldPieceUnit,
  kFieldPieceRange,
  kFieldPieceSlot,
  kFieldUnitRequest,
  kFieldUnitKvLen,
  kFieldUnitQueryRange,
  kFieldUnitRows,
  kFieldUnitSlots,
  kFieldCombineEntry,
};

// One failure of a check (the first thread to find one records it). It
// belongs to the call whose generation it carries.
struct InputCheckFinding {
  uint64_t generation;
  int32_t field_or_request;
  int32_t index;
  int32_t value;
  int32_t unused;
};

// Lives in the workspace (PlanLayout::check_status_offset). Every checked
// call has its own 64-bit generation: a finding or failure counts only when
// it carries the call's generation, so an eager call needs no zeroing of the
// status (one stream operation less; a captured call zeroes it, since its
// generation is fixed in the graph). `failed_generation` is what the
// kernels read; `copied_generation` is set by the decode kernel's copy to
// host memory and proves the copy happened.
struct InputCheckStatus {
  uint64_t failed_generation;
  uint64_t copied_generation;
  InputCheckFinding findings[kNumInputChecks];
};
#ifdef __CUDACC__
// One warp of the decode kernel copies the status to the host
// (DecodeParams::check_status_host, when set), the copied generation last
// so that it proves the rest arrived.
__device__ __forceinline__ void copy_check_status_to_host(const DecodeParams& p) {
  if (p.check_status_host == nullptr) return;
  constexpr int kMarkerWord = offsetof(InputCheckStatus, copied_generation) / 4;
  const uint32_t* words = reinterpret_cast<const uint32_t*>(
      reinterpret_cast<const uint8_t*>(p.check_status) -
      offsetof(InputCheckStatus, failed_generation));
  for (int w = threadIdx.x % 32; w < p.check_status_words; w += 32) {
    if (w != kMarkerWord && w != kMarkerWord + 1) p.check_status_host[w] = words[w];
  }
  __syncwarp();
  if (threadIdx.x % 32 == 0) {
    __threadfence_system();
    *reinterpret_cast<volatile unsigned long long*>(p.check_status_host + kMarkerWord) =
        p.check_generation;
  }
}
#endif

static_assert(sizeof(InputCheckStatus) <= kCheckStatusBytes,
              "the workspace region reserved for the status");

bool checked_mode_requested(const DecodeArgs& args);

// This thread's page-locked, device-mapped copy of a status, which the
// decode kernel writes (DecodeParams::check_status_host = device_words).
// Allocated on first use, freed when the thread ends.
struct PinnedCheckStatus {
  InputCheckStatus* host = nullptr;
  uint32_t* device_words = nullptr;  // the same memory, as the device sees it
};
const PinnedCheckStatus& pinned_check_status();

// A generation no other checked call of this process uses (nor, but with
// probability 2^-64, any earlier process whose status a fresh workspace may
// still hold): a randomly seeded 64-bit counter, never 0.
uint64_t next_check_generation();

// Launches the checks into `status` (device memory), recording failures
// under `generation`; zeroes the status first when `zero_first`.
void launch_input_checks(const DecodeProblem& problem, const KernelConfig& config,
                         const PlanLayout& layout, const DecodeParams& params,
                         const int32_t* seqlens, InputCheckStatus* status,
                         uint64_t generation, bool zero_first, cudaStream_t stream);

// Waits until the decode kernel has copied `generation`'s status to
// `pinned` — its CTA 0 does so before touching anything — not until the
// step is done: the caller learns the verdict while the step runs, and its
// next launch queues behind it as an unchecked call's would. Should the
// stream finish without the copy (a launch that failed), its error is
// thrown, or throw_if_checks_failed reports the missing copy.
void wait_for_check_status(const PinnedCheckStatus& pinned, uint64_t generation,
                           cudaStream_t stream);

// Throws the mladec::Error of the most specific check that failed in
// `generation`, if any.
void throw_if_checks_failed(const DecodeProblem& problem, const InputCheckStatus& status,
                            uint64_t generation);

}  // namespace mladec::detail
