"""The PyTorch side of the GPU tests: cases.Step on the GPU, and a float64
PyTorch reference written from DESIGN §2 (independent of the C++ one)."""

import dataclasses

import numpy as np
import torch

from cases import BLOCKWISE_GROUP, E4M3_VALUES, HEAD_DIM, LATENT_DIM, blockwise_products

_SCALES_END = LATENT_DIM + 16  # blockwise: 512 e4m3, 4 float32 scales, 64 bf16


@dataclasses.dataclass
class TorchStep:
    q: torch.Tensor            # [total_q, h, 576] bfloat16
    kv_cache: torch.Tensor     # bfloat16, float8_e4m3fn or uint8 (blockwise)
    block_table: torch.Tensor  # [batch, max_pages] int32
    seqlens: torch.Tensor      # [batch] int32
    qo_indptr: torch.Tensor    # [batch + 1] int32 (ragged problems only)


def to_device(step, device="cuda"):
    """The step's arrays as CUDA tensors (bf16 through int16 bits)."""
    kv_dtype = step.problem_args["kv_dtype"]
    kv = torch.from_numpy(step.kv_cache.view(np.int16 if kv_dtype == "bf16" else np.uint8))
    kv = kv.to(device)
    if kv_dtype == "bf16":
        kv = kv.view(torch.bfloat16)
    elif kv_dtype == "fp8_e4m3":
        kv = kv.view(torch.float8_e4m3fn)
    return TorchStep(
        q=torch.from_numpy(step.q.view(np.int16)).to(device).view(torch.bfloat16),
        kv_cache=kv,
        block_table=torch.from_numpy(step.block_table).to(device),
        seqlens=torch.from_numpy(step.seqlens).to(device),
        qo_indptr=torch.from_numpy(step.qo_indptr).to(device),
    )


def dequantize(kv_cache, kv_dtype, kv_scale, blockwise_products="rounded_to_bf16"):
    """float64 [..., 576] values of a cache tensor as the kernels read it.

    blockwise_products: cases.blockwise_products() of the problem.
    """
    if kv_dtype == "bf16":
        return kv_cache.double()
    table = torch.from_numpy(E4M3_VALUES).to(kv_cache.device)
    raw = kv_cache.view(torch.uint8)
    if kv_dtype == "fp8_e4m3":
        return table[raw.long()] * kv_scale
    # e4m3 * scale exactly, or the float32 product rounded once to bf16 (kv_format.h).
    scales = raw[..., LATENT_DIM:_SCALES_END].contiguous().view(torch.float32)
    codes = table[raw[..., :LATENT_DIM].long()]
    group_scales = scales.repeat_interleave(BLOCKWISE_GROUP, -1)
    if blockwise_products == "exact":
        latent = codes * group_scales.double()
    else:
        latent = (codes.float() * group_scales).to(torch.bfloat16).double()
    rope = raw[..., _SCALES_END:].contiguous().view(torch.bfloat16).double()
    return torch.cat([latent, rope], dim=-1)


def reference(q, kv_cache, block_table, seqlens, qo_indptr, *, softmax_scale, causal,
              kv_dtype="bf16", kv_scale=1.0, blockwise_products="rounded_to_bf16"):
    """(out [total_q, h, 512], lse [total_q, h]) float64 NumPy arrays.

    q and kv_cache are tensors; block_table, seqlens and qo_indptr host
    (NumPy) arrays, so the reference never reads what a request does not own.
    """
    kv = dequantize(kv_cache, kv_dtype, kv_scale, blockwise_products)
    page_size = kv.shape[1]
    scale = float(np.float32(softmax_scale))  # a Problem holds a float32
    queries = q.double()
    out = torch.zeros(q.shape[0], q.shape[1], LATENT_DIM, dtype=torch.float64, device=q.device)
    lse = torch.full(q.shape[:2], -np.inf, dtype=torch.float64, device=q.device)
    for b, length in enumerate(int(x) for x in seqlens):
        begin, end = int(qo_indptr[b]), int(qo_indptr[b + 1])
        pages = torch.from_numpy(block_table[b, :-(-length // page_size)].astype(np.int64))
        keys = kv[pages.to(kv.device)].reshape(-1, HEAD_DIM)[:length]
        scores = torch.einsum("thd,jd->thj", queries[begin:end], keys) * scale
        if causal:
            # Token t of s_q sees keys j <= length - s_q + t (bottom-right aligned).
            t = torch.arange(end - begin, device=q.device)[:, None]
            j = torch.arange(length, device=q.device)[None, :]
            hidden = j > length - (end - begin) + t
            scores = scores.masked_fill(hidden[:, None, :], -np.inf)
        row_lse = torch.logsumexp(scores, dim=-1)
        weights = torch.exp(scores - row_lse[..., None]).nan_to_num(0.0)
        out[begin:end] = weights @ keys[:, :LATENT_DIM]
        lse[begin:end] = row_lse
    return out.cpu().numpy(), lse.cpu().numpy()


def step_reference(step, torch_step):
    """reference() of a cases.Step already on the device."""
    args = step.problem_args
    return reference(torch_step.q, torch_step.kv_cache, step.block_table, step.seqlens,
                     step.qo_indptr, softmax_scale=args["softmax_scale"],
                     causal=args["causal"], kv_dtype=args["kv_dtype"],
                     kv_scale=step.kv_scale,
                     blockwise_products=blockwise_products(args))


def host(out, lse):
    """Outputs as float64 NumPy arrays for assert_matches_reference."""
    return out.double().cpu().numpy(), lse.double().cpu().numpy()
