// libFuzzer target for the planner and the plan validator (DESIGN §1: plans
// are checked). Each input decodes to a DecodeProblem, a KernelConfig, a
// worker count and per-request lengths, most of them valid and some at or
// past their limits. The properties:
//   - an invalid problem, config or worker count is refused by plan_layout
//     with a mladec::Error, and invalid lengths by make_host_plan with
//     kBadSeqLen / kBadQoIndptr (never kPlanInvalid: that is the planner
//     failing on lengths that were accepted);
//   - every plan made is accepted by validate_plan, and plan_balance is
//     finite and >= 1;
//   - a plan with a few bytes overwritten is either accepted or refused with
//     kPlanInvalid: the validator never reads out of bounds itself.
// Anything else (another exception, a sanitizer report) aborts, which
// libFuzzer reports as a crash with the input that caused it.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <vector>

#include "mladec/config.h"
#include "mladec/error.h"
#include "mladec/plan.h"
#include "src/core/config_knobs.h"

namespace {

using namespace mladec;

// Plans larger than this are skipped: they only cost time, and the shapes
// that overflow int32/int64 limits are refused before any allocation.
constexpr size_t kMaxPlanBytes = size_t(4) << 20;

[[noreturn]] void fail(const char* what, const char* detail) {
  std::fprintf(stderr, "plan_fuzzer: %s: %s\n", what, detail);
  std::abort();
}

// Reads the fuzz input as a stream of bytes, wrapping around at the end so
// that a short input still describes a whole batch of lengths.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t byte() { return size_ == 0 ? 0 : data_[next_++ % size_]; }
  uint32_t u32() {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = value << 8 | byte();
    return value;
  }
  // Whether some input is still unread (reads past the end wrap around).
  bool fresh() const { return next_ < size_; }

