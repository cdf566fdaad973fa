// mladec check: one random step on the best backend against the reference.
#include "tools/commands.h"
#include "tools/decode_job.h"

namespace mladec::cli {

namespace {

// Small enough for the float64 reference to answer in about a second.
constexpr ProblemDefaults kDefaults{4, 128, 1, 64, 1024};

std::string usage() {
  return "usage: mladec check [problem flags] [--backend NAME] "
         "[--workers W] [planner knobs]\n"
         "Runs a random decode step and compares it with the float64 "
         "reference: PASS\n(exit 0) or FAIL (exit 1). Limits: GPU out rel "
         "error < 1e-2 and |lse error|\n< 1e-3; CPU executor both < 1e-9.\n\n" +
         problem_flags_help(kDefaults) + job_flags_help();
}

int run(Args& args) {
  const ProblemFlags problem = take_problem_flags(args, kDefaults);
  const JobFlags job = take_job_flags(args);
  args.finish();
  return run_decode_job("check", problem, job, 0);
}

}  // namespace

const Command kCheckCommand{
    "check", "run a random step on the best backend and compare with the "
             "reference",
    usage, run};

}  // namespace mladec::cli
