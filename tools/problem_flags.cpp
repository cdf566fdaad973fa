#include "tools/problem_flags.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "mladec/constants.h"

namespace mladec::cli {

namespace {

// The library's own limit on a request's KV length.
constexpr int64_t kMaxSeqlen = int64_t(1) << 30;
// --varlen draws up to 3 * MEAN (4 standard deviations).
constexpr int kVarlenSpread = 3;

}  // namespace

ProblemFlags take_problem_flags(Args& args, const ProblemDefaults& defaults) {
  ProblemFlags f;
  f.batch = int(args.take_int("batch", defaults.batch, 1, INT32_MAX));
  f.heads = int(args.take_int("heads", defaults.heads, 1, kMaxHeads));
  f.q_len = int(args.take_int("q-len", defaults.q_len, 1, kMaxQLen));
  f.page_size =
      int(args.take_int("page-size", defaults.page_size, 1, INT32_MAX));
  if (args.has("seqlen") && args.has("varlen")) {
    throw UsageError("--seqlen and --varlen exclude each other");
  }
  f.seqlen = int(args.take_int("seqlen", defaults.seqlen, 0, kMaxSeqlen));
  f.varlen_mean =
      int(args.take_int("varlen", 0, 1, kMaxSeqlen / kVarlenSpread));
  f.ragged = args.take_switch("ragged");
  f.causal = !args.take_switch("non-causal");
  f.policy = args.take_choice("policy", "balanced",
                              {"balanced", "fixed_chunk"}) == "balanced"
                 ? SchedulePolicy::kBalanced
                 : SchedulePolicy::kFixedChunk;
  f.chunk_tokens = int(args.take_int("chunk", 0, 1, INT32_MAX));
  const std::string dtype =
      args.take_choice("dtype", "bf16", {"bf16", "fp8_e4m3", "fp8_blockwise"});
  f.kv_dtype = dtype == "bf16"       ? KvDtype::kBf16
               : dtype == "fp8_e4m3" ? KvDtype::kFp8E4m3
                                     : KvDtype::kFp8Blockwise;
  f.fp8_compute = args.take_switch("fp8-compute");
  f.seed = uint64_t(args.take_int("seed", 1, 0, INT64_MAX));
  return f;
}

std::string problem_flags_help(const ProblemDefaults& d) {
  std::ostringstream help;
  help << "  --batch B          requests (default " << d.batch << ")\n"
       << "  --heads H          query heads h_q, 1.." << kMaxHeads
       << " (default " << d.heads << ")\n"
       << "  --q-len S          query tokens per request (MTP), 1.." << kMaxQLen
       << " (default " << d.q_len << ")\n"
       << "  --page-size P      KV tokens per page, >= 1 (default "
       << d.page_size << ")\n"
       << "  --seqlen L         KV length of every request (default "
       << d.seqlen << ")\n"
       << "  --varlen MEAN      KV lengths ~ N(MEAN, MEAN/2) clipped to [S, "
       << kVarlenSpread << "*MEAN],\n"
       << "                     instead of --seqlen\n"
       << "  --ragged           query lengths drawn from 1..S per request "
          "(qo_indptr)\n"
       << "  --non-causal       every query token sees all keys (default: "
          "causal MTP mask)\n"
       << "  --policy NAME      balanced | fixed_chunk (default balanced)\n"
       << "  --chunk T          fixed_chunk split size, a multiple of 64 "
          "(default: the config's)\n"
       << "  --dtype NAME       KV cache: bf16 | fp8_e4m3 | fp8_blockwise "
          "(default bf16)\n"
       << "  --fp8-compute      fp8_e4m3 only: the opt-in e4m3-product mode at "
          "64-row tiles\n"
       << "  --seed N           random seed of lengths and data (default 1)\n";
  return help.str();
}

StepLengths step_lengths(const ProblemFlags& f) {
  StepLengths lengths;
  if (f.varlen_mean > 0) {
    const int max_len = std::max(kVarlenSpread * f.varlen_mean, f.q_len);
    lengths.seqlens =
        random_varlen(f.batch, f.varlen_mean, f.q_len, max_len, f.seed);
  } else {
    lengths.seqlens.assign(f.batch, f.seqlen);
  }
  lengths.q_lens.assign(f.batch, f.q_len);
  if (f.ragged) {
    // Its own stream, so --ragged leaves the KV lengths unchanged.
    std::mt19937_64 rng(f.seed ^ 0x9e3779b97f4a7c15ull);
    std::uniform_int_distribution<int32_t> q_len(1, f.q_len);
    for (int32_t& q : lengths.q_lens) q = q_len(rng);
  }
  lengths.qo_indptr.assign(f.batch + 1, 0);
  std::partial_sum(lengths.q_lens.begin(), lengths.q_lens.end(),
                   lengths.qo_indptr.begin() + 1);
  return lengths;
}

DecodeProblem shape_problem(const ProblemFlags& f, const StepLengths& lengths) {
  int64_t total_pages = 0;
  int max_pages = 0;
  for (int32_t len : lengths.seqlens) {
    const int pages = int((int64_t(len) + f.page_size - 1) / f.page_size);
    total_pages += pages;
    max_pages = std::max(max_pages, pages);
  }
  DecodeProblem p = make_uniform_problem(
      f.batch, f.heads, f.q_len, f.page_size, std::max<int64_t>(total_pages, 1),
      std::max(max_pages, 1), f.kv_dtype, 1.0f / std::sqrt(float(kHeadDim)));
  p.ragged_q = f.ragged;
  p.total_q = lengths.qo_indptr.back();
  p.causal = f.causal;
  p.policy = f.policy;
  p.fixed_chunk_tokens = f.chunk_tokens;
  p.fp8_compute = f.fp8_compute;
  return p;
}

RandomStep random_step(const ProblemFlags& f, const StepLengths& lengths) {
  RandomStepSpec spec;
  spec.num_heads = f.heads;
  spec.page_size = f.page_size;
  spec.kv_dtype = f.kv_dtype;
  spec.policy = f.policy;
  spec.causal = f.causal;
  spec.seqlens = lengths.seqlens;
  spec.q_lens = lengths.q_lens;
  spec.ragged_q = f.ragged;
  spec.seed = f.seed;
  RandomStep step = make_random_step(spec);
  // Not part of the spec: it changes the plan, not the data.
  step.problem.fixed_chunk_tokens = f.chunk_tokens;
  step.problem.fp8_compute = f.fp8_compute;
  return step;
}

std::string describe(const ProblemFlags& f, const StepLengths& lengths) {
  const auto [min_len, max_len] =
      std::minmax_element(lengths.seqlens.begin(), lengths.seqlens.end());
  const int64_t total = std::accumulate(lengths.seqlens.begin(),
                                        lengths.seqlens.end(), int64_t(0));
  std::ostringstream text;
  text << "batch " << f.batch << ", heads " << f.heads << ", q_len " << f.q_len
       << (f.ragged ? " (ragged, total_q " +
                          std::to_string(lengths.qo_indptr.back()) + ")"
                    : "")
       << ", page " << f.page_size << ", kv " << kv_dtype_name(f.kv_dtype)
       << ", " << (f.causal ? "causal" : "non-causal") << ", "
       << policy_name(f.policy);
  if (f.chunk_tokens > 0) text << " (chunk " << f.chunk_tokens << ")";
  if (f.fp8_compute) text << ", fp8-compute";
  text << "\nkv lengths: ";
  if (*min_len == *max_len) {
    text << *min_len << " per request";
  } else {
    text << "min " << *min_len << ", mean " << total / f.batch << ", max "
         << *max_len;
  }
  text << ", " << total << " tokens in all";
  return text.str();
}

detail::ConfigKnobValues take_config_knob_flags(Args& args) {
  detail::ConfigKnobValues knobs = detail::unset_config_knobs();
  for (int k = 0; k < detail::kConfigKnobCount; ++k) {
    const detail::ConfigKnob& knob = detail::kConfigKnobs[k];
    knobs[k] = int(args.take_int(knob.flag, -1, knob.least, knob.most));
  }
  return knobs;
}

std::string config_knob_flags_help() {
  std::string text =
      "planner knobs: each sets a KernelConfig field instead of select_config()'s\n"
      "(the benchmark's flags of the same names):\n";
  for (const detail::ConfigKnob& knob : detail::kConfigKnobs) {
    const std::string flag = "--" + std::string(knob.flag) + " " + knob.placeholder;
    text += "  " + flag + std::string(flag.size() < 19 ? 19 - flag.size() : 1, ' ') + knob.name +
            "\n";
  }
  return text;
}

KernelConfig configure(const DecodeProblem& problem, const detail::ConfigKnobValues& knobs) {
  KernelConfig config = select_config(problem);
  detail::apply_config_knobs(knobs, config);
  return config;
}

}  // namespace mladec::cli
