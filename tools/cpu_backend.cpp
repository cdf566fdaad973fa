#include <chrono>

#include "mladec/reference.h"
#include "tools/backend.h"

namespace mladec::cli {

BackendRun run_on_cpu(const RandomStep& step, const KernelConfig& config, int workers) {
  const DecodeProblem& problem = step.problem;
  HostPlan plan = make_host_plan(problem, config, workers,
                                 step.inputs.lengths(problem));
  BackendRun run;
  run.device = "cpu (execute_plan, float64)";
  run.workers = workers;
  const auto start = std::chrono::steady_clock::now();
  run.outputs = execute_plan(problem, plan, step.inputs);
  const std::chrono::duration<double, std::micro> elapsed =
      std::chrono::steady_clock::now() - start;
  run.timing = Timing{elapsed.count(), elapsed.count(), 1, 1};
  return run;
}

}  // namespace mladec::cli
