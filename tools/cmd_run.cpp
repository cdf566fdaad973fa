// mladec run: a DeepSeek-shaped decode step, timed, then checked.
#include "tools/commands.h"
#include "tools/decode_job.h"

namespace mladec::cli {

namespace {

// DeepSeek-V3/R1 at TP 1: 128 heads, one query token, page 64, 4K context.
// Batch 8 keeps the CPU fallback (executor + reference) to seconds.
constexpr ProblemDefaults kDefaults{8, 128, 1, 64, 4096};
constexpr int kDefaultSamples = 15;

std::string usage() {
  return "usage: mladec run [problem flags] [--backend NAME] "
         "[--workers W] [planner knobs]\n"
         "                  [--repeats N]\n"
         "Runs a DeepSeek-shaped decode step on the GPU when there is one "
         "(else on the CPU\nexecutor), prints its time and checks it against "
         "the reference like check.\n\n" +
         problem_flags_help(kDefaults) + job_flags_help() +
         "  --repeats N        GPU timing samples, median reported (default " +
         std::to_string(kDefaultSamples) + ")\n";
}

int run(Args& args) {
  const ProblemFlags problem = take_problem_flags(args, kDefaults);
  const JobFlags job = take_job_flags(args);
  const int samples = int(args.take_int("repeats", kDefaultSamples, 1, 100000));
  args.finish();
  return run_decode_job("run", problem, job, samples);
}

}  // namespace

const Command kRunCommand{
    "run", "time a DeepSeek-shaped decode step and check it", usage, run};

}  // namespace mladec::cli
