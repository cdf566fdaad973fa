"""Host plans (the planner the GPU runs), their balance and the validator."""

import math

import numpy as np
import pytest

import mladec
from conftest import expect_error


def make(num_heads=16, q_len=1, batch=6, page_size=16, max_pages=64, **extra):
    return mladec.Problem(batch=batch, num_heads=num_heads, max_q_len=q_len,
                          page_size=page_size, num_pages=batch * max_pages,
                          max_pages_per_request=max_pages, softmax_scale=0.1, **extra)


@pytest.mark.parametrize("q_len", [1, 2, 3, 4])
def test_every_head_count_plans_validly(q_len):
    rng = np.random.default_rng(q_len)
    for heads in range(1, 129):
        p = make(num_heads=heads, q_len=q_len)
        seqlens = rng.integers(0, p.max_kv_len + 1, p.batch)
        plan = mladec.make_host_plan(p, mladec.select_config(p), 132, seqlens)
        mladec.validate_plan(p, plan, seqlens)
        units = p.batch * math.ceil(q_len * heads / 64)
        assert plan.header["num_units"] == units, heads
        assert plan.header["status"] == 0


def test_balanced_plans_even_out_a_large_batch():
    p = make(num_heads=128, batch=64, page_size=64, max_pages=128)
    seqlens = np.random.default_rng(1).integers(1024, 8192, p.batch)
    plan = mladec.make_host_plan(p, mladec.select_config(p), 132, seqlens)
    balance = plan.balance()
    # Units of unequal cost at 64-row tiles: the cuts charge a piece 320 tokens.
    assert plan.header["piece_overhead"] == plan.config.varlen_split_overhead_tokens == 320
    assert len(balance.worker_cost) == 132
    assert balance.max_over_mean < 1.1
    # Every block with a token of a unit (two 64-row units per request) is
    # walked at least once.
    blocks = np.array(balance.worker_blocks)
    assert len(blocks) == 132
    assert blocks.sum() >= 2 * sum((int(n) + 63) // 64 for n in seqlens)  # 2 tiles per request


def test_ragged_plans_need_qo_indptr():
    p = make(q_len=4, ragged_q=True, total_q=10)
    config = mladec.select_config(p)
    indptr = [0, 4, 4, 7, 8, 9, 10]
    plan = mladec.make_host_plan(p, config, 8, [5, 0, 100, 3, 900, 17], indptr)
    mladec.validate_plan(p, plan, [5, 0, 100, 3, 900, 17], indptr)
    with expect_error("bad_qo_indptr", "qo_indptr must be given for a ragged_q problem"):
        mladec.make_host_plan(p, config, 8, [1] * 6)
    with expect_error("bad_qo_indptr", "query length of request 0", "got 5"):
        mladec.make_host_plan(p, config, 8, [1] * 6, [0, 5, 5, 5, 5, 5, 5])


def test_lengths_are_checked_against_the_problem():
    p = make()
    config = mladec.select_config(p)
    with expect_error("bad_seqlen", "seqlens holds 5 entries, expected batch = 6"):
        mladec.make_host_plan(p, config, 8, [1] * 5)
    with expect_error("bad_seqlen", "seqlens[2] must be in [0, max_pages_per_request*page_size "
                      "= 1024], got 1025"):
        mladec.make_host_plan(p, config, 8, [1, 1, 1025, 1, 1, 1])
    with expect_error("bad_qo_indptr", "qo_indptr is given but the problem is not ragged_q"):
        mladec.make_host_plan(p, config, 8, [1] * 6, [0] * 7)


def test_validator_finds_a_corrupted_plan():
    p = make()
    seqlens = [700, 0, 1024, 5, 64, 300]
    plan = mladec.make_host_plan(p, mladec.select_config(p), 8, seqlens)
    with expect_error("plan_invalid"):
        mladec.validate_plan(p, plan, [700, 0, 1024, 5, 64, 301])
    raw = bytearray(plan.buffer)
    raw[8:12] = (1 << 30).to_bytes(4, "little")  # PlanHeader.num_pieces
    plan.buffer = bytes(raw)
    with expect_error("plan_invalid"):
        mladec.validate_plan(p, plan, seqlens)
    with expect_error("plan_mismatch", "holds", "got 3"):
        plan.buffer = b"abc"


def test_a_plan_for_one_problem_is_refused_for_another():
    p, other = make(), make(num_heads=17)
    plan = mladec.make_host_plan(p, mladec.select_config(p), 8, [1] * 6)
    with expect_error("plan_mismatch"):
        mladec.validate_plan(other, plan, [1] * 6)
