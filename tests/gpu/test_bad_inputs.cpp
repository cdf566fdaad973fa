// The device half of the bad-input catalogue (docs/bad_inputs.md). From a
// valid step on the GPU, each test corrupts one argument of validate_args(),
// decode() or plan_on_device() and checks that the call throws its own
// ErrorCode naming the value, launches nothing and writes nothing (out and
// lse keep their NaN poison, the workspace and plan buffer theirs), and
// leaves no CUDA error behind. Lengths and block-table entries that are
// wrong on the device are data the host cannot see without a copy: the last
// tests pin down what happens to them today (the planner drops the whole
// step and nothing is written), until a checked mode reports them.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "mladec/constants.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"
#include "tests/support/error_match.h"

namespace mladec::test {
namespace {

constexpr unsigned char kOutputPoison = 0xff;  // DeviceStep::poison_outputs
constexpr unsigned char kBufferPoison = 0xab;  // plan buffer and workspace
constexpr int kWorkers = 7;

// 3 requests, 20 heads, page 16, KV lengths 300, 0 and 17; ragged queries of
// 2, 1 and 2 tokens, or 2 each.
RandomStep make_step(KvDtype dtype, bool ragged) {
  RandomStepSpec spec;
  spec.num_heads = 20;
  spec.page_size = 16;
  spec.kv_dtype = dtype;
  spec.seqlens = {300, 0, 17};
  spec.q_lens =
      ragged ? std::vector<int32_t>{2, 1, 2} : std::vector<int32_t>{2, 2, 2};
  spec.ragged_q = ragged;
  spec.seed = 11;
  return make_random_step(spec);
}

testing::AssertionResult cuda_clean() {
  const cudaError_t sync = cudaDeviceSynchronize();
  const cudaError_t last = cudaGetLastError();
  if (sync != cudaSuccess || last != cudaSuccess) {
    return testing::AssertionFailure()
           << "CUDA error left behind: " << cudaGetErrorName(sync) << " / "
           << cudaGetErrorName(last);
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult all_bytes_are(const void* device, size_t bytes,
                                       unsigned char value, const char* name) {
  std::vector<unsigned char> host(bytes);
  const cudaError_t status =
      cudaMemcpy(host.data(), device, bytes, cudaMemcpyDeviceToHost);
  if (status != cudaSuccess) {
    return testing::AssertionFailure()
           << "reading " << name << ": " << cudaGetErrorName(status);
  }
  for (size_t i = 0; i < bytes; ++i) {
    if (host[i] != value) {
      return testing::AssertionFailure()
             << name << " was written (byte " << i << " of " << bytes << ")";
    }
  }
  return testing::AssertionSuccess();
}

// A valid step on the GPU with plan and workspace buffers of its own, so a
// test can poison them and hand the API any corrupted argument. The plan
// buffer holds a valid plan, so a check that failed to fire would let
// decode() run a sound plan and be caught by the poison, not by a fault.
class Target {
 public:
  explicit Target(KvDtype dtype = KvDtype::kBf16, bool ragged = true)
      : step_(make_step(dtype, ragged)),
        device_(step_.problem, step_.inputs, kWorkers),
        plan_(device_.layout().plan_bytes),
        workspace_(device_.layout().workspace_bytes) {
    args = device_.args();
    plan_on_device(problem(), config(), layout(), device_.args(), plan_.get(),
                   nullptr);
  }

  const DecodeProblem& problem() const { return step_.problem; }
  const KernelConfig& config() const { return device_.config(); }
  const PlanLayout& layout() const { return device_.layout(); }
  void* plan_buffer() const { return plan_.get(); }
  void* workspace() const { return workspace_.get(); }
  size_t plan_bytes() const { return plan_.size(); }

  void poison_outputs_and_workspace() {
    device_.poison_outputs(nullptr);
    ASSERT_EQ(cudaMemset(workspace_.get(), kBufferPoison, workspace_.size()),
              cudaSuccess);
  }
  void poison_plan() {
    ASSERT_EQ(cudaMemset(plan_.get(), kBufferPoison, plan_.size()),
              cudaSuccess);
  }

  void decode_with(const DecodeArgs& a) const {
    decode(problem(), config(), layout(), plan_.get(), workspace_.get(), a,
           nullptr);
  }

  // No CUDA error, and out, lse and the workspace still hold their poison.
  testing::AssertionResult nothing_written() const {
    testing::AssertionResult clean = cuda_clean();
    if (!clean) return clean;
    const DecodeArgs& a = device_.args();
    const size_t rows = size_t(problem().total_q) * problem().num_heads;
    for (auto [data, bytes, value, name] :
         {std::tuple{a.out.data, rows * kLatentDim * 2, kOutputPoison, "out"},
          std::tuple{a.lse.data, rows * 4, kOutputPoison, "lse"},
          std::tuple{workspace_.get(), workspace_.size(), kBufferPoison,
                     "workspace"}}) {
      testing::AssertionResult same = all_bytes_are(data, bytes, value, name);
      if (!same) return same;
    }
    return testing::AssertionSuccess();
  }

  DecodeArgs args;  // a copy of the valid arguments, for a test to corrupt

 private:
  RandomStep step_;
  DeviceStep device_;
  DeviceBuffer plan_, workspace_;
};

// validate_args() and decode() both refuse t.args with `code`, and nothing
// is written.
testing::AssertionResult args_refused(
    Target& t, ErrorCode code, std::initializer_list<std::string> mentions) {
  t.poison_outputs_and_workspace();
  testing::AssertionResult result =
      throws_error([&] { validate_args(t.problem(), t.args); }, code, mentions);
  if (!result) return result << " (validate_args)";
  result = throws_error([&] { t.decode_with(t.args); }, code, mentions);
  if (!result) return result << " (decode)";
  testing::AssertionResult untouched = t.nothing_written();
  return untouched ? result : untouched;
}

// `call` (a decode() with one corrupted non-tensor argument) throws `code`,
// and nothing is written.
template <typename Call>
testing::AssertionResult decode_refused(
    Target& t, Call&& call, ErrorCode code,
    std::initializer_list<std::string> mentions) {
  t.poison_outputs_and_workspace();
  testing::AssertionResult result = throws_error(call, code, mentions);
  if (!result) return result;
  testing::AssertionResult untouched = t.nothing_written();
  return untouched ? result : untouched;
}

// plan_on_device() with t.args and `layout` throws `code`; the poisoned plan
// buffer (and out, lse, workspace) keep their poison.
testing::AssertionResult plan_refused(
    Target& t, const PlanLayout& layout, void* plan_buffer, ErrorCode code,
    std::initializer_list<std::string> mentions) {
  t.poison_outputs_and_workspace();
  t.poison_plan();
  testing::AssertionResult result = throws_error(
      [&] {
        plan_on_device(t.problem(), t.config(), layout, t.args, plan_buffer,
                       nullptr);
      },
      code, mentions);
  if (!result) return result;
  testing::AssertionResult untouched = t.nothing_written();
  if (!untouched) return untouched;
  untouched = all_bytes_are(t.plan_buffer(), t.plan_bytes(), kBufferPoison,
                            "plan buffer");
  return untouched ? result : untouched;
}
testing::AssertionResult plan_refused(
    Target& t, ErrorCode code, std::initializer_list<std::string> mentions) {
  return plan_refused(t, t.layout(), t.plan_buffer(), code, mentions);
}

TEST(DeviceBadInputs, ValidArgsAreAcceptedAndWritten) {
  // The baseline: without corruption the poison is overwritten, so the
  // checks of the tests below can fail.
  Target t;
  t.poison_outputs_and_workspace();
  EXPECT_NO_THROW(validate_args(t.problem(), t.args));
  ASSERT_NO_THROW(t.decode_with(t.args));
  ASSERT_TRUE(cuda_clean());
  EXPECT_FALSE(t.nothing_written());
}

// --- q -----------------------------------------------------------------------

TEST(DeviceBadInputs, QNull) {
  Target t;
  t.args.q.data = nullptr;
  EXPECT_TRUE(args_refused(t, ErrorCode::kNullPointer, {"q must not be null"}));
}

TEST(DeviceBadInputs, QHostPointer) {
  Target t;
  std::vector<uint16_t> host(t.args.q.shape[0] * t.args.q.stride[0]);
  t.args.q.data = host.data();
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"q must point to device memory"}));
}

TEST(DeviceBadInputs, QWrongDtype) {
  Target t;
  t.args.q.dtype = ScalarType::kFloat32;
  EXPECT_TRUE(
      args_refused(t, ErrorCode::kBadTensor, {"q must be bf16, got float32"}));
}

TEST(DeviceBadInputs, QWrongRank) {
  Target t;
  t.args.q.rank = 2;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"q must have 3 dimensions, got 2"}));
}

