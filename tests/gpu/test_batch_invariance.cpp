// FixedChunk's promise (DESIGN §5): a request's output is bit-identical
// whatever it is batched with. The request is decoded alone, inside a few
// requests and inside a batch of 48; the plans differ in every layout figure
// (so the combine runs in its chunk form alone at h_q 16 — four-warp rows
// at h_q 128 —, its row form with four warps per row in the few, and with
// one warp per row in the batch), and the
// request's rows must agree bit for bit — with few splits per row (one term
// per combine group) and with many (several terms per group).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "mladec/compare.h"
#include "mladec/constants.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"
#include "src/core/combine_forms.h"

namespace mladec {
namespace {

void check(cudaError_t status) { ASSERT_EQ(status, cudaSuccess) << cudaGetErrorName(status); }

constexpr int kRequest = 5;  // the request's place in the batch

// The batch's requests [first, first + count): their query rows, block-table
// rows and lengths; the same KV cache.
RandomStep requests(const RandomStep& batch, int first, int count) {
  const DecodeProblem& p = batch.problem;
  const HostDecodeInputs& in = batch.inputs;
  RandomStep some;
  some.problem = p;
  some.problem.batch = count;
  const int64_t q_begin = in.qo_indptr[first], q_end = in.qo_indptr[first + count];
  some.problem.total_q = q_end - q_begin;
  some.inputs.kv_cache = in.kv_cache;
  some.inputs.kv_scale = in.kv_scale;
  const size_t row_values = size_t(p.num_heads) * kHeadDim;
  some.inputs.q.assign(in.q.begin() + q_begin * row_values, in.q.begin() + q_end * row_values);
  const auto table_rows = in.block_table.begin() + size_t(first) * p.max_pages_per_request;
  some.inputs.block_table.assign(table_rows,
                                 table_rows + size_t(count) * p.max_pages_per_request);
  some.inputs.seqlens.assign(in.seqlens.begin() + first, in.seqlens.begin() + first + count);
  some.inputs.qo_indptr.clear();
  for (int r = first; r <= first + count; ++r) {
    some.inputs.qo_indptr.push_back(int32_t(in.qo_indptr[r] - q_begin));
  }
  return some;
}

HostDecodeOutputs decode_on_device(const RandomStep& step, PlanLayout* layout) {
  DeviceStep device(step.problem, step.inputs);
  device.poison_outputs(nullptr);
  device.plan(nullptr);
  device.decode(nullptr);
  check(cudaDeviceSynchronize());
  *layout = device.layout();
  return device.download_outputs();
}

TEST(BatchInvariance, FixedChunkRequestAloneAndInABatchAgreeBitForBit) {
  for (KvDtype dtype : {KvDtype::kBf16, KvDtype::kFp8E4m3}) {
    for (int heads : {16, 128}) {
      for (int length : {1500, 5000}) {  // 6 and 20 chunks of 256 tokens
        SCOPED_TRACE(std::string(kv_dtype_name(dtype)) + " h_q=" + std::to_string(heads) +
                     " length=" + std::to_string(length));
        RandomStepSpec spec;
        spec.num_heads = heads;
        spec.kv_dtype = dtype;
        spec.policy = SchedulePolicy::kFixedChunk;
        spec.seed = 900 + heads + length;
        spec.seqlens = random_varlen(48, 700, 1, 3000, spec.seed);
        spec.seqlens[kRequest] = length;
        spec.q_lens.assign(spec.seqlens.size(), 2);
        RandomStep batch = make_random_step(spec);
        batch.problem.fixed_chunk_tokens = 256;
        const RandomStep one = requests(batch, kRequest, 1);
        // A few requests from kRequest on: 384 (h_q 16) or 512 (h_q 128)
        // rows to combine, the row form's four-warp range.
        const int few_count = heads == 16 ? 12 : 2;
        const RandomStep few = requests(batch, kRequest, few_count);

        PlanLayout batch_layout, one_layout, few_layout;
        const HostDecodeOutputs in_batch = decode_on_device(batch, &batch_layout);
        const HostDecodeOutputs by_itself = decode_on_device(one, &one_layout);
        const HostDecodeOutputs in_few = decode_on_device(few, &few_layout);
        // Alone: the chunk form at h_q 16 (one unit of 32 rows: 128 CTAs); at
        // h_q 128 (4 units of 64 rows: 1,024 CTAs, more than half a wave of
        // chunks) the four-warp rows, as in the few.
        EXPECT_EQ(detail::combine_by_chunks(one_layout), heads == 16);
        if (heads != 16) EXPECT_EQ(detail::combine_row_warps(one_layout), 4);
        EXPECT_FALSE(detail::combine_by_chunks(few_layout));
        EXPECT_EQ(detail::combine_row_warps(few_layout), 4);
        EXPECT_FALSE(detail::combine_by_chunks(batch_layout));
        EXPECT_EQ(detail::combine_row_warps(batch_layout), 1);

        // Both right, then the same bits.
        const Comparison cmp = compare_outputs(one.problem, one.inputs,
                                               reference_decode(one.problem, one.inputs),
                                               by_itself);
        EXPECT_TRUE(within(cmp, kGpuTolerance)) << "relative error " << cmp.relative_error;
        const size_t first_row = size_t(batch.inputs.qo_indptr[kRequest]) * heads;
        const size_t rows = size_t(one.problem.total_q) * heads;
        ASSERT_EQ(by_itself.out.size(), rows * kLatentDim);
        EXPECT_EQ(std::memcmp(by_itself.out.data(), in_batch.out.data() + first_row * kLatentDim,
                              rows * kLatentDim * sizeof(double)),
                  0);
        EXPECT_EQ(std::memcmp(by_itself.lse.data(), in_batch.lse.data() + first_row,
                              rows * sizeof(double)),
                  0);
        // In the few, the request is the first.
        EXPECT_EQ(std::memcmp(by_itself.out.data(), in_few.out.data(),
                              rows * kLatentDim * sizeof(double)),
                  0);
        EXPECT_EQ(std::memcmp(by_itself.lse.data(), in_few.lse.data(), rows * sizeof(double)),
                  0);
      }
    }
  }
}

}  // namespace
}  // namespace mladec
