"""The PyTorch custom op ``torch.ops.mladec.decode``.

Importing this module registers the op (it imports torch; ``import mladec``
does not). The op is functional — it plans and decodes in one call and
returns new ``(out, lse)`` tensors — so ``torch.compile`` traces it through
its fake implementation and CUDA graphs capture it as plan + decode kernels
whose plan follows the lengths in ``seqlens`` at every replay. Its plan and
workspace come from PyTorch's caching allocator on the current stream.

``decode()`` below is the convenient entry; ``torch.ops.mladec.decode``
takes every argument explicitly.
"""

import functools
from typing import Optional, Tuple

import torch

from . import _mladec, api
from ._errors import Error

_LATENT_DIM = 512
_HEAD_DIM = 576
_BLOCKWISE_TOKEN_BYTES = 656


@functools.lru_cache(maxsize=None)
def _worker_count(device_index):
    return _mladec.device_worker_count(device_index)


@functools.lru_cache(maxsize=1024)
def _problem_and_layout(batch, num_heads, max_q_len, ragged_q, total_q, page_size,
                        num_pages, max_pages, kv_dtype, causal, softmax_scale, policy,
                        fixed_chunk_tokens, workers):
    problem = _mladec.Problem(
        batch=batch, num_heads=num_heads, max_q_len=max_q_len, ragged_q=ragged_q,
        total_q=total_q, page_size=page_size, num_pages=num_pages,
        max_pages_per_request=max_pages, kv_dtype=kv_dtype, causal=causal,
        softmax_scale=softmax_scale, policy=policy, fixed_chunk_tokens=fixed_chunk_tokens)
    layout = _mladec.plan_layout(problem, _mladec.select_config(problem), workers)
    return problem, layout


@torch.library.custom_op("mladec::decode", mutates_args=())
def _decode_op(
    q: torch.Tensor,
    kv_cache: torch.Tensor,
    block_table: torch.Tensor,
    seqlens: torch.Tensor,
    qo_indptr: Optional[torch.Tensor],
    softmax_scale: float,
    kv_dtype: str,
    kv_scale: float,
    causal: bool,
    max_q_len: int,
    policy: str,
    fixed_chunk_tokens: int,
    workers: int,
) -> Tuple[torch.Tensor, torch.Tensor]:
    if not q.is_cuda:
        raise Error(f"bad_tensor: q must be a CUDA tensor, got one on {q.device}", "bad_tensor")
    device = q.device
    with torch.cuda.device(device):
        workers = workers or _worker_count(device.index)
        problem, layout = _problem_and_layout(
            seqlens.shape[0], q.shape[1], max_q_len, qo_indptr is not None, q.shape[0],
            kv_cache.shape[1], kv_cache.shape[0], block_table.shape[1], kv_dtype, causal,
            softmax_scale, policy, fixed_chunk_tokens, workers)
        workspace = torch.empty(layout.workspace_bytes, dtype=torch.uint8, device=device)
        plan = api.Plan(
            problem, workers=workers, device=device.index, workspace=workspace,
            plan_buffer=torch.empty(layout.plan_bytes, dtype=torch.uint8, device=device))
        stream = torch.cuda.current_stream(device).cuda_stream
        api.plan(plan, seqlens, qo_indptr, stream=stream)
        return api.decode(plan, q, kv_cache, block_table, kv_scale=kv_scale, stream=stream)


@_decode_op.register_fake
def _decode_fake(q, kv_cache, block_table, seqlens, qo_indptr, softmax_scale, kv_dtype,
                 kv_scale, causal, max_q_len, policy, fixed_chunk_tokens, workers):
    rows = (q.shape[0], q.shape[1])
    return (q.new_empty(rows + (_LATENT_DIM,), dtype=torch.bfloat16),
            q.new_empty(rows, dtype=torch.float32))


def kv_dtype_of(kv_cache):
    """The mladec kv_dtype of a cache tensor: bfloat16 → 'bf16'; a 1-byte
    type with 576 values per token → 'fp8_e4m3', with 656 → 'fp8_blockwise'."""
    if kv_cache.dtype == torch.bfloat16:
        return "bf16"
    if kv_cache.dtype.itemsize == 1 and kv_cache.shape[-1] == _HEAD_DIM:
        return "fp8_e4m3"
    if kv_cache.dtype.itemsize == 1 and kv_cache.shape[-1] == _BLOCKWISE_TOKEN_BYTES:
        return "fp8_blockwise"
    raise Error(
        f"bad_tensor: kv_cache must be bfloat16 [..., 576], 1-byte [..., 576] (fp8_e4m3) "
        f"or 1-byte [..., 656] (fp8_blockwise), got {kv_cache.dtype} "
        f"[..., {kv_cache.shape[-1]}]",
        "bad_tensor",
    )


def decode(q, kv_cache, block_table, seqlens, *, softmax_scale, qo_indptr=None,
           max_q_len=None, kv_dtype=None, kv_scale=1.0, causal=True, policy="balanced",
           fixed_chunk_tokens=0, workers=0):
    """MLA decode through ``torch.ops.mladec.decode``.

    Args:
        q: [total_q, h_q, 576] bfloat16 CUDA tensor, last dimension contiguous.
        kv_cache: [num_pages, page_size, 576] bfloat16, or float8_e4m3fn /
            uint8 [..., 576] ('fp8_e4m3', value = fp8 * kv_scale), or uint8
            [..., 656] ('fp8_blockwise').
        block_table: [batch, max_pages_per_request] int32.
        seqlens: [batch] int32 KV lengths.
        softmax_scale: scale of q·k before the softmax (DeepSeek: 192 ** -0.5).
        qo_indptr: [batch + 1] int32 query offsets for ragged (per-request)
            query lengths; None means total_q / batch tokens per request.
        max_q_len: bound on a request's query tokens; needed with qo_indptr.
        kv_dtype: None infers it from kv_cache (see ``kv_dtype_of``).
        causal: MTP mask, bottom-right aligned: token t of s_q sees keys
            j <= L - s_q + t.
        policy: 'balanced' or 'fixed_chunk' (batch-invariant results).
        workers: persistent CTAs; 0 is the device's SM count.

    Returns ``(out [total_q, h_q, 512] bfloat16, lse [total_q, h_q] float32)``;
    rows with no visible key get out 0 and lse -inf.
    """
    if max_q_len is None:
        if qo_indptr is not None:
            raise Error("bad_q_len: max_q_len must be given with qo_indptr", "bad_q_len")
        max_q_len = q.shape[0] // max(seqlens.shape[0], 1)
    return torch.ops.mladec.decode(
        q, kv_cache, block_table, seqlens, qo_indptr, float(softmax_scale),
        kv_dtype or kv_dtype_of(kv_cache), float(kv_scale), bool(causal), int(max_q_len),
        policy, int(fixed_chunk_tokens), int(workers))
