#pragma once
#include "mladec/plan.h"
#include "src/core/planner.h"

namespace mladec::detail {

// The planner's view of (problem, config, layout) plus where the lengths are
// (host or device pointers, whichever the driver runs on).
PlannerParams planner_params(const DecodeProblem& problem,
                             const KernelConfig& config,
                             const PlanLayout& layout, const int32_t* seqlens,
                             const int32_t* qo_indptr);

// Throws kPlanMismatch unless `layout` is plan_layout(problem, config,
// layout.workers): a plan sized for another problem must never be used.
void require_matching_layout(const DecodeProblem& problem,
                             const KernelConfig& config,
                             const PlanLayout& layout);

}  // namespace mladec::detail
