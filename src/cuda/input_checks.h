#pragma once
// Checked mode (DecodeArgs::checked or MLADEC_CHECKED=1): before the decode
// kernels run, one small kernel checks on the device what the host cannot
// see without a copy — the plan's every index, the lengths and every
// block-table entry a request uses. A failure is recorded in a status word
// the decode and combine kernels read first: they then return without
// touching memory, and decode() reports the failure as a typed error.
#include <cuda_runtime_api.h>

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

// One failure of a check (the first thread to find one records it).
struct InputCheckFinding {
  int32_t found;
  int32_t field_or_request;
  int32_t index;
  int32_t value;
};

// All zero when every check passed. `failed` is what the kernels read.
// Lives in the workspace (PlanLayout::check_status_offset).
struct InputCheckStatus {
  int32_t failed;
  InputCheckFinding findings[kNumInputChecks];
};
static_assert(sizeof(InputCheckStatus) <= kCheckStatusBytes,
              "the workspace region reserved for the status");

bool checked_mode_requested(const DecodeArgs& args);

// This thread's page-locked copy of a status, so that reading it back is
// one asynchronous 128-byte copy (a pageable copy stages through a driver
// buffer). Allocated on first use, freed when the thread ends.
InputCheckStatus& pinned_check_status();

// Launches the checks into `status` (device memory, zeroed by the call).
void launch_input_checks(const DecodeProblem& problem, const KernelConfig& config,
                         const PlanLayout& layout, const DecodeParams& params,
                         const int32_t* seqlens, InputCheckStatus* status,
                         cudaStream_t stream);

// Throws the mladec::Error of the most specific failed check, if any.
void throw_if_checks_failed(const DecodeProblem& problem,
                                            const InputCheckStatus& status);

}  // namespace mladec::detail