  // Mostly a value in [lo, hi]; one byte in eight gives a log-uniform value
  // in [lo, wide] instead (sizes far past the usual ones), one in eight one
  // of `edges` (limits, one past them, zero, negatives).
  int64_t pick(int64_t lo, int64_t hi, int64_t wide,
               std::initializer_list<int64_t> edges) {
    const uint8_t selector = byte();
    if (selector >= 224 && edges.size() > 0) {
      return edges.begin()[(selector - 224) % edges.size()];
    }
    if (selector >= 192) {
      const uint64_t span = uint64_t(wide - lo);
      const int bits = byte() % (std::bit_width(span) + 1);
      const uint64_t random = uint64_t(u32()) << 32 | u32();
      const uint64_t mask =
          bits == 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
      return lo + int64_t(std::min(random & mask, span));
    }
    return lo + int64_t(u32() % (uint64_t(hi - lo) + 1));
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t next_ = 0;
};

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

DecodeProblem read_problem(Input& in) {
  DecodeProblem p;
  const uint8_t flags = in.byte();
  p.ragged_q = flags & 1;
  p.causal = !(flags & 2);
  p.policy =
      (flags & 4) ? SchedulePolicy::kFixedChunk : SchedulePolicy::kBalanced;
  if ((flags & 0xf8) == 0xf8) p.policy = static_cast<SchedulePolicy>(2);
  p.batch = int(
      in.pick(1, 24, 1 << 18,
              {0, -1, 1000, 4096, 1 << 17, 1 << 20, (1 << 20) + 1, kInt32Min}));
  p.num_heads = int(in.pick(1, 128, 128, {0, -1, 129, 64, 128, kInt32Max}));
  p.max_q_len = int(in.pick(1, 8, 64, {0, -1, 16, 64, 65, 32}));
  p.page_size =
      int(in.pick(1, 128, 1 << 16, {0, -1, 1, 64, 1 << 16, kInt32Max}));
  p.max_pages_per_request = int(in.pick(
      1, 32, 1 << 16, {0, -1, 1 << 14, (1 << 14) + 1, 1 << 20, kInt32Max}));
  p.num_pages = in.pick(1, 1000, int64_t(1) << 40,
                        {0, -1, std::numeric_limits<int64_t>::max()});
  const uint8_t dtype = in.byte() % 4;
  p.kv_dtype =
      dtype == 3 ? static_cast<KvDtype>(7) : static_cast<KvDtype>(dtype);
  const uint8_t scale = in.byte();
  const float scales[] = {0.f, -1.f, std::nanf(""),
                          std::numeric_limits<float>::infinity(), 1e-30f};
  p.softmax_scale = scale < 240 ? 0.0417f : scales[scale % 5];
  p.fixed_chunk_tokens = int(64 * in.pick(0, 16, 1 << 14, {-1, 1 << 20}) +
                             (in.byte() == 255 ? 1 : 0));
  return p;
}

KernelConfig read_config(Input& in, KernelConfig config) {
  if (in.byte() < 224) return config;  // usually select_config's own
  config.tile_rows = int(in.pick(1, 128, 1024, {0, -1, 1024, 1025}));
  config.split_align_tokens = int(in.pick(1, 64, 1 << 16, {0, -8, 1 << 20}));
  // Each planner knob (src/core/config_knobs.h): mostly in its range, at
  // times just outside it or at the int limit.
  for (const detail::ConfigKnob& knob : detail::kConfigKnobs) {
    const int64_t typical = knob.most < 512 ? knob.most : 512;
    const int64_t wide = knob.most < (1 << 20) ? knob.most : (1 << 20);
    config.*knob.field = int(in.pick(knob.least, typical, wide,
                                     {knob.least - 1, knob.most == kInt32Max ? kInt32Max
                                                                             : knob.most + 1}));
  }
  config.fixed_chunk_tokens = int(in.pick(1, 4096, 1 << 20, {0, -64}));
  return config;
}

// Per-request query lengths (qo_indptr) and KV lengths, mostly valid.
void read_lengths(Input& in, DecodeProblem& p, std::vector<int32_t>& seqlens,
                  std::vector<int32_t>& qo_indptr) {
  const int64_t max_kv = p.max_kv_len();
  qo_indptr.assign(size_t(p.batch) + 1, 0);
  seqlens.resize(size_t(p.batch));
  for (int b = 0; b < p.batch; ++b) {
    const uint8_t kind = in.byte();
    int64_t len;
    if (kind < 180) {
      len = int64_t(in.u32() % uint64_t(max_kv + 1));
    } else if (kind < 210) {
      len = 0;
    } else if (kind < 250) {
      len = max_kv;
    } else {
      const int64_t bad[] = {-1, max_kv + 1, kInt32Max, kInt32Min, 1};
      len = bad[kind % 5];
    }
    seqlens[b] = int32_t(std::clamp<int64_t>(len, kInt32Min, kInt32Max));
    int64_t q_len = p.max_q_len;
    if (p.ragged_q) {
      const uint8_t q = in.byte();
      q_len =
          q < 250 ? q % (p.max_q_len + 1) : (q == 255 ? -1 : p.max_q_len + 1);
    }
    qo_indptr[b + 1] = int32_t(
        std::clamp<int64_t>(qo_indptr[b] + q_len, kInt32Min, kInt32Max));
  }
  p.total_q = p.ragged_q ? qo_indptr[p.batch] : int64_t(p.batch) * p.max_q_len;
  const uint8_t skew = in.byte();
  if (skew >= 250) p.total_q += skew - 252;  // -2..3 rows off
  if (p.ragged_q && in.byte() == 255) qo_indptr[0] = 1;
}

bool planned_lengths_error(ErrorCode code) {
  return code == ErrorCode::kBadSeqLen || code == ErrorCode::kBadQoIndptr;
}

void check_corrupted_plan(Input& in, const DecodeProblem& problem,
                          HostPlan& plan, RequestLengths lengths) {
  const int writes = in.byte() % 4;
  for (int i = 0; i < writes && in.fresh(); ++i) {
    const size_t offset = in.u32() % plan.buffer.size();
    plan.buffer[offset] = std::byte{in.byte()};
  }
  try {
    validate_plan(problem, plan.config, plan.layout, lengths,
                  plan.buffer.data());
  } catch (const Error& error) {
    if (error.code() != ErrorCode::kPlanInvalid) {
      fail("validate_plan refused a corrupted plan with the wrong code",
           error.what());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  DecodeProblem problem = read_problem(in);
  const int workers =
      int(in.pick(1, 300, 65536, {0, -1, 1, 132, 65536, 65537}));

  // First the shape with the most query rows it allows (the real total_q of a
  // ragged problem is known only with its lengths, and is no larger): an
  // invalid shape is refused here, and one too large to be worth planning is
  // skipped, before any per-request vector is sized.
  problem.total_q = int64_t(problem.batch) * problem.max_q_len;
  KernelConfig config;
  try {
    config = read_config(in, select_config(problem));
    if (plan_layout(problem, config, workers).plan_bytes > kMaxPlanBytes) {
      return 0;
    }
  } catch (const Error&) {
    return 0;  // refused before anything was sized: the expected outcome
  }

  std::vector<int32_t> seqlens, qo_indptr;
  read_lengths(in, problem, seqlens, qo_indptr);
  PlanLayout layout;
  try {
    layout = plan_layout(problem, config, workers);  // total_q may be off now
  } catch (const Error&) {
    return 0;
  }

  const RequestLengths lengths{seqlens.data(),
                               problem.ragged_q ? qo_indptr.data() : nullptr};
  HostPlan plan;
  try {
    plan = make_host_plan(problem, config, workers, lengths);
  } catch (const Error& error) {
    if (!planned_lengths_error(error.code())) {
      fail("make_host_plan failed on a problem plan_layout accepted",
           error.what());
    }
    return 0;
  }
  try {
    validate_plan(problem, config, layout, lengths, plan.buffer.data());
  } catch (const Error& error) {
    fail("validate_plan refused a plan make_host_plan made", error.what());
  }
  const PlanBalance balance = plan_balance(config, plan);
  if (!std::isfinite(balance.max_over_mean) || balance.max_over_mean < 1.0) {
    fail("plan_balance is not finite and >= 1", "max_over_mean");
  }
  check_corrupted_plan(in, problem, plan, lengths);
  return 0;
}
