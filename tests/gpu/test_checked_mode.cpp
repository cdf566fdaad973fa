// Checked mode: what the host cannot see without a copy — block-table
// entries, device-resident lengths, the plan's indices — is checked on the
// device; a bad one becomes a typed error, the kernels touch nothing, and the
// next (valid) call runs normally (no sticky CUDA error).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "mladec/compare.h"
#include "mladec/device_step.h"
#include "mladec/error.h"
#include "mladec/random_inputs.h"
#include "tests/support/error_match.h"

namespace mladec {
namespace {

void check(cudaError_t status) { ASSERT_EQ(status, cudaSuccess) << cudaGetErrorName(status); }

// A split-heavy step (small page size, long and empty requests) so that the
// plan holds direct and split pieces and a combine list.
RandomStep make_step(KvDtype dtype) {
  RandomStepSpec spec;
  spec.num_heads = 20;
  spec.page_size = 16;
  spec.kv_dtype = dtype;
  spec.seqlens = {3000, 0, 17, 2500, 1};
  spec.q_lens.assign(spec.seqlens.size(), 2);
  spec.seed = 99 + int(dtype);
  return make_random_step(spec);
}

// Host plan + workspace of our own, so a test can corrupt the plan bytes.
struct OwnPlan {
  HostPlan host;
  DeviceBuffer plan, workspace;