TEST(DeviceBadInputs, QWrongHeadCount) {
  Target t;
  t.args.q.shape[1] = 21;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"q.shape[1] must be 20, got 21"}));
}

TEST(DeviceBadInputs, QHeadDimNot576) {
  Target t;
  t.args.q.shape[2] = kLatentDim;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"q.shape[2] must be 576, got 512"}));
}

TEST(DeviceBadInputs, QLastDimStrided) {
  Target t;
  t.args.q.stride[2] = 2;
  EXPECT_TRUE(args_refused(
      t, ErrorCode::kBadTensor,
      {"q must be contiguous in its last dimension", "stride is 2"}));
}

TEST(DeviceBadInputs, QNegativeStride) {
  Target t;
  t.args.q.stride[0] = -t.args.q.stride[0];
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"q.stride[0] must be >= 0", "got -11520"}));
}

TEST(DeviceBadInputs, QMisaligned) {
  Target t;
  t.args.q.data = static_cast<char*>(t.args.q.data) + 2;
  EXPECT_TRUE(
      args_refused(t, ErrorCode::kBadTensor, {"q must be 16-byte aligned"}));
}

TEST(DeviceBadInputs, QRowStrideNot16Bytes) {
  Target t;
  t.args.q.stride[1] = kHeadDim + 4;  // 1160 bytes between heads
  t.args.q.stride[0] = 20 * t.args.q.stride[1];
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"q.stride[1] must be a multiple of 8", "got 580"}));
}

