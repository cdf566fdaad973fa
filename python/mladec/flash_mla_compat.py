"""FlashMLA's decode entry points on mladec, so an engine switches by import:

    from mladec.flash_mla_compat import get_mla_metadata, flash_mla_with_kvcache

Same arguments, shapes and outputs as FlashMLA's dense decode —
q [b, s_q, h_q, 576], k_cache [num_blocks, page_size, 1, 576],
out [b, s_q, h_q, 512] bfloat16, lse [b, h_q, s_q] float32 — without its
limits: any page size, any head count 1..128, s_q up to 64.

Differences to know:

* Empty rows. A query row that sees no key (cache_seqlens 0, or every key
  masked by ``causal``) gets out = 0 and lse = -inf here. FlashMLA returns
  out = 0 and lse = +inf for such rows. -inf is the log of an empty sum, so
  merging such an LSE with others (e.g. across KV shards) weighs it zero.
* Scheduling. ``get_mla_metadata`` makes no schedule; each
  ``flash_mla_with_kvcache`` call plans on the device from ``cache_seqlens``
  (one small kernel), so the metadata may be reused across layers and steps
  alike, and a CUDA graph replays plan + decode with new lengths. The
  ``num_splits`` returned and accepted are placeholders.
* FP8. ``is_fp8_kvcache=True`` reads FlashMLA's 656-byte blockwise format
  (k_cache [..., 656] of any 1-byte dtype), or, with last dimension 576, e4m3
  values with one per-tensor scale given as the extra keyword ``kv_scale``.
* Sparse attention (``topk`` / ``indices``) is not supported.
"""

import dataclasses

import torch

from . import torch_ops
from ._errors import Error

_HEAD_DIM = 576
_LATENT_DIM = 512


@dataclasses.dataclass
class MlaMetadata:
    """What ``get_mla_metadata`` returns in place of FlashMLA's tile
    scheduler metadata; ``flash_mla_with_kvcache`` plans every call."""

    workers: int = 0  # persistent CTAs; 0 is the device's SM count


def get_mla_metadata(cache_seqlens=None, num_q_tokens_per_head_k=None, num_heads_k=1,
                     num_heads_q=None, is_fp8_kvcache=False, topk=None):
    """FlashMLA's ``get_mla_metadata``: returns ``(MlaMetadata(), None)``.

    The arguments are checked, not needed (mladec plans on the device in
    each call); called without arguments it works as FlashMLA's newer API.
    """
    if num_heads_k != 1:
        raise Error(f"bad_num_heads: MLA decode has one KV head (num_heads_k = 1), "
                    f"got {num_heads_k}", "bad_num_heads")
    if topk is not None:
        raise NotImplementedError("mladec does not implement sparse (topk) attention")
    return MlaMetadata(), None


def _kv_dtype(k_cache, is_fp8_kvcache):
    if not is_fp8_kvcache:
        return "bf16"
    kv_dtype = torch_ops.kv_dtype_of(k_cache)
    if kv_dtype == "bf16":
        raise Error("bad_kv_dtype: is_fp8_kvcache=True needs a 1-byte k_cache, got bfloat16",
                    "bad_kv_dtype")
    return kv_dtype


def flash_mla_with_kvcache(q, k_cache, block_table, cache_seqlens, head_dim_v,
                           tile_scheduler_metadata, num_splits=None, softmax_scale=None,
                           causal=False, is_fp8_kvcache=False, indices=None, *,
                           kv_scale=1.0):
    """FlashMLA's ``flash_mla_with_kvcache`` (dense decode).

    Args:
        q: [batch, s_q, h_q, 576] bfloat16.
        k_cache: [num_blocks, page_size, 1, 576] bfloat16 (any page size), or
            with ``is_fp8_kvcache`` 1-byte [..., 656] (blockwise fp8) or
            [..., 576] (e4m3 with ``kv_scale``).
        block_table: [batch, max_blocks_per_seq] int32.
        cache_seqlens: [batch] int32.
        head_dim_v: must be 512.
        tile_scheduler_metadata: the ``MlaMetadata`` from ``get_mla_metadata``.
        num_splits: ignored (FlashMLA's second metadata tensor).
        softmax_scale: defaults to 576 ** -0.5, as in FlashMLA.
        causal: MTP mask: token t of s_q sees keys j <= L - s_q + t.
        kv_scale: (mladec) per-tensor scale of an e4m3 cache.

    Returns ``(out [batch, s_q, h_q, 512] bfloat16, lse [batch, h_q, s_q]
    float32)``; rows with no visible key: out 0, lse -inf (FlashMLA: +inf).
    """
    if not isinstance(tile_scheduler_metadata, MlaMetadata):
        raise Error("bad_config: tile_scheduler_metadata must come from "
                    "mladec.flash_mla_compat.get_mla_metadata", "bad_config")
    if indices is not None:
        raise NotImplementedError("mladec does not implement sparse (indices) attention")
    if head_dim_v != _LATENT_DIM:
        raise Error(f"bad_tensor: head_dim_v must be {_LATENT_DIM}, got {head_dim_v}",
                    "bad_tensor")
    if q.dim() != 4 or q.shape[-1] != _HEAD_DIM:
        raise Error(f"bad_tensor: q must be [batch, s_q, h_q, {_HEAD_DIM}], got "
                    f"{list(q.shape)}", "bad_tensor")
    if k_cache.dim() != 4 or k_cache.shape[2] != 1:
        raise Error(f"bad_tensor: k_cache must be [num_blocks, page_size, 1, head_dim], "
                    f"got {list(k_cache.shape)}", "bad_tensor")
    batch, s_q, h_q, _ = q.shape
    if softmax_scale is None:
        softmax_scale = _HEAD_DIM ** -0.5
    out, lse = torch.ops.mladec.decode(
        q.reshape(batch * s_q, h_q, _HEAD_DIM), k_cache[:, :, 0], block_table,
        cache_seqlens, None, float(softmax_scale), _kv_dtype(k_cache, is_fp8_kvcache),
        float(kv_scale), bool(causal), s_q, "balanced", 0,
        tile_scheduler_metadata.workers)
    return (out.view(batch, s_q, h_q, _LATENT_DIM),
            lse.view(batch, s_q, h_q).transpose(1, 2).contiguous())
