#pragma once
// Checked mode's status in the workspace and what its findings mean: shared
// by the host side (input_checks.h) and the decode kernel, which runs the
// checks itself (input_checks_device.cuh).
#include <cstdint>

#include "mladec/plan.h"

namespace mladec::detail {

// What failed, most specific first: one bad length also makes the plan
// disagree with the lengths, and the error should name the length.
enum InputCheck : int32_t {
  kSeqLenOutOfRange,        // request, -, length
  kPlannerRejectedLengths,  // -, -, the planner's status
  kBlockTableOutOfRange,    // request, column, page
  kPlanCorrupt,             // PlanField, index, value
  kNotCoResident,           // -, -, CTAs that had met at the checks' grid barrier
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

// The checks' grid barrier word (InputCheckStatus::barrier): the count of
// decode CTAs that finished their share of the checks in the low
// kBarrierCountBits, a "given up" flag above it, and the low bits of the
// call's generation above that — so an eager call needs no zeroing.
constexpr int kBarrierCountBits = 23;  // far more than any GPU's SM count
constexpr uint64_t kBarrierCountMask = (uint64_t(1) << kBarrierCountBits) - 1;
constexpr uint64_t kBarrierGivenUp = uint64_t(1) << kBarrierCountBits;
constexpr int kBarrierTagShift = kBarrierCountBits + 1;
constexpr uint64_t kBarrierTagMask = (uint64_t(1) << (64 - kBarrierTagShift)) - 1;
// A captured call's fixed generation (its status is zeroed on every replay;
// eager calls never use a generation whose barrier tag is 0 or this one).
constexpr uint64_t kCapturedCheckGeneration = 1;

// Lives in the workspace (PlanLayout::check_status_offset). Every checked
// call has its own 64-bit generation: a finding or failure counts only when
// it carries the call's generation, so an eager call needs no zeroing of the
// status (one stream operation less; a captured call zeroes it, since its
// generation is fixed in the graph). `failed_generation` is what the
// kernels read; `copied_generation` is set by the decode kernel's copy to
// host memory and proves the copy happened; `barrier` as above.
struct InputCheckStatus {
  uint64_t failed_generation;
  uint64_t copied_generation;
  uint64_t barrier;
  InputCheckFinding findings[kNumInputChecks];
};
static_assert(sizeof(InputCheckStatus) <= kCheckStatusBytes,
              "the workspace region reserved for the status");

// The host-side facts the checks compare device data with.
struct InputCheckLimits {
  const int32_t* seqlens;
  int batch;
  int max_pages_per_request;
  int64_t num_pages;
  int64_t max_kv_len;
  int64_t total_q;
  int tile_rows;
  int workers;
  int max_units, max_pieces, max_combine, max_split_slots;
};

}  // namespace mladec::detail
