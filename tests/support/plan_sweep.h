#pragma once
// The planner suites' sweep of fixed-length shapes: h_q × batch × KV length
// × worker count, each planned with select_config()'s configuration and
// with a variant of it (a rule turned off), both plans validated.
#include <sstream>
#include <string>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "tests/support/lengths_case.h"

namespace mladec::test {

struct SweptShape {
  int num_heads, batch, kv_len, workers;
  KernelConfig config;  // select_config()'s
  HostPlan plan;        // with config
  HostPlan variant;     // with the variant's config

  std::string describe() const {
    std::ostringstream s;
    s << "\n  h_q " << num_heads << " batch " << batch << " kv " << kv_len << " workers "
      << workers;
    return s.str();
  }
};

// fn(const SweptShape&) for 5 × 5 × 6 × 3 = 450 shapes (one query token).
template <typename Variant, typename Fn>
void for_each_swept_shape(Variant&& variant_config, Fn&& fn) {
  for (int num_heads : {1, 16, 20, 64, 128}) {
    for (int batch : {1, 2, 4, 16, 64}) {
      for (int kv_len : {1, 64, 300, 1024, 4096, 32768}) {
        for (int workers : {7, 66, 132}) {
          const LengthsCase c = fixed_lengths_case(batch, num_heads, 1, kv_len);
          const KernelConfig config = select_config(c.problem);
          const KernelConfig other = variant_config(config);
          SweptShape s{num_heads, batch, kv_len, workers, config,
                       make_host_plan(c.problem, config, workers, c.lengths()),
                       make_host_plan(c.problem, other, workers, c.lengths())};
          validate_plan(c.problem, config, s.plan.layout, c.lengths(), s.plan.buffer.data());
          validate_plan(c.problem, other, s.variant.layout, c.lengths(),
                        s.variant.buffer.data());
          fn(s);
        }
      }
    }
  }
}

}  // namespace mladec::test
