"""mladec: Multi-head Latent Attention (MLA) decode for Hopper GPUs.

The C++ library's API on DLPack arrays (PyTorch, CuPy, JAX, NumPy)::

    problem = mladec.Problem(batch=8, num_heads=128, page_size=64, num_pages=...,
                             max_pages_per_request=..., softmax_scale=192 ** -0.5)
    plan = mladec.Plan(problem)                    # device buffers, once
    mladec.plan(plan, seqlens)                     # each step (graph-capturable)
    out, lse = mladec.decode(plan, q, kv_cache, block_table)

Host-side pieces work without a GPU: ``select_config``, ``plan_layout``,
``make_host_plan``, ``validate_plan`` and the float64 ``reference_decode``.
``mladec.append_kv`` writes new tokens into a paged cache (host or GPU).
``mladec.torch_ops`` registers the PyTorch op ``torch.ops.mladec.decode``
and ``mladec.flash_mla_compat`` offers FlashMLA's entry points; both import
torch, this package does not. Every failure raises ``mladec.Error``, whose
``code`` names what was wrong.
"""

from ._errors import Error
from ._mladec import (
    HostPlan,
    KernelConfig,
    PlanBalance,
    PlanLayout,
    Problem,
    __version__,
    device_unavailable_reason,
    device_worker_count,
    make_host_plan,
    plan_layout,
    reference_decode,
    select_config,
    validate_plan,
    with_cuda,
)
from .api import Plan, append_kv, decode, plan, validate_args

__all__ = [
    "Error",
    "HostPlan",
    "KernelConfig",
    "Plan",
    "PlanBalance",
    "PlanLayout",
    "Problem",
    "__version__",
    "append_kv",
    "decode",
    "device_unavailable_reason",
    "device_worker_count",
    "make_host_plan",
    "plan",
    "plan_layout",
    "reference_decode",
    "select_config",
    "validate_args",
    "validate_plan",
    "with_cuda",
]
