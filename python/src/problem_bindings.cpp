// Problem, KernelConfig and PlanLayout: the shape of a decode step and the
// values select_config() and plan_layout() derive from it. A Problem is
// validated when it is made and immutable after, so every object holding one
// (plans, layouts) describes a valid step.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <optional>
#include <sstream>
#include <string>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "python/src/bindings.h"
#include "src/core/config_knobs.h"
#include "src/core/require.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace mladec::python {

KvDtype parse_kv_dtype(const std::string& name) {
  for (KvDtype dtype : {KvDtype::kBf16, KvDtype::kFp8E4m3, KvDtype::kFp8Blockwise}) {
    if (name == kv_dtype_name(dtype)) return dtype;
  }
  detail::fail(ErrorCode::kBadKvDtype,
               "kv_dtype must be 'bf16', 'fp8_e4m3' or 'fp8_blockwise', got '",
               name, "'");
}

namespace {

SchedulePolicy parse_policy(const std::string& name) {
  for (SchedulePolicy policy : {SchedulePolicy::kBalanced, SchedulePolicy::kFixedChunk}) {
    if (name == policy_name(policy)) return policy;
  }
  detail::fail(ErrorCode::kBadPolicy,
               "policy must be 'balanced' or 'fixed_chunk', got '", name, "'");
}

DecodeProblem make_problem(int batch, int num_heads, int64_t num_pages,
                           int max_pages_per_request, float softmax_scale,
                           int page_size, int max_q_len,
                           const std::string& kv_dtype, bool causal,
                           const std::string& policy, int fixed_chunk_tokens,
                           bool ragged_q, std::optional<int64_t> total_q, bool fp8_compute) {
  DecodeProblem p;
  p.batch = batch;
  p.num_heads = num_heads;
  p.num_pages = num_pages;
  p.max_pages_per_request = max_pages_per_request;
  p.softmax_scale = softmax_scale;
  p.page_size = page_size;
  p.max_q_len = max_q_len;
  p.kv_dtype = parse_kv_dtype(kv_dtype);
  p.causal = causal;
  p.policy = parse_policy(policy);
  p.fixed_chunk_tokens = fixed_chunk_tokens;
  p.ragged_q = ragged_q;
  p.total_q = total_q.value_or(int64_t(batch) * max_q_len);
  p.fp8_compute = fp8_compute;
  validate_problem(p);
  return p;
}

std::string describe(const DecodeProblem& p) {
  std::ostringstream s;
  s << "Problem(batch=" << p.batch << ", num_heads=" << p.num_heads
    << ", max_q_len=" << p.max_q_len << ", ragged_q=" << (p.ragged_q ? "True" : "False")
    << ", total_q=" << p.total_q << ", page_size=" << p.page_size
    << ", num_pages=" << p.num_pages
    << ", max_pages_per_request=" << p.max_pages_per_request << ", kv_dtype='"
    << kv_dtype_name(p.kv_dtype) << "', causal=" << (p.causal ? "True" : "False")
    << ", softmax_scale=" << p.softmax_scale << ", policy='"
    << policy_name(p.policy) << "', fixed_chunk_tokens=" << p.fixed_chunk_tokens
    << ", fp8_compute=" << (p.fp8_compute ? "True" : "False") << ")";
  return s.str();
}

}  // namespace

