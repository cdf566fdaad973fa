#include "src/cuda/input_checks.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <random>

#include "src/core/require.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/cuda_check.h"

namespace mladec::detail {
namespace {

constexpr int kCheckThreads = 256;
constexpr int kCheckBlocks = 64;

struct CheckParams {
  DecodeParams decode;
  uint64_t generation;
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

__device__ void report(InputCheckStatus* status, uint64_t generation, InputCheck check,
                       int32_t what, int32_t index, int32_t value) {
  InputCheckFinding& finding = status->findings[check];
  using Word = unsigned long long;
  // The first thread to stamp this call's generation fills in the details.
  if (atomicExch(reinterpret_cast<Word*>(&finding.generation), Word(generation)) !=
      Word(generation)) {
    finding.field_or_request = what;
    finding.index = index;
    finding.value = value;
  }
  atomicExch(reinterpret_cast<Word*>(&status->failed_generation), Word(generation));
}

// Grid-wide loop over [0, n).
template <typename Fn>
__device__ void for_each(int64_t n, Fn&& fn) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    fn(i);
  }
}

__device__ bool in_range(int64_t value, int64_t lo, int64_t hi) {  // [lo, hi)
  return value >= lo && value < hi;
}

__global__ void __launch_bounds__(kCheckThreads)
    input_checks_kernel(const __grid_constant__ CheckParams c, InputCheckStatus* status) {
  allow_dependent_launch();  // the decode kernel waits for this grid's end
  const DecodeParams& p = c.decode;
  const int32_t* block_table = p.block_table;

  // Lengths and the block-table entries each request's KV uses.
  for_each(c.batch, [&](int64_t b) {
    const int32_t len = c.seqlens[b];
    if (len < 0 || len > c.max_kv_len) report(status, c.generation, kSeqLenOutOfRange, int32_t(b), 0, len);
  });
  for_each(int64_t(c.batch) * c.max_pages_per_request, [&](int64_t i) {
    const int64_t b = i / c.max_pages_per_request;
    const int64_t column = i % c.max_pages_per_request;
    const int64_t len = min(int64_t(max(c.seqlens[b], 0)), c.max_kv_len);
    if (column * p.page_size >= len) return;
    const int32_t page = block_table[b * p.block_table_stride + column];
    if (!in_range(page, 0, c.num_pages)) {
      report(status, c.generation, kBlockTableOutOfRange, int32_t(b), int32_t(column), page);
    }
  });

  // The plan: counts first; the loops below never pass the capacities.
  const PlanHeader h = *p.header;
  if (h.status != 0) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
      report(status, c.generation, kPlannerRejectedLengths, 0, 0, h.status);
    }
    return;
  }
  if (!in_range(h.num_units, 0, c.max_units + 1) ||
      !in_range(h.num_pieces, 0, c.max_pieces + 1) ||
      !in_range(h.num_combine, 0, c.max_combine + 1) ||
      !in_range(h.num_split_slots, 0, c.max_split_slots + 1) || h.workers != c.workers) {
    if (blockIdx.x == 0 && threadIdx.x == 0) report(status, c.generation, kPlanCorrupt, kFieldHeaderCounts, 0, 0);
    return;
  }
  for_each(c.workers, [&](int64_t w) {
    const int32_t first = p.worker_piece_begin[w], next = p.worker_piece_begin[w + 1];
    const bool ok = first >= 0 && first <= next && next <= h.num_pieces &&
                    (w > 0 || first == 0) && (w + 1 < c.workers || next == h.num_pieces);
    if (!ok) report(status, c.generation, kPlanCorrupt, kFieldWorkerRange, int32_t(w), first);
  });
  for_each(h.num_pieces, [&](int64_t i) {
    const PlanPiece piece = p.pieces[i];
    if (!in_range(piece.unit, 0, h.num_units)) {
      report(status, c.generation, kPlanCorrupt, kFieldPieceUnit, int32_t(i), piece.unit);
      return;
    }
    const PlanUnit unit = p.units[piece.unit];
    if (piece.kv_begin < 0 || piece.kv_begin > piece.kv_end || piece.kv_end > unit.kv_len) {
      report(status, c.generation, kPlanCorrupt, kFieldPieceRange, int32_t(i), piece.kv_end);
    }
    if (piece.slot != -1 && !in_range(piece.slot, 0, h.num_split_slots)) {
      report(status, c.generation, kPlanCorrupt, kFieldPieceSlot, int32_t(i), piece.slot);
    }
  });
  for_each(h.num_units, [&](int64_t u) {
    const PlanUnit unit = p.units[u];
    if (!in_range(unit.request, 0, c.batch)) {
      report(status, c.generation, kPlanCorrupt, kFieldUnitRequest, int32_t(u), unit.request);
      return;
    }
    if (unit.kv_len != c.seqlens[unit.request]) {
      report(status, c.generation, kPlanCorrupt, kFieldUnitKvLen, int32_t(u), unit.kv_len);
    }
    if (unit.q_start < 0 || unit.q_len < 0 || int64_t(unit.q_start) + unit.q_len > c.total_q) {
      report(status, c.generation, kPlanCorrupt, kFieldUnitQueryRange, int32_t(u), unit.q_start);
    }
    if (unit.row_begin < 0 || !in_range(unit.row_count, 1, c.tile_rows + 1) ||
        int64_t(unit.row_begin) + unit.row_count > int64_t(unit.q_len) * p.num_heads) {
      report(status, c.generation, kPlanCorrupt, kFieldUnitRows, int32_t(u), unit.row_count);
    }
    const bool split = unit.num_splits > 1;
    if (unit.num_splits < 1 ||
        (split && (unit.first_slot < 0 ||
                   int64_t(unit.first_slot) + unit.num_splits > h.num_split_slots))) {
      report(status, c.generation, kPlanCorrupt, kFieldUnitSlots, int32_t(u), unit.first_slot);
    }
  });
  for_each(h.num_combine, [&](int64_t i) {
    const int32_t unit = p.combine[i];
    if (!in_range(unit, 0, h.num_units) || p.units[unit].num_splits < 2) {
      report(status, c.generation, kPlanCorrupt, kFieldCombineEntry, int32_t(i), unit);
    }
  });
}

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
  while (generation == 0) generation = next.fetch_add(1);
  return generation;
}

void launch_input_checks(const DecodeProblem& problem, const KernelConfig& config,
                         const PlanLayout& layout, const DecodeParams& params,
                         const int32_t* seqlens, InputCheckStatus* status,
                         uint64_t generation, bool zero_first, cudaStream_t stream) {
  CheckParams c{};
  c.decode = params;
  c.generation = generation;
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
  if (zero_first) {
    cuda_check(cudaMemsetAsync(status, 0, sizeof(InputCheckStatus), stream),
               "cudaMemsetAsync(check status)");
  }
  input_checks_kernel<<<kCheckBlocks, kCheckThreads, 0, stream>>>(c, status);
  cuda_check(cudaGetLastError(), "input_checks_kernel launch");
}

void wait_for_check_status(const PinnedCheckStatus& pinned, uint64_t generation,
                           cudaStream_t stream) {
  const volatile uint64_t* copied = &pinned.host->copied_generation;
  // The copy lands over PCIe a few µs after the check kernel; the stream is
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
      case kNumInputChecks:
        break;
    }
  }
}

}  // namespace mladec::detail