// --- kv_cache ----------------------------------------------------------------

TEST(DeviceBadInputs, KvNull) {
  Target t;
  t.args.kv_cache.data = nullptr;
  EXPECT_TRUE(
      args_refused(t, ErrorCode::kNullPointer, {"kv_cache must not be null"}));
}

TEST(DeviceBadInputs, KvDtypeDisagreesWithProblem) {
  Target t;
  t.args.kv_cache.dtype = ScalarType::kFp8E4m3;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"kv_cache must be bf16, got fp8_e4m3"}));
}

TEST(DeviceBadInputs, KvPageSizeDisagreesWithProblem) {
  Target t;
  t.args.kv_cache.shape[1] = 17;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"kv_cache.shape[1] must be 16, got 17"}));
}

TEST(DeviceBadInputs, KvFewerPagesThanProblem) {
  Target t;
  const int64_t pages = t.problem().num_pages;
  t.args.kv_cache.shape[0] = pages - 1;
  EXPECT_TRUE(
      args_refused(t, ErrorCode::kBadTensor,
                   {"kv_cache.shape[0] must be " + std::to_string(pages),
                    "got " + std::to_string(pages - 1)}));
}

TEST(DeviceBadInputs, KvPageStrideNot16Bytes) {
  Target t;
  t.args.kv_cache.stride[0] += 4;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"kv_cache.stride[0] must be a multiple of 8"}));
}

TEST(DeviceBadInputs, Fp8KvScaleZero) {
  Target t(KvDtype::kFp8E4m3);
  t.args.kv_scale = 0.f;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadKvScale,
                           {"kv_scale must be finite and > 0", "got 0"}));
}

TEST(DeviceBadInputs, Fp8KvScaleNaN) {
  Target t(KvDtype::kFp8E4m3);
  t.args.kv_scale = std::nanf("");
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadKvScale, {"kv_scale", "got nan"}));
}

TEST(DeviceBadInputs, BlockwiseKvWithoutScales) {
  // A blockwise cache handed over as 576-byte tokens (its scales missing).
  Target t(KvDtype::kFp8Blockwise);
  t.args.kv_cache.shape[2] = kHeadDim;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"kv_cache.shape[2] must be 656, got 576"}));
}

// --- block_table, seqlens, qo_indptr -----------------------------------------

