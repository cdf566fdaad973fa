"""Argument checks of the GPU path that run on any machine: element types of
every array, then q's shape and strides, are checked before anything asks
the CUDA driver about a pointer. (The other arrays' shapes are checked after
q's pointer; test_gpu_decode.py covers them on a GPU.)"""

import numpy as np
import pytest

import mladec
from conftest import GPU_UNAVAILABLE, expect_error

pytestmark = pytest.mark.skipif(not mladec.with_cuda, reason="mladec was built without CUDA")

PROBLEM = mladec.Problem(batch=2, num_heads=16, max_q_len=2, page_size=32, num_pages=8,
                         max_pages_per_request=4, softmax_scale=0.1)


def arrays(**changes):
    a = dict(q=np.zeros((4, 16, 576), np.uint16),
             kv_cache=np.zeros((8, 32, 576), np.uint16),
             block_table=np.zeros((2, 4), np.int32),
             seqlens=np.zeros(2, np.int32),
             out=np.zeros((4, 16, 512), np.uint16),
             lse=np.zeros((4, 16), np.float32))
    a.update(changes)
    return a


def validate(problem=PROBLEM, **changes):
    mladec.validate_args(problem, **arrays(**changes))


@pytest.mark.parametrize("changes, message", [
    (dict(q=np.zeros((4, 8, 576), np.uint16)), "q.shape[1] must be 16, got 8"),
    (dict(q=np.zeros((4, 16, 576), np.float16)),
     "q must be bfloat16 (or uint16/int16 holding bf16 bits), got float16"),
    (dict(q=np.zeros((1, 4, 16, 576, 1), np.uint16)), "q has 5 dimensions, at most 4"),
    (dict(q=np.zeros((4, 16, 576, 2), np.uint16)[..., 0]),
     "q must be contiguous in its last dimension, stride is 2"),
    (dict(kv_cache=np.zeros((8, 32, 576), np.uint8)), "kv_cache must be bfloat16"),
    (dict(seqlens=np.zeros(2, np.int64)), "seqlens must be int32, got int64"),
    (dict(block_table=np.zeros((2, 4), np.uint32)), "block_table must be int32, got uint32"),
    (dict(out=np.zeros((4, 16, 512), np.float32)), "out must be bfloat16"),
    (dict(lse=np.zeros((4, 16), np.float64)), "lse must be float32, got float64"),
    (dict(q=[[0.0]]), "q must be a DLPack array"),
])
def test_bad_arrays_are_named(changes, message):
    with expect_error("bad_tensor", message):
        validate(**changes)


def test_fp8_caches_take_bytes():
    fp8 = mladec.Problem(batch=2, num_heads=16, max_q_len=2, page_size=32, num_pages=8,
                         max_pages_per_request=4, softmax_scale=0.1, kv_dtype="fp8_blockwise")
    with expect_error("bad_tensor", "kv_cache must be uint8 (raw cache bytes; any 8-bit "
                      "type), got uint16"):
        validate(fp8, kv_cache=np.zeros((8, 32, 656), np.uint16))


def test_host_memory_is_refused_after_the_shapes_pass():
    with expect_error("bad_tensor", "q "):
        validate()


@pytest.mark.skipif(not GPU_UNAVAILABLE, reason="a usable GPU is present")
def test_a_plan_needs_a_gpu():
    with expect_error("cuda_error"):
        mladec.Plan(PROBLEM)
