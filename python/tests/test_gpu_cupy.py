"""CuPy arrays through the core API (bf16 as uint16 bits: CuPy has no
bfloat16), on CuPy's current stream, against the C++ float64 reference."""

import pytest

import mladec
from cases import assert_matches_reference, from_bf16_bits, make_step
from conftest import requires_cupy, requires_gpu

pytestmark = [requires_gpu, requires_cupy]


@pytest.mark.parametrize("num_heads, q_len, page_size", [(128, 1, 64), (20, 3, 16), (8, 2, 1)])
def test_cupy_arrays(num_heads, q_len, page_size):
    import cupy

    step = make_step(num_heads, [100, 0, 1333, 2], [q_len] * 4, page_size=page_size, seed=31)
    problem = mladec.Problem(**step.problem_args)
    with cupy.cuda.Stream(non_blocking=True) as stream:
        q, kv_cache, block_table, seqlens = (
            cupy.asarray(a) for a in (step.q, step.kv_cache, step.block_table, step.seqlens))
        plan = mladec.plan(mladec.Plan(problem), seqlens)
        out, lse = mladec.decode(plan, q, kv_cache, block_table)
        stream.synchronize()
    assert (out.dtype, lse.dtype) == (cupy.uint16, cupy.float32)
    assert out.shape == (problem.total_q, num_heads, 512)
    reference = mladec.reference_decode(problem, step.q, step.kv_cache, step.block_table,
                                        step.seqlens)
    assert_matches_reference(from_bf16_bits(out.get()), lse.get(), *reference)