TEST(DeviceBadInputs, BlockTableNull) {
  Target t;
  t.args.block_table.data = nullptr;
  EXPECT_TRUE(args_refused(t, ErrorCode::kNullPointer,
                           {"block_table must not be null"}));
}

TEST(DeviceBadInputs, BlockTableWrongDtype) {
  Target t;
  t.args.block_table.dtype = ScalarType::kFloat32;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"block_table must be int32, got float32"}));
}

TEST(DeviceBadInputs, BlockTableWidthDisagreesWithProblem) {
  Target t;
  const int width = t.problem().max_pages_per_request;
  t.args.block_table.shape[1] = width + 1;
  EXPECT_TRUE(
      args_refused(t, ErrorCode::kBadTensor,
                   {"block_table.shape[1] must be " + std::to_string(width),
                    "got " + std::to_string(width + 1)}));
}

TEST(DeviceBadInputs, SeqLensNull) {
  Target t;
  t.args.seqlens.data = nullptr;
  EXPECT_TRUE(
      args_refused(t, ErrorCode::kNullPointer, {"seqlens must not be null"}));
  EXPECT_TRUE(
      plan_refused(t, ErrorCode::kNullPointer, {"seqlens must not be null"}));
}

TEST(DeviceBadInputs, SeqLensWrongLength) {
  Target t;
  t.args.seqlens.shape[0] = 4;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"seqlens.shape[0] must be 3, got 4"}));
  EXPECT_TRUE(plan_refused(t, ErrorCode::kBadTensor,
                           {"seqlens.shape[0] must be 3, got 4"}));
}

TEST(DeviceBadInputs, SeqLensWrongDtype) {
  Target t;
  t.args.seqlens.dtype = ScalarType::kFloat32;
  EXPECT_TRUE(plan_refused(t, ErrorCode::kBadTensor,
                           {"seqlens must be int32, got float32"}));
}

TEST(DeviceBadInputs, QoIndptrMissingWhenRagged) {
  Target t;
  t.args.qo_indptr = TensorView{};
  EXPECT_TRUE(
      args_refused(t, ErrorCode::kNullPointer, {"qo_indptr must not be null"}));
  EXPECT_TRUE(
      plan_refused(t, ErrorCode::kNullPointer, {"qo_indptr must not be null"}));
}

TEST(DeviceBadInputs, QoIndptrGivenForUniformQueries) {
  Target t(KvDtype::kBf16, /*ragged=*/false);
  t.args.qo_indptr = t.args.seqlens;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"qo_indptr is given but the problem is not "
                            "ragged_q"}));
}

TEST(DeviceBadInputs, QoIndptrWrongLength) {
  Target t;
  t.args.qo_indptr.shape[0] = 3;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"qo_indptr.shape[0] must be 4, got 3"}));
}

// --- out, lse ----------------------------------------------------------------

TEST(DeviceBadInputs, OutHostPointer) {
  Target t;
  std::vector<uint16_t> host(t.args.out.shape[0] * t.args.out.stride[0]);
  t.args.out.data = host.data();
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"out must point to device memory"}));
}

TEST(DeviceBadInputs, OutWrongDtype) {
  Target t;
  t.args.out.dtype = ScalarType::kFloat32;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"out must be bf16, got float32"}));
}

TEST(DeviceBadInputs, OutWithQueryWidth) {
  Target t;
  t.args.out.shape[2] = kHeadDim;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"out.shape[2] must be 512, got 576"}));
}

TEST(DeviceBadInputs, OutMisaligned) {
  Target t;
  t.args.out.data = static_cast<char*>(t.args.out.data) + 8;
  EXPECT_TRUE(
      args_refused(t, ErrorCode::kBadTensor, {"out must be 16-byte aligned"}));
}

TEST(DeviceBadInputs, OutHeadsAlias) {
  // Stride 0 over heads: all 20 heads would write the same 512 values.
  Target t;
  t.args.out.stride[1] = 0;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"out.stride[1] is 0", "overlap"}));
}

TEST(DeviceBadInputs, LseWrongDtype) {
  Target t;
  t.args.lse.dtype = ScalarType::kBf16;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"lse must be float32, got bf16"}));
}

TEST(DeviceBadInputs, LseWrongHeadCount) {
  Target t;
  t.args.lse.shape[1] = 21;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"lse.shape[1] must be 20, got 21"}));
}

