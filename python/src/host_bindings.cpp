// The host side of the library, usable without a GPU: host plans (the same
// planner the GPU runs), the plan validator and the float64 reference.
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <optional>
#include <vector>

#include "mladec/constants.h"
#include "mladec/plan.h"
#include "mladec/reference.h"
#include "python/src/array_views.h"
#include "python/src/bindings.h"
#include "src/core/require.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace mladec::python {

namespace {

using detail::require;
using Lengths = std::vector<int32_t>;

// Lengths for the host planner and validator, checked against the problem's
// batch so the library never reads past them.
RequestLengths request_lengths(const DecodeProblem& problem, const Lengths& seqlens,
                               const std::optional<Lengths>& qo_indptr) {
  require(seqlens.size() == size_t(problem.batch), ErrorCode::kBadSeqLen,
          "seqlens holds ", seqlens.size(), " entries, expected batch = ",
          problem.batch);
  require(qo_indptr.has_value() == problem.ragged_q, ErrorCode::kBadQoIndptr,
          problem.ragged_q ? "qo_indptr must be given for a ragged_q problem"
                           : "qo_indptr is given but the problem is not ragged_q");
  if (qo_indptr) {
    require(qo_indptr->size() == size_t(problem.batch) + 1, ErrorCode::kBadQoIndptr,
            "qo_indptr holds ", qo_indptr->size(), " entries, expected batch + 1 = ",
            problem.batch + 1);
  }
  return RequestLengths{seqlens.data(), qo_indptr ? qo_indptr->data() : nullptr};
}

nb::dict header_dict(const HostPlan& plan) {
  const PlanHeader& h = plan.header();
  nb::dict d;
  d["workers"] = h.workers;
  d["num_units"] = h.num_units;
  d["num_items"] = h.num_items;
  d["num_pieces"] = h.num_pieces;
  d["num_split_slots"] = h.num_split_slots;
  d["num_combine"] = h.num_combine;
  d["status"] = h.status;
  d["piece_overhead"] = h.piece_overhead;
  return d;
}

std::vector<uint8_t> kv_bytes(const DecodeProblem& problem, const Array& kv_cache) {
  const ScalarType type = kv_cache_scalar_type(problem.kv_dtype);
  if (type != ScalarType::kBf16) return host_copy<uint8_t>(kv_cache, type, "kv_cache");
  const std::vector<uint16_t> bits = host_copy<uint16_t>(kv_cache, type, "kv_cache");
  std::vector<uint8_t> bytes(bits.size() * sizeof(uint16_t));
  if (!bits.empty()) std::memcpy(bytes.data(), bits.data(), bytes.size());
  return bytes;
}

template <typename T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& values,
                                   std::initializer_list<size_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(owned->data(), shape, owner);
}

nb::tuple reference(const DecodeProblem& problem, const Array& q, const Array& kv_cache,
                    const Array& block_table, const Array& seqlens,
                    std::optional<Array> qo_indptr, float kv_scale) {
  HostDecodeInputs in;
  in.q = host_copy<uint16_t>(q, ScalarType::kBf16, "q");
  in.kv_cache = kv_bytes(problem, kv_cache);
  in.block_table = host_copy<int32_t>(block_table, ScalarType::kInt32, "block_table");
  in.seqlens = host_copy<int32_t>(seqlens, ScalarType::kInt32, "seqlens");
  require(qo_indptr.has_value() == problem.ragged_q, ErrorCode::kBadQoIndptr,
          problem.ragged_q ? "qo_indptr must be given for a ragged_q problem"
                           : "qo_indptr is given but the problem is not ragged_q");
  if (qo_indptr) {
    in.qo_indptr = host_copy<int32_t>(*qo_indptr, ScalarType::kInt32, "qo_indptr");
  } else {
    // The reference reads qo_indptr always; uniform queries start at b * q_len.
    for (int b = 0; b <= problem.batch; ++b) in.qo_indptr.push_back(b * problem.max_q_len);
  }
  in.kv_scale = kv_scale;
  HostDecodeOutputs result;
  {
    nb::gil_scoped_release release;
    result = reference_decode(problem, in);
  }
  const size_t rows = size_t(problem.total_q), heads = size_t(problem.num_heads);
  return nb::make_tuple(to_numpy(std::move(result.out), {rows, heads, size_t(kLatentDim)}),
                        to_numpy(std::move(result.lse), {rows, heads}));
}

}  // namespace

