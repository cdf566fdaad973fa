// Plan + decode + combine captured once in a CUDA graph, then replayed over a
// decode loop whose lengths grow and whose block table changes: every replay
// must match the reference for that step's lengths.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "mladec/compare.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"

namespace mladec {
namespace {

void check(cudaError_t status) { ASSERT_EQ(status, cudaSuccess) << cudaGetErrorName(status); }

TEST(GraphReplay, LengthsAndBlockTableChangeBetweenReplays) {
  for (int heads : {16, 128}) {
    SCOPED_TRACE("h_q=" + std::to_string(heads));
    RandomStepSpec spec;
    spec.num_heads = heads;
    spec.page_size = 16;
    spec.seed = 77 + heads;
    spec.seqlens = random_varlen(12, 900, 1, 1800, spec.seed);
    spec.q_lens.assign(spec.seqlens.size(), 2);
    RandomStep full = make_random_step(spec);
    DeviceStep device(full.problem, full.inputs);

    const DeviceStream owned_stream;
    const cudaStream_t stream = owned_stream.get();
    const DeviceStepGraph graph(device, stream);

    // Each step shortens every request differently (a decode loop seen
    // backwards: lengths always stay within the pages written) and swaps two
    // requests' block-table rows along with their lengths.
    std::mt19937 rng{uint32_t(heads)};
    HostDecodeInputs step = full.inputs;
    const int batch = full.problem.batch;
    const int width = full.problem.max_pages_per_request;
    for (int iteration = 0; iteration < 6; ++iteration) {
      const int a = int(rng() % batch), b = int(rng() % batch);
      std::swap_ranges(step.block_table.begin() + a * width,
                       step.block_table.begin() + (a + 1) * width,
                       step.block_table.begin() + b * width);
      std::swap(step.seqlens[a], step.seqlens[b]);
      for (int r = 0; r < batch; ++r) {
        step.seqlens[r] = std::max<int32_t>(0, step.seqlens[r] - int32_t(rng() % 200));
      }
      device.upload_lengths(step);
      device.poison_outputs(stream);
      graph.launch(stream);
      check(cudaStreamSynchronize(stream));
      const HostDecodeOutputs got = device.download_outputs();
      const HostDecodeOutputs ref = reference_decode(full.problem, step);
      const Comparison cmp = compare_outputs(full.problem, step, ref, got);
      EXPECT_TRUE(within(cmp, kGpuTolerance))
          << "replay " << iteration << ": relative error " << cmp.relative_error
          << ", lse error " << cmp.max_lse_error << ", bad rows " << cmp.bad_rows
          << " (" << cmp.first_bad << ")";
    }
  }
}

}  // namespace
}  // namespace mladec
