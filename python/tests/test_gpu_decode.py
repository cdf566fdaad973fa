"""The PyTorch op and the core API on an sm_90 GPU against the float64
PyTorch reference: every head count 8..128 with s_q 1..4, both policies,
ragged queries, page sizes, streams, opcheck and torch.compile."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mladec  # noqa: E402
from mladec import torch_ops  # noqa: E402
from cases import assert_matches_reference, make_step  # noqa: E402
from conftest import expect_error, requires_gpu  # noqa: E402
from torch_reference import host, step_reference, to_device  # noqa: E402

pytestmark = requires_gpu

PAGE_SIZES = (1, 16, 64, 33, 128)


def op_decode(step, t, **extra):
    args = step.problem_args
    return torch_ops.decode(t.q, t.kv_cache, t.block_table, t.seqlens,
                            softmax_scale=args["softmax_scale"], causal=args["causal"],
                            policy=args["policy"], kv_scale=step.kv_scale, **extra)


@pytest.mark.parametrize("q_len", [1, 2, 3, 4])
@pytest.mark.parametrize("num_heads", range(8, 129))
def test_op_matches_the_float64_reference(num_heads, q_len):
    # An empty request, a short one and one long enough to be split, so the
    # direct-write, split and combine paths all run.
    rng = np.random.default_rng(1000 * num_heads + q_len)
    seqlens = [0, int(rng.integers(1, 300)), int(rng.integers(1500, 3000))]
    page_size = PAGE_SIZES[(num_heads + q_len) % len(PAGE_SIZES)]
    step = make_step(num_heads, seqlens, [q_len] * 3, page_size=page_size,
                     seed=num_heads * 7 + q_len)
    t = to_device(step)
    out, lse = op_decode(step, t)
    assert (out.shape, out.dtype) == ((3 * q_len, num_heads, 512), torch.bfloat16)
    assert (lse.shape, lse.dtype) == ((3 * q_len, num_heads), torch.float32)
    assert_matches_reference(*host(out, lse), *step_reference(step, t))


@pytest.mark.parametrize("policy", ["balanced", "fixed_chunk"])
@pytest.mark.parametrize("page_size", [16, 64])
def test_core_api_writes_given_outputs_from_a_checked_plan(policy, page_size):
    step = make_step(64, [0, 5, 3000, 4100, 77], [2] * 5, page_size=page_size,
                     policy=policy, seed=3)
    t = to_device(step)
    problem = mladec.Problem(**step.problem_args)
    plan = mladec.Plan(problem)
    out = torch.full((problem.total_q, 64, 512), float("nan"), dtype=torch.bfloat16,
                     device="cuda")
    lse = torch.full((problem.total_q, 64), float("nan"), device="cuda")
    mladec.plan(plan, t.seqlens)
    got = mladec.decode(plan, t.q, t.kv_cache, t.block_table, out=out, lse=lse)
    assert got[0] is out and got[1] is lse
    checked = plan.check()
    assert checked.header["status"] == 0
    assert checked.header["workers"] == plan.layout.workers == torch.cuda.get_device_properties(
        0).multi_processor_count
    assert_matches_reference(*host(out, lse), *step_reference(step, t))


def test_checked_mode_refuses_a_page_past_the_pool_and_writes_nothing():
    step = make_step(16, [700, 0, 90], [1] * 3, page_size=16, seed=21)
    t = to_device(step)
    plan = mladec.plan(mladec.Plan(mladec.Problem(**step.problem_args)), t.seqlens)
    out = torch.full((3, 16, 512), float("nan"), dtype=torch.bfloat16, device="cuda")
    lse = torch.full((3, 16), float("nan"), device="cuda")
    bad_table = t.block_table.clone()
    bad_table[2, 1] = t.kv_cache.shape[0]  # request 2 (90 tokens) uses column 1
    with expect_error("bad_block_table", "block_table[2][1]", "nothing was run"):
        mladec.decode(plan, t.q, t.kv_cache, bad_table, out=out, lse=lse, checked=True)
    torch.cuda.synchronize()
    assert out.isnan().all() and lse.isnan().all()
    mladec.decode(plan, t.q, t.kv_cache, t.block_table, out=out, lse=lse, checked=True)
    assert_matches_reference(*host(out, lse), *step_reference(step, t))


def test_ragged_queries_through_both_apis():
    step = make_step(20, [9, 300, 0, 1500, 64], [2, 0, 1, 4, 3], page_size=16,
                     ragged_q=True, seed=11)
    t = to_device(step)
    plan = mladec.plan(mladec.Plan(mladec.Problem(**step.problem_args)), t.seqlens,
                       t.qo_indptr)
    core = mladec.decode(plan, t.q, t.kv_cache, t.block_table)
    plan.check()
    op = op_decode(step, t, qo_indptr=t.qo_indptr, max_q_len=4)
    reference = step_reference(step, t)
    assert_matches_reference(*host(*core), *reference)
    assert torch.equal(core[0], op[0]) and torch.equal(core[1], op[1])


def test_fixed_chunk_results_do_not_depend_on_the_batch():
    step = make_step(32, [5000, 130, 4097, 0, 2049], [1] * 5, page_size=64,
                     policy="fixed_chunk", seed=5)
    t = to_device(step)
    out, lse = op_decode(step, t)
    scale = step.problem_args["softmax_scale"]
    for b in range(5):
        alone = torch_ops.decode(t.q[b:b + 1], t.kv_cache, t.block_table[b:b + 1],
                                 t.seqlens[b:b + 1], softmax_scale=scale,
                                 policy="fixed_chunk")
        assert torch.equal(alone[0], out[b:b + 1]), b
        assert torch.equal(alone[1], lse[b:b + 1]), b


def test_all_empty_sequences_give_zero_and_minus_infinity():
    step = make_step(16, [0, 0, 0], [3] * 3, page_size=16, seed=1)
    t = to_device(step)
    out, lse = op_decode(step, t)
    assert torch.equal(out, torch.zeros_like(out))
    assert torch.isneginf(lse).all()


@pytest.mark.parametrize("kv_dtype", ["fp8_e4m3", "fp8_blockwise"])
def test_fp8_caches(kv_dtype):
    step = make_step(16, [0, 200, 1000], [2] * 3, page_size=16, kv_dtype=kv_dtype, seed=9)
    t = to_device(step)
    try:
        out, lse = op_decode(step, t)
    except mladec.Error as error:
        if error.code == "bad_kv_dtype" and "so far" in str(error):
            pytest.skip(f"the GPU kernels do not read {kv_dtype} yet: {error}")
        raise
    assert_matches_reference(*host(out, lse), *step_reference(step, t))


def test_runs_on_the_callers_stream():
    step = make_step(16, [700, 20], [1, 1], page_size=16, seed=4)
    t = to_device(step)
    want = op_decode(step, t)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        got = op_decode(step, t)
        plan = mladec.plan(mladec.Plan(mladec.Problem(**step.problem_args)), t.seqlens)
        core = mladec.decode(plan, t.q, t.kv_cache, t.block_table)
    explicit = mladec.decode(plan, t.q, t.kv_cache, t.block_table, stream=side)
    side.synchronize()
    for result in (got, core, explicit):
        assert torch.equal(result[0], want[0]) and torch.equal(result[1], want[1])


def test_bad_arguments_are_refused_before_anything_runs():
    step = make_step(16, [10, 20], [1, 1], page_size=16, seed=2)
    t = to_device(step)
    problem = mladec.Problem(**step.problem_args)
    plan = mladec.Plan(problem)
    with expect_error("plan_invalid", "call mladec.plan(plan, seqlens) first"):
        mladec.decode(plan, t.q, t.kv_cache, t.block_table)
    with expect_error("bad_qo_indptr", "not ragged_q"):
        mladec.plan(plan, t.seqlens, t.qo_indptr)
    mladec.plan(plan, t.seqlens)
    with expect_error("bad_tensor", "kv_cache.shape[1] must be 16, got 8"):
        mladec.decode(plan, t.q, t.kv_cache[:, :8], t.block_table)
    with expect_error("bad_tensor", "block_table must point to device memory"):
        mladec.decode(plan, t.q, t.kv_cache, t.block_table.cpu())
    with expect_error("bad_tensor", "out must be bfloat16"):
        mladec.decode(plan, t.q, t.kv_cache, t.block_table,
                      out=torch.empty(2, 16, 512, device="cuda"))
    layout = plan.layout
    with expect_error("buffer_too_small", f"the plan needs {layout.plan_bytes}"):
        mladec.Plan(problem, plan_buffer=torch.empty(64, dtype=torch.uint8, device="cuda"))
    unaligned = torch.empty(layout.plan_bytes + 1, dtype=torch.uint8, device="cuda")[1:]
    with expect_error("bad_tensor", "plan_buffer must be 128-byte aligned"):
        mladec.Plan(problem, plan_buffer=unaligned)


def test_user_buffers_are_used():
    step = make_step(16, [300, 20], [2, 2], page_size=16, seed=6)
    t = to_device(step)
    problem = mladec.Problem(**step.problem_args)
    layout = mladec.plan_layout(problem, mladec.select_config(problem), 8)
    plan_buffer = torch.zeros(layout.plan_bytes, dtype=torch.uint8, device="cuda")
    workspace = torch.empty(layout.workspace_bytes, dtype=torch.uint8, device="cuda")
    plan = mladec.Plan(problem, workers=8, plan_buffer=plan_buffer, workspace=workspace)
    mladec.plan(plan, t.seqlens)
    out, lse = mladec.decode(plan, t.q, t.kv_cache, t.block_table)
    torch.cuda.synchronize()
    assert plan_buffer.any()  # the plan landed in the caller's buffer
    assert plan.check().header["workers"] == 8
    assert_matches_reference(*host(out, lse), *step_reference(step, t))


class Producer:
    """An array type mladec does not know: only the DLPack protocol."""

    def __init__(self, tensor):
        self.tensor = tensor

    def __dlpack__(self, stream=None):
        return self.tensor.__dlpack__(stream=stream)

    def __dlpack_device__(self):
        return self.tensor.__dlpack_device__()


def test_any_dlpack_producer_gets_outputs_mladec_allocates():
    step = make_step(16, [300, 0, 45], [1] * 3, page_size=16, seed=13)
    t = to_device(step)
    plan = mladec.plan(mladec.Plan(mladec.Problem(**step.problem_args)), Producer(t.seqlens))
    out, lse = mladec.decode(plan, Producer(t.q), Producer(t.kv_cache),
                             Producer(t.block_table))
    out, lse = torch.from_dlpack(out), torch.from_dlpack(lse)
    torch.cuda.synchronize()
    assert (out.dtype, lse.dtype, out.device.type) == (torch.bfloat16, torch.float32, "cuda")
    assert_matches_reference(*host(out, lse), *step_reference(step, t))


@pytest.mark.parametrize("ragged", [False, True])
def test_opcheck(ragged):
    step = make_step(24, [100, 0, 900], [2, 1, 2] if ragged else [2] * 3, page_size=16,
                     ragged_q=ragged, seed=8)
    t = to_device(step)
    args = (t.q, t.kv_cache, t.block_table, t.seqlens, t.qo_indptr if ragged else None,
            step.problem_args["softmax_scale"], "bf16", 1.0, True, 2, "balanced", 0, 0)
    torch.library.opcheck(torch.ops.mladec.decode.default, args)


def test_torch_compile_matches_eager():
    step = make_step(32, [640, 0, 2000], [2] * 3, page_size=64, seed=12)
    t = to_device(step)
    scale = step.problem_args["softmax_scale"]

    def attention(q, kv_cache, block_table, seqlens):
        out, lse = torch_ops.decode(q, kv_cache, block_table, seqlens, softmax_scale=scale)
        return out * 2, lse + 1  # exact in both, so results compare bitwise

    compiled = torch.compile(attention, fullgraph=True)
    for seqlens in (t.seqlens, t.seqlens // 3):  # new lengths, same graph
        want = attention(t.q, t.kv_cache, t.block_table, seqlens)
        got = compiled(t.q, t.kv_cache, t.block_table, seqlens)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
