#pragma once
// A KernelConfig's kernel form: the fields select_config() derives from the
// problem alone and the decode's kernel instantiation follows — tile_rows,
// fp8_compute and blockwise_products. Callers may change select_config()'s
// planner knobs (src/core/config_knobs.h) and policy fields, never these:
// the sm_90a decode refuses a config whose form is not select_config()'s,
// so no plan runs on a kernel form that no test covers (a blockwise cache at
// 32-row tiles, bf16 at 64 rows for h_q 16, ...) and the reference, which
// takes the form from select_config() too, always describes what ran.
#include "mladec/config.h"
#include "mladec/problem.h"

namespace mladec::detail {

// Throws mladec::Error (kBadConfig) naming the first form field of `config`
// that differs from select_config(problem)'s, with both values.
void require_selected_kernel_form(const DecodeProblem& problem, const KernelConfig& config);

}  // namespace mladec::detail
