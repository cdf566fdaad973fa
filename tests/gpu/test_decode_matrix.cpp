// The GPU decode against the float64 CPU reference over every head count of
// every TP split (and odd ones) × s_q × page size × length pattern × batch,
// with NaN-poisoned unused KV slots, huge block-table tails and NaN-poisoned
// outputs, for each KV cache format; then fixed-length shapes the planner
// gives whole units (idle workers, no split). MLADEC_GPU_QUICK=N runs every
// N-th matrix case (for compute-sanitizer) and all the whole-unit shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>

#include "mladec/compare.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"

namespace mladec {
namespace {

enum class Lengths { kFixed, kVarlen, kSomeZero };

struct MatrixCase {
  KvDtype kv_dtype;
  int heads, q_len, page_size, batch, workers;
  Lengths lengths;
  SchedulePolicy policy;
  bool ragged;
  uint64_t seed;

  std::string describe() const {
    std::ostringstream s;
    s << kv_dtype_name(kv_dtype) << " h_q=" << heads << " s_q=" << q_len << " page=" << page_size
      << " batch=" << batch << " workers=" << workers << " lengths="
      << (lengths == Lengths::kFixed ? "fixed"
          : lengths == Lengths::kVarlen ? "varlen" : "some_zero")
      << " policy=" << policy_name(policy) << (ragged ? " ragged" : "")
      << " seed=" << seed;
    return s.str();
  }
};

constexpr int kHeads[] = {1, 3, 8, 16, 20, 32, 40, 63, 64, 96, 127, 128};
constexpr int kQLens[] = {1, 2, 3, 4, 8};
constexpr int kPageSizes[] = {1, 16, 64, 128};
constexpr int kBatches[] = {1, 3, 64, 300};
// query rows × KV tokens per case, so the float64 reference stays fast.
constexpr int64_t kRowTokenBudget = 800'000;

std::vector<MatrixCase> matrix_cases(KvDtype kv_dtype) {
  std::vector<MatrixCase> cases;
  int i = 0;
  for (int heads : kHeads) {
    for (int q_len : kQLens) {
      for (int page_size : kPageSizes) {
        MatrixCase c;
        c.kv_dtype = kv_dtype;
        c.heads = heads;
        c.q_len = q_len;
        c.page_size = page_size;
        c.lengths = Lengths(i % 3);
        c.batch = kBatches[(i / 3 + i) % 4];
        c.workers = i % 7 == 3 ? 7 : i % 7 == 5 ? 264 : 0;
        c.policy = i % 5 == 4 ? SchedulePolicy::kFixedChunk
                              : SchedulePolicy::kBalanced;
        c.ragged = q_len > 1 && i % 4 == 1;
        c.seed = 1000 + i + 10000 * int(kv_dtype);
        cases.push_back(c);
        ++i;
      }
    }
  }
  return cases;
}

RandomStep make_case_step(const MatrixCase& c) {
  RandomStepSpec spec;
  spec.kv_dtype = c.kv_dtype;
  spec.num_heads = c.heads;
  spec.page_size = c.page_size;
  spec.policy = c.policy;
  spec.seed = c.seed;
  const int64_t mean = std::clamp<int64_t>(
      kRowTokenBudget / (int64_t(c.batch) * c.q_len * c.heads), 4, 5000);
  switch (c.lengths) {
    case Lengths::kFixed:
      spec.seqlens.assign(c.batch, int32_t(mean));
      break;
    case Lengths::kVarlen:
      spec.seqlens = random_varlen(c.batch, int(mean), c.q_len, 4 * int(mean),
                                   c.seed);
      break;
    case Lengths::kSomeZero:
      spec.seqlens = random_varlen(c.batch, int(mean), 0, 4 * int(mean), c.seed);
      for (int b = 0; b < c.batch; b += 4) spec.seqlens[b] = 0;
      for (int b = 1; b < c.batch; b += 7) spec.seqlens[b] = 1;
      break;
  }
  spec.q_lens.assign(c.batch, c.q_len);
  if (c.ragged) {
    std::mt19937 rng(uint32_t(c.seed));
    for (int32_t& q : spec.q_lens) q = int32_t(rng() % (c.q_len + 1));
    spec.q_lens[0] = c.q_len;
    spec.ragged_q = true;
  }
  RandomStep step = make_random_step(spec);
  // Small chunks so that batch-invariant plans really split.
  if (c.policy == SchedulePolicy::kFixedChunk) step.problem.fixed_chunk_tokens = 256;
  return step;
}

// The device planner runs the host planner's code: the plans must agree.
void expect_same_plan(const HostPlan& host, const std::vector<std::byte>& device) {
  const PlanLayout& l = host.layout;
  const PlanHeader& h = host.header();
  auto same = [&](size_t offset, size_t bytes) {
    return std::memcmp(host.buffer.data() + offset, device.data() + offset, bytes) == 0;
  };
  EXPECT_TRUE(same(l.header_offset, sizeof(PlanHeader))) << "plan headers differ";
  EXPECT_TRUE(same(l.worker_piece_begin_offset, sizeof(int32_t) * (l.workers + 1)))
      << "worker ranges differ";
  EXPECT_TRUE(same(l.pieces_offset, sizeof(PlanPiece) * h.num_pieces))
      << "pieces differ";
  EXPECT_TRUE(same(l.units_offset, sizeof(PlanUnit) * h.num_units)) << "units differ";
  EXPECT_TRUE(same(l.combine_offset, sizeof(int32_t) * h.num_combine))
      << "combine lists differ";
}

// Fixed lengths the planner gives whole units (KernelConfig::
// split_cost_tokens: a few workers idle, no unit split), planned for 132
// workers whatever the GPU: shapes the matrix's lengths never reach.
std::vector<MatrixCase> whole_unit_cases(KvDtype kv_dtype) {
  struct Shape {
    int heads, q_len, batch, page_size;
  };
  // 128 units of 64 rows; 256 (two per worker); 128 of 16 rows; 128 of 32;
  // 128 of 64 rows from s_q 2; 130 units (two workers idle).
  constexpr Shape kShapes[] = {{128, 1, 64, 64}, {128, 1, 128, 16}, {16, 1, 128, 1},
                               {32, 1, 128, 64}, {64, 2, 64, 128},  {20, 1, 130, 64}};
  std::vector<MatrixCase> cases;
  int i = 0;
  for (const Shape& shape : kShapes) {
    MatrixCase c;
    c.kv_dtype = kv_dtype;
    c.heads = shape.heads;
    c.q_len = shape.q_len;
    c.page_size = shape.page_size;
    c.batch = shape.batch;
    c.workers = 132;
    c.lengths = Lengths::kFixed;
    c.policy = SchedulePolicy::kBalanced;
    c.ragged = false;
    c.seed = 5000 + i++ + 10000 * int(kv_dtype);
    cases.push_back(c);
  }
  return cases;
}

// fp8_compute: the problems ask for the fp8-compute mode (e4m3 caches; it
// runs at 64-row tiles). Its reference quantizes Q as the kernel does, so the
// tolerance covers P's e4m3 rounding only; the error against the exact
// reference (the mode's accuracy) is printed next to it.
// whole_units: each case's plan must be a whole-unit one.
void run_cases(const std::vector<MatrixCase>& cases, size_t stride, KvDtype kv_dtype,
               bool fp8_compute, bool whole_units) {
  const Tolerance tolerance = fp8_compute ? kFp8ComputeTolerance : kGpuTolerance;
  double worst_error = 0, worst_lse = 0, worst_exact_error = 0, worst_exact_lse = 0;
  int run = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (i % stride != 0) continue;
    const MatrixCase& c = cases[i];
    SCOPED_TRACE(c.describe());
    RandomStep step = make_case_step(c);
    step.problem.fp8_compute = fp8_compute;
    DeviceStep device(step.problem, step.inputs, c.workers);
    const HostDecodeOutputs ref = reference_decode(step.problem, step.inputs);
    device.poison_outputs(nullptr);
    device.plan(nullptr);
    device.decode(nullptr);
    const HostDecodeOutputs got = device.download_outputs();
    const Comparison cmp = compare_outputs(step.problem, step.inputs, ref, got);
    if (device.config().fp8_compute) {
      DecodeProblem exact = step.problem;
      exact.fp8_compute = false;
      const Comparison to_exact = compare_outputs(
          exact, step.inputs, reference_decode(exact, step.inputs), got);
      worst_exact_error = std::max(worst_exact_error, to_exact.relative_error);
      worst_exact_lse = std::max(worst_exact_lse, to_exact.max_lse_error);
    }
    EXPECT_TRUE(within(cmp, tolerance))
        << "relative error " << cmp.relative_error << ", max lse error "
        << cmp.max_lse_error << ", bad rows " << cmp.bad_rows << " ("
        << cmp.first_bad << ")";
    worst_error = std::max(worst_error, cmp.relative_error);
    worst_lse = std::max(worst_lse, cmp.max_lse_error);
    const HostPlan host_plan =
        make_host_plan(step.problem, device.config(), device.layout().workers,
                       step.inputs.lengths(step.problem));
    expect_same_plan(host_plan, device.download_plan());
    if (whole_units) {
      const std::vector<int64_t> cost = plan_balance(device.config(), host_plan).worker_cost;
      EXPECT_GT(std::count(cost.begin(), cost.end(), int64_t(0)), 0) << "not a whole-unit plan";
      EXPECT_EQ(host_plan.header().num_split_slots, 0) << "not a whole-unit plan";
    }
    ++run;
  }
  std::printf("%s%s%s: %d cases, worst relative error %.3g, worst lse error %.3g\n",
              kv_dtype_name(kv_dtype), fp8_compute ? " fp8_compute" : "",
              whole_units ? " whole-unit plans" : "", run, worst_error, worst_lse);
  if (fp8_compute) {
    std::printf("fp8_compute against the exact reference (its accuracy): worst relative error "
                "%.3g, worst lse error %.3g\n",
                worst_exact_error, worst_exact_lse);
  }
}

void run_matrix(KvDtype kv_dtype, bool fp8_compute = false) {
  const char* quick_env = std::getenv("MLADEC_GPU_QUICK");
  const size_t stride = quick_env ? std::max(1, std::atoi(quick_env)) : 1;
  run_cases(matrix_cases(kv_dtype), stride, kv_dtype, fp8_compute, false);
  run_cases(whole_unit_cases(kv_dtype), 1, kv_dtype, fp8_compute, true);
}

// The reference computes on the dequantized cache values, so every format
// has the same tolerance.
TEST(DecodeMatrix, Bf16MatchesReferenceForEveryShape) { run_matrix(KvDtype::kBf16); }
TEST(DecodeMatrix, Fp8E4m3MatchesReferenceForEveryShape) { run_matrix(KvDtype::kFp8E4m3); }
TEST(DecodeMatrix, Fp8BlockwiseMatchesReferenceForEveryShape) {
  run_matrix(KvDtype::kFp8Blockwise);
}
TEST(DecodeMatrix, Fp8ComputeMatchesReferenceForEveryShape) {
  run_matrix(KvDtype::kFp8E4m3, /*fp8_compute=*/true);
}

}  // namespace
}  // namespace mladec
