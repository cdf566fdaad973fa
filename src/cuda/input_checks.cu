#include "src/cuda/input_checks.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <random>

#include "src/core/require.h"
#include "src/cuda/cuda_check.h"

namespace mladec::detail {
namespace {

const char* plan_field_name(int32_t field) {
  switch (field) {
    case kFieldHeaderCounts: return "header counts past the layout's capacities";
    case kFieldWorkerRange: return "worker piece range";
    case kFieldPieceUnit: return "piece unit index";
    case kFieldPieceRange: return "piece KV range";
    case kFieldPieceSlot: return "piece split slot";
    case kFieldUnitRequest: return "unit request index";
    case kFieldUnitKvLen: return "unit kv_len (differs from seqlens)";
    case kFieldUnitQueryRange: return "unit query range";
    case kFieldUnitRows: return "unit row range";
    case kFieldUnitSlots: return "unit split slots";
    case kFieldCombineEntry: return "combine entry";
  }
  return "unknown field";
}

}  // namespace

bool checked_mode_requested(const DecodeArgs& args) {
  if (args.checked) return true;
  // Read on every call (a getenv is cheap next to a launch), so a process can
  // turn it on for a debugging session without rebuilding anything.
  const char* env = std::getenv("MLADEC_CHECKED");
  return env != nullptr && std::strcmp(env, "") != 0 && std::strcmp(env, "0") != 0;
}

const PinnedCheckStatus& pinned_check_status() {
  struct Pinned {
    PinnedCheckStatus status;
    Pinned() {
      cuda_check(cudaHostAlloc(reinterpret_cast<void**>(&status.host), sizeof(InputCheckStatus),
                               cudaHostAllocMapped),
                 "cudaHostAlloc(check status)");
      cuda_check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&status.device_words),
                                          status.host, 0),
                 "cudaHostGetDevicePointer(check status)");
    }
    ~Pinned() { cudaFreeHost(status.host); }  // at thread exit; errors do not matter then
  };
  thread_local Pinned pinned;
  return pinned.status;
}

uint64_t next_check_generation() {
  static std::atomic<uint64_t> next{[] {
    std::random_device entropy;
    return (uint64_t(entropy()) << 32) ^ uint64_t(entropy());
  }()};
  uint64_t generation = next.fetch_add(1);
  while ((generation & kBarrierTagMask) == 0 ||
         (generation & kBarrierTagMask) == kCapturedCheckGeneration) {
    generation = next.fetch_add(1);
  }
  return generation;
}

void prepare_input_checks(const DecodeProblem& problem, const KernelConfig& config,
                          const PlanLayout& layout, const int32_t* seqlens,
                          InputCheckStatus* status, uint64_t generation, bool zero_first,
                          DecodeParams& params, cudaStream_t stream) {
  InputCheckLimits& c = params.check_limits;
  c.seqlens = seqlens;
  c.batch = problem.batch;
  c.max_pages_per_request = problem.max_pages_per_request;
  c.num_pages = problem.num_pages;
  c.max_kv_len = problem.max_kv_len();
  c.total_q = problem.total_q;
  c.tile_rows = config.tile_rows;
  c.workers = layout.workers;
  c.max_units = layout.max_units;
  c.max_pieces = layout.max_pieces;
  c.max_combine = layout.max_combine;
  c.max_split_slots = layout.max_split_slots;
  params.check_status = status;
  params.check_generation = generation;
  if (zero_first) {
    cuda_check(cudaMemsetAsync(status, 0, sizeof(InputCheckStatus), stream),
               "cudaMemsetAsync(check status)");
  }
}

void wait_for_check_status(const PinnedCheckStatus& pinned, uint64_t generation,
                           cudaStream_t stream) {
  const volatile uint64_t* copied = &pinned.host->copied_generation;
  // The copy lands over PCIe a few µs after the checks; the stream is
  // asked only now and then (a query costs about as much as a launch).
  for (int spins = 1; *copied != generation; ++spins) {
    if (spins % 256 != 0) continue;
    const cudaError_t state = cudaStreamQuery(stream);
    if (state == cudaErrorNotReady) continue;
    cuda_check(state, "checked decode");
    break;  // the stream is done: the copy arrived or never will
  }
  // The status words were written before the generation (system fence).
  std::atomic_thread_fence(std::memory_order_acquire);
}

void throw_if_checks_failed(const DecodeProblem& problem, const InputCheckStatus& status,
                            uint64_t generation) {
  require(status.copied_generation == generation, ErrorCode::kCudaError,
          "checked mode: the decode kernel did not report the checks' status");
  if (status.failed_generation != generation) return;
  for (int check = 0; check < kNumInputChecks; ++check) {
    const InputCheckFinding& f = status.findings[check];
    if (f.generation != generation) continue;
    switch (InputCheck(check)) {
      case kSeqLenOutOfRange:
        fail(ErrorCode::kBadSeqLen, "checked mode: seqlens[", f.field_or_request, "] = ",
             f.value, " is outside [0, max_pages_per_request * page_size = ",
             problem.max_kv_len(), "]; nothing was run");
      case kPlannerRejectedLengths:
        fail(ErrorCode::kBadSeqLen,
             "checked mode: the device planner rejected the lengths (status ", f.value,
             "): a qo_indptr that is not monotone within total_q or a query length "
             "past max_q_len; nothing was run");
      case kBlockTableOutOfRange:
        fail(ErrorCode::kBadBlockTable, "checked mode: block_table[", f.field_or_request,
             "][", f.index, "] = ", f.value, " is outside [0, num_pages = ",
             problem.num_pages, ") but request ", f.field_or_request,
             " uses it; nothing was run");
      case kPlanCorrupt:
        fail(ErrorCode::kPlanInvalid, "checked mode: the plan is corrupt: ",
             plan_field_name(f.field_or_request), " at index ", f.index, " (value ",
             f.value, "); nothing was run");
      case kNotCoResident:
        fail(ErrorCode::kUnsupportedDevice,
             "checked mode: only ", f.value, " of the decode kernel's CTAs had met at the "
             "checks' grid barrier after 2 s — they must all be resident at once (a GPU "
             "shared through MPS or green contexts may have fewer SMs than the plan's "
             "workers); nothing was written");
      case kNumInputChecks:
        break;
    }
  }
}

}  // namespace mladec::detail