void bind_host(nb::module_& m) {
  nb::class_<PlanBalance>(m, "PlanBalance",
                          "Planner cost per worker and max / mean (1.0 is perfect), and the "
                          "KV blocks each worker walks.")
      .def_ro("worker_cost", &PlanBalance::worker_cost)
      .def_ro("max_over_mean", &PlanBalance::max_over_mean)
      .def_ro("worker_blocks", &PlanBalance::worker_blocks,
              "KV blocks (kv_block_tokens) each worker's pieces walk: a piece pays for every "
              "block it has a token in.");

  nb::class_<HostPlan>(m, "HostPlan", R"(A plan in host memory with its config and layout.

make_host_plan() makes one; Plan.download() copies a device plan into one.)")
      .def_ro("config", &HostPlan::config)
      .def_ro("layout", &HostPlan::layout)
      .def_prop_ro("header", &header_dict,
                   "Counts of the plan's units, pieces, split slots and combines, "
                   "the planner cost of a piece's start its cuts used (piece_overhead), "
                   "and its status (0: planned; else the device planner rejected "
                   "the lengths and the plan holds no work).")
      .def("balance", [](const HostPlan& p) { return plan_balance(p.config, p); },
           "Planner cost of each worker and max / mean.")
      .def_prop_rw(
          "buffer",
          [](const HostPlan& p) { return nb::bytes(p.buffer.data(), p.buffer.size()); },
          [](HostPlan& p, const nb::bytes& bytes) {
            require(bytes.size() == p.buffer.size(), ErrorCode::kPlanMismatch,
                    "a plan buffer of this layout holds ", p.buffer.size(),
                    " bytes, got ", bytes.size());
            std::memcpy(p.buffer.data(), bytes.c_str(), bytes.size());
          },
          "The plan's bytes (layout.plan_bytes), as the GPU reads them.");

  m.def("make_host_plan",
        [](const DecodeProblem& problem, const KernelConfig& config, int workers,
           const Lengths& seqlens, const std::optional<Lengths>& qo_indptr) {
          return make_host_plan(problem, config, workers,
                                request_lengths(problem, seqlens, qo_indptr));
        },
        "problem"_a, "config"_a, "workers"_a, "seqlens"_a, "qo_indptr"_a = nb::none(),
        "Plans on the host with the planner the GPU runs. Lengths are int "
        "sequences (lists, NumPy arrays).");

  m.def("validate_plan",
        [](const DecodeProblem& problem, const HostPlan& plan, const Lengths& seqlens,
           const std::optional<Lengths>& qo_indptr) {
          validate_plan(problem, plan.config, plan.layout,
                        request_lengths(problem, seqlens, qo_indptr), plan.buffer.data());
        },
        "problem"_a, "plan"_a, "seqlens"_a, "qo_indptr"_a = nb::none(),
        "Proves a plan safe and complete for these lengths: every index inside "
        "its buffer, every (request, query row, KV token) covered once. Raises "
        "mladec.Error (code 'plan_invalid') naming the first violation.");

  m.def("reference_decode", &reference, "problem"_a, "q"_a, "kv_cache"_a,
        "block_table"_a, "seqlens"_a, "qo_indptr"_a = nb::none(), "kv_scale"_a = 1.f,
        R"(The float64 CPU reference on host arrays (NumPy or any DLPack CPU array).

q: [total_q, h_q, 576] bf16 bits (uint16) or bfloat16; kv_cache: the problem's
kv_dtype ([num_pages, page_size, 576] bf16 bits / 8-bit e4m3, or
[num_pages, page_size, 656] uint8); block_table [batch, max_pages] int32;
seqlens [batch] int32; qo_indptr [batch + 1] int32 for ragged problems.
Returns (out [total_q, h_q, 512], lse [total_q, h_q]) as float64; a row with
no visible key has out 0 and lse -inf.)");
}

}  // namespace mladec::python
