// The configurations of the compute-sanitizer sweep
// (scripts/sanitizer-sweep.sh), one value-parameterized test each, so that
// the script can run each under each tool in a process of its own
// (--gtest_filter=Sweep/SanitizerSweep.Decode/NAME) and ctest runs them all
// once without a sanitizer. They cover the edges: h_q 1 and 128 and every TP
// split between, page size 1 and odd sizes, s_q up to 16 (longer than some
// requests), zero-length requests alone and mixed in, batch 1 (32K tokens)
// and 1000, both policies and extreme worker counts. Each step plans and
// decodes on the GPU with NaN-poisoned outputs and checks every row against
// the float64 reference. Only the outputs are read back: the plan buffer's
// unused capacity is never written, and copying it to the host would be an
// initcheck report about the test, not the library.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "mladec/compare.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"

namespace mladec {
namespace {

enum class Lengths {
  kFixed,    // every request `length` tokens
  kVarlen,   // ~ N(length, length/2), clipped to [1, 3*length]
  kZeroMix,  // varlen, with every third request 0 and every seventh 1
};

struct SweepConfig {
  int heads;
  int q_len;
  int page_size;
  int batch;
  Lengths lengths;
  int length;
  bool ragged = false;
  bool causal = true;
  int chunk = 0;    // > 0: FixedChunk policy with this chunk
  int workers = 0;  // 0: one per SM
  KvDtype kv_dtype = KvDtype::kBf16;
  bool fp8_compute = false;  // DecodeProblem::fp8_compute (e4m3 caches)
};

std::string config_name(const SweepConfig& c) {
  std::string name =
      "h" + std::to_string(c.heads) + "_s" + std::to_string(c.q_len) + "_p" +
      std::to_string(c.page_size) + "_b" + std::to_string(c.batch) + "_";
  name += c.lengths == Lengths::kFixed    ? "len"
          : c.lengths == Lengths::kVarlen ? "varlen"
                                          : "zeromix";
  name += std::to_string(c.length);
  if (c.ragged) name += "_ragged";
  if (!c.causal) name += "_noncausal";
  if (c.chunk > 0) name += "_chunk" + std::to_string(c.chunk);
  if (c.workers > 0) name += "_w" + std::to_string(c.workers);
  if (c.kv_dtype == KvDtype::kFp8E4m3) name += "_fp8e4m3";
  if (c.kv_dtype == KvDtype::kFp8Blockwise) name += "_fp8blockwise";
  if (c.fp8_compute) name += "_fp8compute";
  return name;
}

std::vector<SweepConfig> sweep_configs() {
  std::vector<SweepConfig> configs;
  // Every TP split of 128 heads and the odd counts, s_q 1..4, page 64.
  const int heads[] = {1, 3, 8, 16, 20, 32, 40, 63, 64, 96, 127, 128};
  for (int i = 0; i < 12; ++i) {
    configs.push_back({heads[i], 1 + i % 4, 64, 4, Lengths::kVarlen, 400});
  }
  // Page sizes, including 1, odd ones, pages larger than a KV block and
  // both kinds the TMA path takes (8..32 dividing a block, multiples of it).
  const int pages[] = {1, 2, 7, 8, 16, 32, 48, 64, 100, 128, 256};
  for (int i = 0; i < int(std::size(pages)); ++i) {
    configs.push_back(
        {i % 2 ? 16 : 128, 1 + i % 2, pages[i], 6, Lengths::kVarlen, 300});
  }
  // Multi-token queries up to s_q 16, some longer than their request.
  for (int h : {1, 16, 64, 128}) {
    configs.push_back({h, 16, 64, 3, Lengths::kVarlen, 200});
  }
  configs.push_back({128, 8, 16, 5, Lengths::kVarlen, 500});
  configs.push_back({128, 16, 32, 6, Lengths::kVarlen, 300, /*ragged=*/true});
  configs.push_back({20, 16, 64, 4, Lengths::kFixed, 500, false, false});
  configs.push_back({64, 16, 16, 4, Lengths::kFixed, 5});  // s_q > length
  // Zero-length requests, alone and mixed in.
  configs.push_back({128, 1, 64, 1, Lengths::kFixed, 0});
  configs.push_back({16, 4, 64, 64, Lengths::kFixed, 0});
  configs.push_back({128, 1, 1, 24, Lengths::kZeroMix, 200});
  configs.push_back({1, 16, 16, 24, Lengths::kZeroMix, 100});
  configs.push_back({64, 2, 64, 32, Lengths::kFixed, 1});
  configs.push_back({32, 3, 16, 40, Lengths::kZeroMix, 300, /*ragged=*/true});
  // Batch 1 (long context, split over every SM) and batch 1000.
  configs.push_back({16, 1, 64, 1, Lengths::kFixed, 32768});
  configs.push_back({128, 1, 64, 1, Lengths::kFixed, 32768});
  configs.push_back({1, 1, 1, 1, Lengths::kFixed, 1});
  configs.push_back({16, 1, 64, 1000, Lengths::kFixed, 64});
  configs.push_back({128, 1, 16, 1000, Lengths::kVarlen, 60});
  configs.push_back({1, 2, 32, 1000, Lengths::kZeroMix, 40, /*ragged=*/true});
  // The batch-invariant policy, with chunks from one KV block up.
  for (int chunk : {64, 256, 2048}) {
    configs.push_back(
        {64, 2, 64, 5, Lengths::kVarlen, 1500, false, true, chunk});
  }
  configs.push_back({128, 4, 16, 8, Lengths::kZeroMix, 800, true, true, 128});
  // Worker counts from one to far more than SMs (many empty workers).
  for (int workers : {1, 2, 7, 264, 1000, 4096}) {
    configs.push_back(
        {32, 2, 64, 6, Lengths::kVarlen, 1500, false, true, 0, workers});
  }
  // Non-causal and ragged mixes.
  configs.push_back({128, 4, 64, 8, Lengths::kVarlen, 700, false, false});
  configs.push_back({40, 3, 48, 10, Lengths::kVarlen, 400, true, false});
  configs.push_back({96, 2, 128, 12, Lengths::kZeroMix, 600, true, true});
  configs.push_back({8, 8, 1, 9, Lengths::kVarlen, 250, true, true});
  configs.push_back({127, 2, 64, 7, Lengths::kVarlen, 900, false, true, 0, 7});
  // Both fp8 caches (a producer of their own): both kernel forms, page
  // sizes 1 / 16 / odd, s_q 16, zero-length requests, batch 1000, FixedChunk.
  for (KvDtype dtype : {KvDtype::kFp8E4m3, KvDtype::kFp8Blockwise}) {
    const auto fp8 = [&](SweepConfig c) {
      c.kv_dtype = dtype;
      configs.push_back(c);
    };
    fp8({1, 1, 64, 4, Lengths::kVarlen, 400});
    fp8({16, 1, 1, 6, Lengths::kVarlen, 300});
    fp8({20, 2, 33, 6, Lengths::kVarlen, 300});
    fp8({128, 1, 16, 6, Lengths::kVarlen, 300});
    fp8({64, 16, 64, 3, Lengths::kVarlen, 200});
    fp8({128, 2, 64, 24, Lengths::kZeroMix, 200, /*ragged=*/true});
    fp8({16, 1, 64, 1000, Lengths::kFixed, 64});
    fp8({64, 2, 64, 5, Lengths::kVarlen, 1500, false, true, 256});
  }
  // The fp8-compute form (64-row tiles: its loader / transposer producer,
  // the e4m3 seesaw): page sizes 1 / 16 / odd / 64, s_q 16, zero-length
  // requests, one-block pieces, batch 1000, FixedChunk, many workers.
  const auto fp8_compute = [&](SweepConfig c) {
    c.kv_dtype = KvDtype::kFp8E4m3;
    c.fp8_compute = true;
    configs.push_back(c);
  };
  fp8_compute({128, 1, 64, 4, Lengths::kVarlen, 400});
  fp8_compute({64, 1, 1, 6, Lengths::kVarlen, 300});
  fp8_compute({40, 2, 33, 6, Lengths::kVarlen, 300});
  fp8_compute({128, 2, 16, 6, Lengths::kVarlen, 300});
  fp8_compute({64, 16, 64, 3, Lengths::kVarlen, 200});
  fp8_compute({128, 2, 64, 24, Lengths::kZeroMix, 200, /*ragged=*/true});
  fp8_compute({96, 1, 64, 1000, Lengths::kFixed, 64});
  fp8_compute({128, 1, 64, 1, Lengths::kFixed, 32768});
  fp8_compute({64, 2, 64, 5, Lengths::kVarlen, 1500, false, true, 256});
  fp8_compute({128, 1, 64, 6, Lengths::kVarlen, 1500, false, true, 0, 1000});
  return configs;
}

// Readable test parameters in gtest's output (--gtest_list_tests, failures).
void PrintTo(const SweepConfig& c, std::ostream* os) { *os << config_name(c); }

RandomStep make_sweep_step(const SweepConfig& c, uint64_t seed) {
  RandomStepSpec spec;
  spec.num_heads = c.heads;
  spec.page_size = c.page_size;
  spec.kv_dtype = c.kv_dtype;
  spec.causal = c.causal;
  spec.seed = seed;
  if (c.lengths == Lengths::kFixed) {
    spec.seqlens.assign(c.batch, c.length);
  } else {
    spec.seqlens = random_varlen(c.batch, c.length, 1, 3 * c.length, seed);
  }
  if (c.lengths == Lengths::kZeroMix) {
    for (int b = 0; b < c.batch; b += 3) spec.seqlens[b] = 0;
    for (int b = 1; b < c.batch; b += 7) spec.seqlens[b] = 1;
  }
  spec.q_lens.assign(c.batch, c.q_len);
  if (c.ragged) {
    std::mt19937 rng{uint32_t(seed)};
    for (int32_t& q : spec.q_lens) q = int32_t(rng() % (c.q_len + 1));
    spec.q_lens[0] = c.q_len;
    spec.ragged_q = true;
  }
  if (c.chunk > 0) spec.policy = SchedulePolicy::kFixedChunk;
  RandomStep step = make_random_step(spec);
  step.problem.fixed_chunk_tokens = c.chunk;
  step.problem.fp8_compute = c.fp8_compute;
  return step;
}

class SanitizerSweep : public testing::TestWithParam<SweepConfig> {};

TEST_P(SanitizerSweep, Decode) {
  const SweepConfig& c = GetParam();
  const RandomStep step = make_sweep_step(c, 4242 + c.heads * 7 + c.batch);
  DeviceStep device(step.problem, step.inputs, c.workers);
  device.poison_outputs(nullptr);
  device.plan(nullptr);
  device.decode(nullptr);
  const HostDecodeOutputs got = device.download_outputs();
  const HostDecodeOutputs ref = reference_decode(step.problem, step.inputs);
  const Comparison cmp = compare_outputs(step.problem, step.inputs, ref, got);
  EXPECT_TRUE(within(cmp, device.config().fp8_compute ? kFp8ComputeTolerance : kGpuTolerance))
      << "relative error " << cmp.relative_error << ", max lse error "
      << cmp.max_lse_error << ", bad rows " << cmp.bad_rows << " ("
      << cmp.first_bad << ")";
}

INSTANTIATE_TEST_SUITE_P(Sweep, SanitizerSweep,
                         testing::ValuesIn(sweep_configs()),
                         [](const testing::TestParamInfo<SweepConfig>& info) {
                           return config_name(info.param);
                         });

TEST(SanitizerSweepConfigs, AtLeastFiftyDistinctOnes) {
  const std::vector<SweepConfig> configs = sweep_configs();
  std::vector<std::string> names;
  for (const SweepConfig& c : configs) names.push_back(config_name(c));
  std::sort(names.begin(), names.end());
  EXPECT_GE(names.size(), 50u);
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end())
      << "two configurations share a name";
}

}  // namespace
}  // namespace mladec