  OwnPlan(const RandomStep& step, const DeviceStep& device)
      : host(make_host_plan(step.problem, device.config(), device.layout().workers,
                            step.inputs.lengths(step.problem))),
        plan(host.layout.plan_bytes),
        workspace(host.layout.workspace_bytes) {
    upload();
  }
  void upload() { plan.upload(host.buffer.data(), host.buffer.size()); }
};

void run_decode(const RandomStep& step, OwnPlan& own, DecodeArgs args) {
  decode(step.problem, own.host.config, own.host.layout, own.plan.get(),
         own.workspace.get(), args, nullptr);
  check(cudaDeviceSynchronize());
}

std::vector<uint8_t> output_bytes(const DeviceStep& device) {
  const HostDecodeOutputs out = device.download_outputs();
  std::vector<uint8_t> bytes(out.out.size() * sizeof(double) + out.lse.size() * sizeof(double));
  std::memcpy(bytes.data(), out.out.data(), out.out.size() * sizeof(double));
  std::memcpy(bytes.data() + out.out.size() * sizeof(double), out.lse.data(),
              out.lse.size() * sizeof(double));
  return bytes;
}

// `breaks` damages the inputs; the checked decode must throw `code` with
// `fragment` in its message and leave the (poisoned) outputs as they were,
// and an unchecked-valid run afterwards must still succeed.
void expect_rejected(const std::function<void(RandomStep&, OwnPlan&, DecodeArgs&)>& breaks,
                     ErrorCode code, const std::string& fragment) {
  RandomStep step = make_step(KvDtype::kBf16);
  DeviceStep device(step.problem, step.inputs);
  OwnPlan own(step, device);
  DecodeArgs args = device.args();
  args.checked = true;
  RandomStep broken = step;
  breaks(broken, own, args);
  device.upload_lengths(broken.inputs);
  device.poison_outputs(nullptr);
  check(cudaDeviceSynchronize());
  const std::vector<uint8_t> before = output_bytes(device);
  try {
    run_decode(step, own, args);
    ADD_FAILURE() << "no error for a case expecting '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_TRUE(output_bytes(device) == before) << "a rejected call wrote its outputs";

  // The same objects, repaired, decode correctly in checked mode.
  device.upload_lengths(step.inputs);
  OwnPlan fresh(step, device);
  DecodeArgs good = device.args();
  good.checked = true;
  run_decode(step, fresh, good);
  const Comparison cmp = compare_outputs(step.problem, step.inputs,
                                         reference_decode(step.problem, step.inputs),
                                         device.download_outputs());
  EXPECT_TRUE(within(cmp, kGpuTolerance)) << "relative error " << cmp.relative_error;
}

TEST(CheckedMode, MatchesUncheckedBitForBitForEveryFormat) {
  for (KvDtype dtype : {KvDtype::kBf16, KvDtype::kFp8E4m3, KvDtype::kFp8Blockwise}) {
    SCOPED_TRACE(kv_dtype_name(dtype));
    RandomStep step = make_step(dtype);
    DeviceStep device(step.problem, step.inputs);
    OwnPlan own(step, device);
    DecodeArgs args = device.args();
    device.poison_outputs(nullptr);
    run_decode(step, own, args);
    const std::vector<uint8_t> unchecked = output_bytes(device);
    args.checked = true;
    device.poison_outputs(nullptr);
    run_decode(step, own, args);
    EXPECT_TRUE(output_bytes(device) == unchecked);
  }
}

TEST(CheckedMode, BlockTableEntryPastThePool) {
  expect_rejected(
      [](RandomStep& s, OwnPlan&, DecodeArgs&) {
        s.inputs.block_table[3 * s.problem.max_pages_per_request + 7] =
            int32_t(s.problem.num_pages);
      },
      ErrorCode::kBadBlockTable, "block_table[3][7] = ");
}

TEST(CheckedMode, NegativeBlockTableEntry) {
  expect_rejected(
      [](RandomStep& s, OwnPlan&, DecodeArgs&) { s.inputs.block_table[0] = -5; },
      ErrorCode::kBadBlockTable, "block_table[0][0] = -5");
}

TEST(CheckedMode, UnusedBlockTableColumnsMayHoldAnything) {
  RandomStep step = make_step(KvDtype::kBf16);
  // Past request 2's 2 pages (17 tokens, page 16): never read.
  step.inputs.block_table[2 * step.problem.max_pages_per_request + 2] = -1;
  step.inputs.block_table[2 * step.problem.max_pages_per_request + 5] = 1 << 30;
  DeviceStep device(step.problem, step.inputs);
  OwnPlan own(step, device);
  DecodeArgs args = device.args();
  args.checked = true;
  device.poison_outputs(nullptr);
  EXPECT_NO_THROW(run_decode(step, own, args));
  const Comparison cmp = compare_outputs(step.problem, step.inputs,
                                         reference_decode(step.problem, step.inputs),
                                         device.download_outputs());
  EXPECT_TRUE(within(cmp, kGpuTolerance));
}

TEST(CheckedMode, DeviceLengthPastTheBlockTable) {
  // The plan was made for valid lengths; the device seqlens then grow past
  // what the block table can address (an engine's stale length buffer).
  expect_rejected(
      [](RandomStep& s, OwnPlan&, DecodeArgs&) {
        s.inputs.seqlens[4] = int32_t(s.problem.max_kv_len() + 1);
      },
      ErrorCode::kBadSeqLen, "seqlens[4] = ");
}

TEST(CheckedMode, PlanForOtherLengths) {
  // Lengths changed after planning: every unit's kv_len disagrees.
  expect_rejected(
      [](RandomStep& s, OwnPlan&, DecodeArgs&) { s.inputs.seqlens[0] -= 100; },
      ErrorCode::kPlanInvalid, "unit kv_len");
}

TEST(CheckedMode, CorruptPlans) {
  struct Corruption {
    std::function<void(HostPlan&)> apply;
    std::string fragment;
  };
  const std::vector<Corruption> corruptions = {
      {[](HostPlan& p) { p.view().pieces[0].unit = 1 << 20; }, "piece unit index"},
      {[](HostPlan& p) { p.view().pieces[1].kv_end += 4096; }, "piece KV range"},
      {[](HostPlan& p) { p.view().units[0].request = -1; }, "unit request index"},
      {[](HostPlan& p) { p.view().units[1].q_start = 1 << 28; }, "unit query range"},
      {[](HostPlan& p) { p.view().units[0].row_count = 65; }, "unit row range"},
      {[](HostPlan& p) { p.view().worker_piece_begin[1] = -3; }, "worker piece range"},
      {[](HostPlan& p) { p.view().header->num_pieces = 1 << 29; }, "header counts"},
      {[](HostPlan& p) {
         PlanView v = p.view();
         for (int i = 0; i < v.header->num_pieces; ++i) {
           if (v.pieces[i].slot >= 0) {
             v.pieces[i].slot = 1 << 24;
             break;
           }
         }
       },
       "piece split slot"},
      {[](HostPlan& p) { p.view().combine[0] = 1 << 22; }, "combine entry"},
  };
  for (const Corruption& c : corruptions) {
    SCOPED_TRACE(c.fragment);
    expect_rejected(
        [&](RandomStep&, OwnPlan& own, DecodeArgs&) {
          c.apply(own.host);
          own.upload();
        },
        ErrorCode::kPlanInvalid, c.fragment);
  }
}

TEST(CheckedMode, ConsecutiveCallsEachGetTheirOwnVerdict) {
  // Back to back on one workspace, as a serving loop runs: every call's
  // checks meet at the grid barrier under their own generation, and a
  // failure never leaks into the next call or hides in it.
  RandomStep step = make_step(KvDtype::kBf16);
  DeviceStep device(step.problem, step.inputs);
  OwnPlan own(step, device);
  DecodeArgs args = device.args();
  args.checked = true;
  const HostDecodeOutputs reference = reference_decode(step.problem, step.inputs);
  RandomStep broken = step;
  broken.inputs.block_table[1] = int32_t(step.problem.num_pages) + 3;
  for (int call = 0; call < 12; ++call) {
    SCOPED_TRACE(call);
    const bool bad = call % 3 == 1;
    device.upload_lengths(bad ? broken.inputs : step.inputs);
    device.poison_outputs(nullptr);
    check(cudaDeviceSynchronize());
    if (bad) {
      const std::vector<uint8_t> before = output_bytes(device);
      EXPECT_TRUE(test::throws_error([&] { run_decode(step, own, args); },
                                     ErrorCode::kBadBlockTable, {"block_table[0][1] = "}));
      EXPECT_TRUE(output_bytes(device) == before) << "a rejected call wrote its outputs";
    } else {
      EXPECT_NO_THROW(run_decode(step, own, args));
      const Comparison cmp =
          compare_outputs(step.problem, step.inputs, reference, device.download_outputs());
      EXPECT_TRUE(within(cmp, kGpuTolerance)) << "relative error " << cmp.relative_error;
    }
  }
}

TEST(CheckedMode, PlanWithMoreWorkersThanSmsIsRefused) {
  // The checks' grid barrier needs every worker resident at once; such a
  // plan is refused before anything runs, and still decodes unchecked.
  RandomStep step = make_step(KvDtype::kBf16);
  DeviceStep device(step.problem, step.inputs);
  const int workers = device_worker_count() + 1;
  const HostPlan host = make_host_plan(step.problem, device.config(), workers,
                                       step.inputs.lengths(step.problem));
  DeviceBuffer plan(host.layout.plan_bytes), workspace(host.layout.workspace_bytes);
  plan.upload(host.buffer.data(), host.buffer.size());
  DecodeArgs args = device.args();
  args.checked = true;
  device.poison_outputs(nullptr);
  check(cudaDeviceSynchronize());
  const std::vector<uint8_t> before = output_bytes(device);
  const auto run = [&] {
    decode(step.problem, host.config, host.layout, plan.get(), workspace.get(), args, nullptr);
    check(cudaDeviceSynchronize());
  };
  EXPECT_TRUE(test::throws_error(run, ErrorCode::kBadConfig,
                                 {"at most one worker per SM", std::to_string(workers)}));
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_TRUE(output_bytes(device) == before) << "a rejected call wrote its outputs";
  args.checked = false;
  run();
  const Comparison cmp = compare_outputs(step.problem, step.inputs,
                                         reference_decode(step.problem, step.inputs),
                                         device.download_outputs());
  EXPECT_TRUE(within(cmp, kGpuTolerance)) << "relative error " << cmp.relative_error;
}

TEST(CheckedMode, EnvironmentVariableTurnsItOn) {
  ASSERT_EQ(setenv("MLADEC_CHECKED", "1", 1), 0);
  expect_rejected(
      [](RandomStep& s, OwnPlan&, DecodeArgs& args) {
        args.checked = false;  // the environment alone must check
        s.inputs.block_table[3 * s.problem.max_pages_per_request] = -7;
      },
      ErrorCode::kBadBlockTable, "block_table[3][0] = -7");
  ASSERT_EQ(unsetenv("MLADEC_CHECKED"), 0);
}

TEST(CheckedMode, CapturedChecksSkipTheKernelsOnBadInput) {
  RandomStep step = make_step(KvDtype::kBf16);
  DeviceStep device(step.problem, step.inputs);
  const DeviceStream owned_stream;
  const cudaStream_t stream = owned_stream.get();
  ASSERT_EQ(setenv("MLADEC_CHECKED", "1", 1), 0);
  const DeviceStepGraph graph(device, stream);
  ASSERT_EQ(unsetenv("MLADEC_CHECKED"), 0);

  // A valid replay decodes; a replay with a page index far past the pool
  // (unchecked, a fault) leaves the outputs untouched.
  device.poison_outputs(stream);
  graph.launch(stream);
  check(cudaStreamSynchronize(stream));
  const Comparison cmp = compare_outputs(step.problem, step.inputs,
                                         reference_decode(step.problem, step.inputs),
                                         device.download_outputs());
  EXPECT_TRUE(within(cmp, kGpuTolerance));

  RandomStep broken = step;
  broken.inputs.block_table[0] = 1 << 30;
  device.upload_lengths(broken.inputs);
  device.poison_outputs(stream);
  check(cudaStreamSynchronize(stream));
  const std::vector<uint8_t> before = output_bytes(device);
  graph.launch(stream);
  check(cudaStreamSynchronize(stream));
  EXPECT_TRUE(output_bytes(device) == before);
}

}  // namespace
}  // namespace mladec
