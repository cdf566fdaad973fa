// mladec plan: the host plan of a problem, per worker, and its balance.
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "mladec/plan.h"
#include "src/core/config_knobs.h"
#include "tools/commands.h"
#include "tools/problem_flags.h"

namespace mladec::cli {

namespace {

constexpr ProblemDefaults kDefaults{8, 128, 1, 64, 4096};

std::string usage() {
  return
      "usage: mladec plan [problem flags] [--workers W] [planner knobs] [--summary]\n"
      "Plans a decode step on the host (make_plan), checks it "
      "(validate_plan) and prints\neach worker's pieces and the balance "
      "(max worker cost / mean).\n\n" +
      problem_flags_help(kDefaults) +
      "  --workers W        persistent workers (default " + std::to_string(kDefaultWorkers) +
      ", an H200's SMs)\n"
      "  --summary          print the summary only, not every worker\n" +
      config_knob_flags_help();
}

void print_workers(const HostPlan& plan, const PlanBalance& balance) {
  const int32_t* begin = plan.worker_piece_begin();
  const PlanPiece* pieces = plan.pieces();
  const PlanUnit* units = plan.units();
  for (int w = 0; w < plan.layout.workers; ++w) {
    std::printf("worker %d: cost %lld, pieces %d\n", w,
                static_cast<long long>(balance.worker_cost[w]),
                begin[w + 1] - begin[w]);
    for (int i = begin[w]; i < begin[w + 1]; ++i) {
      const PlanPiece& piece = pieces[i];
      const PlanUnit& unit = units[piece.unit];
      std::printf("  unit %d: request %d, rows [%d, %d), kv [%d, %d), ",
                  piece.unit, unit.request, unit.row_begin,
                  unit.row_begin + unit.row_count, piece.kv_begin,
                  piece.kv_end);
      if (piece.slot < 0) {
        std::printf("direct\n");
      } else {
        std::printf("slot %d (split %d of %d)\n", piece.slot,
                    piece.slot - unit.first_slot + 1, unit.num_splits);
      }
    }
  }
}

void print_summary(const HostPlan& plan, const PlanBalance& balance) {
  const KernelConfig& c = plan.config;
  const PlanHeader& h = plan.header();
  std::printf("config: tile_rows %d, kv_block_tokens %d, split_align_tokens %d, "
              "fixed_chunk_tokens %d",
              c.tile_rows, c.kv_block_tokens, c.split_align_tokens, c.fixed_chunk_tokens);
  for (const detail::ConfigKnob& knob : detail::kConfigKnobs) {
    std::printf(", %s %d", knob.name, c.*knob.field);
  }
  std::printf("\n");
  std::printf("plan: %d workers, %d units, %d pieces, %d split slots, %d "
              "combined units, piece overhead %d tokens; plan buffer %zu bytes, "
              "workspace %zu bytes\n",
              h.workers, h.num_units, h.num_pieces, h.num_split_slots,
              h.num_combine, h.piece_overhead, plan.layout.plan_bytes,
              plan.layout.workspace_bytes);
  std::printf("validate_plan: ok\n");
  const std::vector<int64_t>& cost = balance.worker_cost;
  const int64_t total = std::accumulate(cost.begin(), cost.end(), int64_t(0));
  const auto idle = std::count(cost.begin(), cost.end(), int64_t(0));
  std::printf("balance: max/mean worker cost %.3f (min %lld, mean %.1f, max "
              "%lld; %lld idle workers)\n",
              balance.max_over_mean,
              static_cast<long long>(*std::min_element(cost.begin(), cost.end())),
              double(total) / cost.size(),
              static_cast<long long>(*std::max_element(cost.begin(), cost.end())),
              static_cast<long long>(idle));
  const std::vector<int64_t>& blocks = balance.worker_blocks;
  std::printf("blocks: the busiest worker walks %lld KV blocks of %d tokens, all workers %lld\n",
              static_cast<long long>(*std::max_element(blocks.begin(), blocks.end())),
              c.kv_block_tokens,
              static_cast<long long>(std::accumulate(blocks.begin(), blocks.end(), int64_t(0))));
}

int run(Args& args) {
  const ProblemFlags flags = take_problem_flags(args, kDefaults);
  const int workers =
      int(args.take_int("workers", kDefaultWorkers, 1, INT32_MAX));
  const detail::ConfigKnobValues knobs = take_config_knob_flags(args);
  const bool summary_only = args.take_switch("summary");
  args.finish();

  const StepLengths lengths = step_lengths(flags);
  const DecodeProblem problem = shape_problem(flags, lengths);
  const RequestLengths request_lengths{
      lengths.seqlens.data(),
      problem.ragged_q ? lengths.qo_indptr.data() : nullptr};
  const KernelConfig config = configure(problem, knobs);
  const HostPlan plan = make_host_plan(problem, config, workers, request_lengths);
  validate_plan(problem, config, plan.layout, request_lengths,
                plan.buffer.data());
  const PlanBalance balance = plan_balance(config, plan);

  std::printf("mladec plan: %s\n", describe(flags, lengths).c_str());
  if (!summary_only) print_workers(plan, balance);
  print_summary(plan, balance);
  return 0;
}

}  // namespace

const Command kPlanCommand{"plan", "print the plan of a problem and its balance",
                           usage, run};

}  // namespace mladec::cli