TEST(DeviceBadInputs, LseTokensOverlap) {
  // Token stride 1 with 20 heads: token t's heads overlap token t+1's.
  Target t;
  t.args.lse.stride[0] = 1;
  EXPECT_TRUE(args_refused(t, ErrorCode::kBadTensor,
                           {"lse.stride[0] is 1", "need >= 20"}));
}

// --- problem, config, layout, plan buffer and workspace of decode() ----------

TEST(DeviceBadInputs, DecodeWithInvalidProblem) {
  Target t;
  DecodeProblem bad = t.problem();
  bad.page_size = 0;
  EXPECT_TRUE(decode_refused(t,
                             [&] {
                               decode(bad, t.config(), t.layout(),
                                      t.plan_buffer(), t.workspace(), t.args,
                                      nullptr);
                             },
                             ErrorCode::kBadPageSize, {"page_size", "got 0"}));
}

TEST(DeviceBadInputs, ConfigTheKernelDoesNotRun) {
  // kv_block_tokens does not change the layout, so only the launch can tell
  // (the kernel is built for 64-token blocks).
  Target t;
  KernelConfig config = t.config();
  config.kv_block_tokens = 48;
  EXPECT_TRUE(decode_refused(
      t,
      [&] {
        decode(t.problem(), config, t.layout(), t.plan_buffer(), t.workspace(),
               t.args, nullptr);
      },
      ErrorCode::kBadConfig, {"kv_block_tokens", "got 64 and 48"}));
}

TEST(DeviceBadInputs, ConfigOfAnotherKernelForm) {
  // The target's 40 rows a request run 64-row tiles; 16-row tiles would
  // plan and launch (the kernel has them) but are not the form
  // select_config() chose, so decode refuses them, with a layout made for
  // that config as much as with the step's own.
  Target t;
  KernelConfig config = t.config();
  ASSERT_EQ(config.tile_rows, 64);
  config.tile_rows = 16;
  const PlanLayout layout = plan_layout(t.problem(), config, kWorkers);
  for (const PlanLayout* l : {&layout, &t.layout()}) {
    EXPECT_TRUE(decode_refused(
        t,
        [&] {
          decode(t.problem(), config, *l, t.plan_buffer(), t.workspace(), t.args, nullptr);
        },
        ErrorCode::kBadConfig, {"config.tile_rows is 16", "gives this problem 64"}));
  }
}

TEST(DeviceBadInputs, LayoutForAnotherProblem) {
  Target t;
  DecodeProblem other = t.problem();
  other.num_heads = 40;
  const PlanLayout layout = plan_layout(other, t.config(), kWorkers);
  EXPECT_TRUE(decode_refused(
      t,
      [&] {
        decode(t.problem(), t.config(), layout, t.plan_buffer(), t.workspace(),
               t.args, nullptr);
      },
      ErrorCode::kPlanMismatch, {"plan layout was made for another problem"}));
  EXPECT_TRUE(plan_refused(t, layout, t.plan_buffer(), ErrorCode::kPlanMismatch,
                           {"plan layout was made for another problem"}));
}

TEST(DeviceBadInputs, LayoutWithShrunkWorkspace) {
  Target t;
  PlanLayout layout = t.layout();
  layout.workspace_bytes /= 2;
  EXPECT_TRUE(decode_refused(t,
                             [&] {
                               decode(t.problem(), t.config(), layout,
                                      t.plan_buffer(), t.workspace(), t.args,
                                      nullptr);
                             },
                             ErrorCode::kPlanMismatch, {"workspace_bytes"}));
}

TEST(DeviceBadInputs, PlanBufferNull) {
  Target t;
  EXPECT_TRUE(decode_refused(t,
                             [&] {
                               decode(t.problem(), t.config(), t.layout(),
                                      nullptr, t.workspace(), t.args, nullptr);
                             },
                             ErrorCode::kNullPointer,
                             {"plan_buffer must not be null"}));
  EXPECT_TRUE(plan_refused(t, t.layout(), nullptr, ErrorCode::kNullPointer,
                           {"plan_buffer must not be null"}));
}

