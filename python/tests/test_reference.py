"""mladec.reference_decode (the C++ float64 reference) against the NumPy one
in cases.py, for every KV format, causal MTP, ragged queries, empty rows."""

import numpy as np
import pytest

import mladec
from cases import blockwise_products, make_step, numpy_reference, to_bf16_bits
from conftest import expect_error


def run_reference(step, **overrides):
    arrays = dict(q=step.q, kv_cache=step.kv_cache, block_table=step.block_table,
                  seqlens=step.seqlens, kv_scale=step.kv_scale)
    if step.problem_args["ragged_q"]:
        arrays["qo_indptr"] = step.qo_indptr
    arrays.update(overrides)
    return mladec.reference_decode(mladec.Problem(**step.problem_args), **arrays)


@pytest.mark.parametrize("kv_dtype", ["bf16", "fp8_e4m3", "fp8_blockwise"])
@pytest.mark.parametrize("q_len, causal", [(1, True), (3, True), (3, False)])
def test_matches_numpy_reference(kv_dtype, q_len, causal):
    # Lengths 0 and 2 < q_len give rows with no visible key under causality.
    step = make_step(5, [40, 0, 2, 77, 16], [q_len] * 5, page_size=16, kv_dtype=kv_dtype,
                     causal=causal, seed=q_len)
    out, lse = run_reference(step)
    want_out, want_lse = numpy_reference(step)
    assert out.shape == (5 * q_len, 5, 512) and lse.shape == (5 * q_len, 5)
    assert out.dtype == np.float64 and lse.dtype == np.float64
    np.testing.assert_allclose(out, want_out, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lse, want_lse, rtol=1e-9)
    empty = np.isneginf(want_lse)
    assert empty.any()  # at least the request with no KV
    assert (out[empty] == 0).all() and np.isneginf(lse[empty]).all()


@pytest.mark.parametrize("heads, q_len", [(1, 1), (16, 1), (8, 2), (17, 1), (5, 4), (128, 2)])
def test_blockwise_products_follow_the_tile_rows(heads, q_len):
    # The C++ rule (select_config) and this file's (cases.blockwise_products)
    # agree, and the two references dequantize alike on both sides of it.
    step = make_step(heads, [70, 3], [q_len] * 2, page_size=16, kv_dtype="fp8_blockwise",
                     seed=heads)
    config = mladec.select_config(mladec.Problem(**step.problem_args))
    assert config.blockwise_products == blockwise_products(step.problem_args)
    assert config.blockwise_products == ("exact" if heads * q_len <= 16 else "rounded_to_bf16")
    out, lse = run_reference(step)
    want_out, want_lse = numpy_reference(step)
    np.testing.assert_allclose(out, want_out, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lse, want_lse, rtol=1e-9)


def test_ragged_queries():
    step = make_step(3, [9, 30, 0, 64], [2, 0, 1, 4], page_size=8, ragged_q=True, seed=7)
    out, lse = run_reference(step)
    want_out, want_lse = numpy_reference(step)
    np.testing.assert_allclose(out, want_out, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lse, want_lse, rtol=1e-9)


def test_strided_host_arrays_are_read_by_index():
    step = make_step(4, [33, 12], [2, 2], page_size=16, seed=3)
    wide = np.zeros(step.q.shape[:2] + (1000,), np.uint16)
    wide[..., :576] = step.q
    out, _ = run_reference(step, q=wide[..., :576])
    np.testing.assert_array_equal(out, run_reference(step)[0])


def test_input_errors_name_the_array():
    step = make_step(4, [33, 12], [1, 1], page_size=16, seed=3)
    with expect_error("bad_tensor", "q must be bfloat16 (or uint16/int16 holding bf16 bits), "
                      "got float32"):
        run_reference(step, q=step.q.astype(np.float32))
    with expect_error("bad_tensor", "q holds"):
        run_reference(step, q=step.q[:1])
    with expect_error("bad_tensor", "block_table must be int32, got int64"):
        run_reference(step, block_table=step.block_table.astype(np.int64))
    bad_table = step.block_table.copy()
    bad_table[0, 1] = step.problem_args["num_pages"]
    with expect_error("bad_block_table", "block_table[0][1] must be in [0, num_pages"):
        run_reference(step, block_table=bad_table)
    with expect_error("bad_qo_indptr", "qo_indptr is given but the problem is not ragged_q"):
        run_reference(step, qo_indptr=step.qo_indptr)
    with pytest.raises(TypeError):
        run_reference(step, q=step.q.tolist())


def test_bf16_bit_helper_rounds_to_nearest_even():
    assert to_bf16_bits(np.float32(1.0)) == 0x3F80
    assert to_bf16_bits(np.float32(1.0 + 2**-8)) == 0x3F80  # tie, even stays
    assert to_bf16_bits(np.float32(1.0 + 3 * 2**-8)) == 0x3F82