void bind_problem(nb::module_& m) {
  nb::class_<DecodeProblem>(m, "Problem", R"(The shape of one decode step.

Everything that sizes buffers and picks the kernel; per-request lengths are
data, given to plan(), so one Problem serves a whole decode loop. Validated
when made (mladec.Error names the bad field, its value and its limit) and
immutable after.

kv_dtype: 'bf16' (576 bf16 per token), 'fp8_e4m3' (576 e4m3 values, one
float32 scale for the tensor) or 'fp8_blockwise' (656 bytes per token).
policy: 'balanced' (even split-KV over all workers) or 'fixed_chunk'
(splits at multiples of fixed_chunk_tokens: batch-invariant results).
total_q defaults to batch * max_q_len (uniform queries); ragged_q problems
take per-request query lengths from qo_indptr and total_q rows of q.
fp8_compute (fp8_e4m3 caches only): the opt-in fp8-compute mode — tiles of
64 query rows quantize Q per row and P to e4m3 and multiply in e4m3, faster
and less accurate (KernelConfig.fp8_compute says whether it runs).)")
      .def(nb::new_(&make_problem), nb::kw_only(), "batch"_a, "num_heads"_a,
           "num_pages"_a, "max_pages_per_request"_a, "softmax_scale"_a,
           "page_size"_a = 64, "max_q_len"_a = 1, "kv_dtype"_a = "bf16",
           "causal"_a = true, "policy"_a = "balanced",
           "fixed_chunk_tokens"_a = 0, "ragged_q"_a = false,
           "total_q"_a = nb::none(), "fp8_compute"_a = false)
      .def_ro("batch", &DecodeProblem::batch)
      .def_ro("num_heads", &DecodeProblem::num_heads)
      .def_ro("max_q_len", &DecodeProblem::max_q_len)
      .def_ro("ragged_q", &DecodeProblem::ragged_q)
      .def_ro("total_q", &DecodeProblem::total_q)
      .def_ro("page_size", &DecodeProblem::page_size)
      .def_ro("num_pages", &DecodeProblem::num_pages)
      .def_ro("max_pages_per_request", &DecodeProblem::max_pages_per_request)
      .def_ro("causal", &DecodeProblem::causal)
      .def_ro("softmax_scale", &DecodeProblem::softmax_scale)
      .def_ro("fixed_chunk_tokens", &DecodeProblem::fixed_chunk_tokens)
      .def_ro("fp8_compute", &DecodeProblem::fp8_compute)
      .def_prop_ro("kv_dtype", [](const DecodeProblem& p) { return kv_dtype_name(p.kv_dtype); })
      .def_prop_ro("policy", [](const DecodeProblem& p) { return policy_name(p.policy); })
      .def_prop_ro("max_kv_len", &DecodeProblem::max_kv_len,
                   "Longest KV sequence the block table can address.")
      .def_prop_ro("kv_token_bytes",
                   [](const DecodeProblem& p) { return kv_token_bytes(p.kv_dtype); },
                   "Bytes of one KV cache token in kv_dtype.")
      .def("__repr__", &describe);

  auto config_class =
      nb::class_<KernelConfig>(m, "KernelConfig",
                               "How a problem is run; select_config() derives it.");
  // The planner knobs, each under its field's name (src/core/config_knobs.h).
  for (const detail::ConfigKnob& knob : detail::kConfigKnobs) {
    config_class.def_ro(knob.name, knob.field);
  }
  config_class.def_ro("tile_rows", &KernelConfig::tile_rows)
      .def_ro("kv_block_tokens", &KernelConfig::kv_block_tokens)
      .def_ro("split_align_tokens", &KernelConfig::split_align_tokens)
      .def_ro("fixed_chunk_tokens", &KernelConfig::fixed_chunk_tokens)
      .def_ro("concurrent_tiles", &KernelConfig::concurrent_tiles)
      .def_ro("fp8_compute", &KernelConfig::fp8_compute,
              "The fp8-compute form runs (Problem.fp8_compute at 64-row tiles).")
      .def_prop_ro(
          "blockwise_products",
          [](const KernelConfig& c) {
            return c.blockwise_products == BlockwiseProducts::kExact ? "exact" : "rounded_to_bf16";
          },
          "How a blockwise cache's scales are applied: 'exact' (e4m3 * scale) or "
          "'rounded_to_bf16' (bf16(e4m3 * scale)); the reference computes on the same values.");

  m.def("select_config", &select_config, "problem"_a,
        "The kernel configuration of a problem: the one place it is derived.");

  nb::class_<PlanLayout>(m, "PlanLayout", R"(Capacities and sizes of one plan.

They depend on the problem's shape and the worker count only, never on the
lengths, so buffers sized by them serve every step of a decode loop (and a
CUDA graph can replay plan + decode with new lengths).)")
      .def_ro("workers", &PlanLayout::workers)
      .def_ro("batch", &PlanLayout::batch)
      .def_ro("max_units", &PlanLayout::max_units)
      .def_ro("max_items", &PlanLayout::max_items)
      .def_ro("max_pieces", &PlanLayout::max_pieces)
      .def_ro("max_split_slots", &PlanLayout::max_split_slots)
      .def_ro("max_combine", &PlanLayout::max_combine)
      .def_ro("slot_rows", &PlanLayout::slot_rows)
      .def_ro("plan_bytes", &PlanLayout::plan_bytes,
              "Bytes of the plan buffer (device memory, 128-byte aligned).")
      .def_ro("workspace_bytes", &PlanLayout::workspace_bytes,
              "Bytes of the decode workspace (split partials); may be 0.");

  m.def("plan_layout", &plan_layout, "problem"_a, "config"_a, "workers"_a,
        "Buffer sizes of a plan for `workers` persistent CTAs (1..65536).");
}

}  // namespace mladec::python