TEST(DeviceBadInputs, PlanBufferOnTheHost) {
  Target t;
  std::vector<std::byte> host(t.layout().plan_bytes);
  EXPECT_TRUE(decode_refused(
      t,
      [&] {
        decode(t.problem(), t.config(), t.layout(), host.data(), t.workspace(),
               t.args, nullptr);
      },
      ErrorCode::kBadTensor, {"plan_buffer must point to device memory"}));
}

TEST(DeviceBadInputs, PlanOnDeviceIntoAHostBuffer) {
  Target t;
  std::vector<std::byte> host(t.layout().plan_bytes, std::byte{0x5a});
  EXPECT_TRUE(decode_refused(
      t,
      [&] {
        plan_on_device(t.problem(), t.config(), t.layout(), t.args, host.data(),
                       nullptr);
      },
      ErrorCode::kBadTensor, {"plan_buffer must point to device memory"}));
  EXPECT_TRUE(std::all_of(host.begin(), host.end(),
                          [](std::byte b) { return b == std::byte{0x5a}; }))
      << "the host buffer was written";
}

TEST(DeviceBadInputs, WorkspaceNull) {
  Target t;
  ASSERT_GT(t.layout().workspace_bytes, 0u);
  EXPECT_TRUE(
      decode_refused(t,
                     [&] {
                       decode(t.problem(), t.config(), t.layout(),
                              t.plan_buffer(), nullptr, t.args, nullptr);
                     },
                     ErrorCode::kNullPointer, {"workspace must not be null"}));
}

TEST(DeviceBadInputs, WorkspaceOnTheHost) {
  Target t;
  std::vector<std::byte> host(t.layout().workspace_bytes);
  EXPECT_TRUE(decode_refused(
      t,
      [&] {
        decode(t.problem(), t.config(), t.layout(), t.plan_buffer(),
               host.data(), t.args, nullptr);
      },
      ErrorCode::kBadTensor, {"workspace must point to device memory"}));
}

// --- Device data (checked mode, not yet) -------------------------------------

// Uploads `seqlens` / `qo_indptr` over t's device lengths, plans and decodes:
// neither call throws, the planner marks the plan status kPlanBadLengths
// (1) with no work in it, and decode writes nothing.
void expect_step_dropped(Target& t, const std::vector<int32_t>& seqlens,
                         const std::vector<int32_t>& qo_indptr) {
  ASSERT_EQ(
      cudaMemcpy(t.args.seqlens.data, seqlens.data(),
                 seqlens.size() * sizeof(int32_t), cudaMemcpyHostToDevice),
      cudaSuccess);
  ASSERT_EQ(
      cudaMemcpy(t.args.qo_indptr.data, qo_indptr.data(),
                 qo_indptr.size() * sizeof(int32_t), cudaMemcpyHostToDevice),
      cudaSuccess);
  t.poison_outputs_and_workspace();
  ASSERT_NO_THROW(plan_on_device(t.problem(), t.config(), t.layout(), t.args,
                                 t.plan_buffer(), nullptr));
  ASSERT_NO_THROW(t.decode_with(t.args));
  ASSERT_TRUE(cuda_clean());
  PlanHeader header;
  ASSERT_EQ(cudaMemcpy(&header,
                       static_cast<const std::byte*>(t.plan_buffer()) +
                           t.layout().header_offset,
                       sizeof(header), cudaMemcpyDeviceToHost),
            cudaSuccess);
  EXPECT_EQ(header.status, 1) << "kPlanBadLengths";
  EXPECT_EQ(header.num_pieces, 0);
  EXPECT_TRUE(t.nothing_written());
}

TEST(DeviceBadInputs, DeviceSeqLenPastBlockTableDropsTheStep) {
  Target t;
  const int32_t past = int32_t(t.problem().max_kv_len()) + 1;
  expect_step_dropped(t, {300, past, 17}, {0, 2, 3, 5});
}

TEST(DeviceBadInputs, DeviceSeqLenNegativeDropsTheStep) {
  Target t;
  expect_step_dropped(t, {300, -1, 17}, {0, 2, 3, 5});
}

TEST(DeviceBadInputs, DeviceQoIndptrDecreasingDropsTheStep) {
  Target t;
  expect_step_dropped(t, {300, 0, 17}, {0, 2, 1, 3});
}

}  // namespace
}  // namespace mladec::test
