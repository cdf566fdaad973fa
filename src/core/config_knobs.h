#pragma once
// KernelConfig's integer planner knobs, each described once: the field, its
// name (error messages, JSON keys, Python attributes), the flag that
// overrides it in the benchmark's and `mladec plan`'s A/Bs, and its valid
// range (plan_layout's validation). A new knob added here is validated,
// bound in Python, fuzzed and exposed as those flags.
#include <array>
#include <climits>
#include <iterator>

#include "mladec/config.h"

namespace mladec::detail {

struct ConfigKnob {
  int KernelConfig::*field;
  const char* name;
  const char* flag;         // without the leading "--"
  const char* placeholder;  // the flag's value in usage lines
  int least, most;
};

inline constexpr ConfigKnob kConfigKnobs[] = {
    {&KernelConfig::split_cost_tokens, "split_cost_tokens", "split-cost", "T", 0, INT_MAX},
    {&KernelConfig::min_worker_share_tokens, "min_worker_share_tokens", "min-share", "T", 1,
     INT_MAX},
    {&KernelConfig::split_overhead_tokens, "split_overhead_tokens", "split-overhead", "T", 1,
     INT_MAX},
    {&KernelConfig::varlen_split_overhead_tokens, "varlen_split_overhead_tokens",
     "varlen-split-overhead", "T", 1, INT_MAX},
    {&KernelConfig::small_step_share_tokens, "small_step_share_tokens", "small-share", "T", 1,
     INT_MAX},
    {&KernelConfig::small_step_workers_percent, "small_step_workers_percent", "small-workers",
     "P", 1, 100},
    {&KernelConfig::block_cut_share_tokens, "block_cut_share_tokens", "block-cut-share", "T", 0,
     INT_MAX},
};
inline constexpr int kConfigKnobCount = int(std::size(kConfigKnobs));

// Values for the knobs in kConfigKnobs' order (the A/B flags); a negative
// one keeps the config's own.
using ConfigKnobValues = std::array<int, kConfigKnobCount>;
inline ConfigKnobValues unset_config_knobs() {
  ConfigKnobValues values;
  values.fill(-1);
  return values;
}
inline void apply_config_knobs(const ConfigKnobValues& values, KernelConfig& config) {
  for (int k = 0; k < kConfigKnobCount; ++k) {
    if (values[k] >= 0) config.*kConfigKnobs[k].field = values[k];
  }
}

}  // namespace mladec::detail
