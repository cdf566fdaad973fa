"""mladec.append_kv on host (NumPy) caches: every token lands in its slot in
the cache's format, nothing else changes, and bad arguments raise their
error before anything is written. (test_gpu_append.py runs the GPU kernel.)"""

import numpy as np
import pytest

import mladec
from cases import BLOCKWISE_BYTES, HEAD_DIM, LATENT_DIM, dequantize, from_bf16_bits, to_bf16_bits
from conftest import expect_error

KV_SCALE = 0.02


def empty_cache(kv_dtype, num_pages, page_size):
    """A cache of NaN codes, so untouched rows are recognizable."""
    if kv_dtype == "bf16":
        return np.full((num_pages, page_size, HEAD_DIM), 0x7FC0, np.uint16)
    width = BLOCKWISE_BYTES if kv_dtype == "fp8_blockwise" else HEAD_DIM
    return np.full((num_pages, page_size, width), 0x7F, np.uint8)


def make_tokens(n, num_slots, seed):
    rng = np.random.default_rng(seed)
    latent = to_bf16_bits(rng.normal(size=(n, LATENT_DIM)).astype(np.float32))
    rope = to_bf16_bits(rng.normal(size=(n, HEAD_DIM - LATENT_DIM)).astype(np.float32))
    slots = rng.permutation(num_slots)[:n].astype(np.int64)
    slots[::7] = -1  # padding
    return latent, rope, slots


def within_format(kv_dtype, got, want):
    """Dequantized bytes against the input values, per the format's step."""
    if kv_dtype == "bf16":
        return np.array_equal(got, want)
    if kv_dtype == "fp8_e4m3":
        return (np.abs(got - want) <= np.maximum(np.abs(want) * 2**-4, KV_SCALE * 2**-10)).all()
    latent_got, latent_want = got[:, :LATENT_DIM], want[:, :LATENT_DIM]
    amax = np.abs(latent_want.reshape(len(want), 4, 128)).max(axis=2).repeat(128, axis=1)
    bound = (np.maximum(np.abs(latent_want) * 2**-4, amax / 448 * 2**-10)
             + np.abs(latent_got) * 2**-9)  # e4m3's step, then bf16 rounding
    return ((np.abs(latent_got - latent_want) <= bound).all()
            and np.array_equal(got[:, LATENT_DIM:], want[:, LATENT_DIM:]))


@pytest.mark.parametrize("kv_dtype", ["bf16", "fp8_e4m3", "fp8_blockwise"])
@pytest.mark.parametrize("page_size", [1, 16, 64])
def test_host_append_writes_each_token_in_its_slot_and_nothing_else(kv_dtype, page_size):
    num_pages = -(-80 // page_size) + 1
    cache = empty_cache(kv_dtype, num_pages, page_size)
    before = cache.copy()
    latent, rope, slots = make_tokens(60, num_pages * page_size, seed=page_size)
    mladec.append_kv(cache, latent, rope, slots, kv_dtype=kv_dtype, kv_scale=KV_SCALE)

    rows, old_rows = cache.reshape(num_pages * page_size, -1), before.reshape(
        num_pages * page_size, -1)
    written = slots >= 0
    untouched = np.ones(len(rows), bool)
    untouched[slots[written]] = False
    assert np.array_equal(rows[untouched], old_rows[untouched])
    values = np.concatenate([from_bf16_bits(latent), from_bf16_bits(rope)], axis=1)
    got = dequantize(rows[slots[written]], kv_dtype, KV_SCALE)
    assert within_format(kv_dtype, got, values[written].astype(np.float64))


def test_strided_rows_of_one_token_tensor():
    # latent and RoPE cut from one [n, 576] array: rows 576 elements apart.
    tokens = to_bf16_bits(np.random.default_rng(5).normal(size=(9, HEAD_DIM)).astype(np.float32))
    cache = empty_cache("bf16", 4, 4)
    slots = np.arange(9, dtype=np.int64)
    mladec.append_kv(cache, tokens[:, :LATENT_DIM], tokens[:, LATENT_DIM:], slots)
    assert np.array_equal(cache.reshape(16, HEAD_DIM)[:9], tokens)


def bad_call(**changes):
    cache = empty_cache("fp8_e4m3", 4, 16)
    latent, rope, slots = make_tokens(8, 64, seed=1)
    args = dict(kv_cache=cache, latent=latent, rope=rope, slots=slots,
                kv_dtype="fp8_e4m3", kv_scale=KV_SCALE)
    args.update(changes)
    return args


@pytest.mark.parametrize("changes, code, message", [
    (dict(slots=np.array([0, 1, 2, 3, 4, 5, 6, 64], np.int64)), "bad_slot",
     "slots[7] must be < num_pages * page_size = 64"),
    (dict(slots=np.array([0, 1, 2, 3, 4, 5, 6, 3], np.int64)), "bad_slot",
     "slots[7] = 3 repeats slots[3]"),
    (dict(slots=np.arange(8, dtype=np.int32)), "bad_tensor", "slots must be int64"),
    (dict(slots=np.arange(7, dtype=np.int64)), "bad_tensor", "slots.shape[0] must be 8"),
    (dict(latent=np.zeros((8, LATENT_DIM), np.float32)), "bad_tensor",
     "latent must be bfloat16"),
    (dict(rope=np.zeros((8, 32), np.uint16)), "bad_tensor", "rope.shape[1] must be 64"),
    (dict(kv_scale=0.0), "bad_kv_scale", "kv_scale must be finite and > 0"),
    (dict(kv_dtype="fp16"), "bad_kv_dtype", "kv_dtype must be"),
    (dict(kv_cache=np.zeros((4, 16, 656), np.uint8)), "bad_tensor",
     "kv_cache.shape[2] must be 576"),
])
def test_bad_arguments_write_nothing(changes, code, message):
    args = bad_call(**changes)
    cache = args.pop("kv_cache")
    before = cache.copy()
    with expect_error(code, message):
        mladec.append_kv(cache, **args)
    assert np.array_equal(cache, before)


def test_no_tokens_and_all_padding_write_nothing():
    cache = empty_cache("fp8_blockwise", 2, 16)
    before = cache.copy()
    latent, rope, _ = make_tokens(5, 32, seed=2)
    mladec.append_kv(cache, latent, rope, np.full(5, -1, np.int64), kv_dtype="fp8_blockwise")
    mladec.append_kv(cache, latent[:0], rope[:0], np.zeros(0, np.int64),
                     kv_dtype="fp8_blockwise")
    assert np.array_equal(cache, before)
