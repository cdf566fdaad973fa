"""Random decode steps for the tests, in NumPy (bf16 as uint16 bits, fp8 as
bytes), and a NumPy float64 reference written from DESIGN §2, independent of
the C++ one.

Like the C++ suites: q and KV ~ N(0, 1), pages scattered in random order,
every KV slot no request uses is NaN and every block-table entry past a
request's pages is a huge index, so a kernel that reads them cannot pass.
"""

import dataclasses

import numpy as np

HEAD_DIM = 576
LATENT_DIM = 512
BLOCKWISE_BYTES = 656
BLOCKWISE_GROUP = 128
HUGE_PAGE = 2**31 - 8
NAN_BF16 = 0x7FC0
NAN_E4M3 = 0x7F


def to_bf16_bits(values):
    """float32 → bf16 bits, round to nearest even."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def from_bf16_bits(bits):
    return (np.asarray(bits, np.uint16).astype(np.uint32) << 16).view(np.float32)


def _e4m3_values():
    codes = np.arange(256)
    exponent, mantissa = (codes >> 3) & 0xF, codes & 0x7
    magnitude = np.where(exponent == 0, mantissa / 8 * 2.0**-6,
                         (1 + mantissa / 8) * 2.0 ** (exponent - 7.0))
    values = np.where(codes & 0x80, -magnitude, magnitude)
    values[[0x7F, 0xFF]] = np.nan
    return values


E4M3_VALUES = _e4m3_values()  # float64 value of each e4m3fn byte
_FINITE_CODES = np.argsort(E4M3_VALUES)[:254]  # NaNs sort last
_FINITE_SORTED = E4M3_VALUES[_FINITE_CODES]


def to_e4m3(values):
    """float → nearest e4m3fn byte (ties to either neighbour)."""
    x = np.clip(np.asarray(values, np.float64), -448.0, 448.0)
    hi = np.clip(np.searchsorted(_FINITE_SORTED, x), 1, len(_FINITE_SORTED) - 1)
    lo = hi - 1
    nearer_hi = np.abs(_FINITE_SORTED[hi] - x) < np.abs(x - _FINITE_SORTED[lo])
    return _FINITE_CODES[np.where(nearer_hi, hi, lo)].astype(np.uint8)


@dataclasses.dataclass
class Step:
    """One decode step: Problem keyword arguments and host arrays."""

    problem_args: dict
    q: np.ndarray            # [total_q, h, 576] uint16 (bf16 bits)
    kv_cache: np.ndarray     # [pages, page, 576] uint16 / uint8, or [..., 656] uint8
    block_table: np.ndarray  # [batch, max_pages] int32
    seqlens: np.ndarray      # [batch] int32
    qo_indptr: np.ndarray    # [batch + 1] int32, always filled
    kv_scale: float


def _fill_tokens(kv_dtype, count, kv_scale, rng):
    normal = rng.standard_normal((count, HEAD_DIM))
    if kv_dtype == "bf16":
        return to_bf16_bits(normal)
    if kv_dtype == "fp8_e4m3":
        return to_e4m3(normal / kv_scale)
    scales = rng.uniform(0.002, 0.02, (count, LATENT_DIM // BLOCKWISE_GROUP)).astype(np.float32)
    latent = to_e4m3(normal[:, :LATENT_DIM] / np.repeat(scales, BLOCKWISE_GROUP, axis=1))
    rope = to_bf16_bits(normal[:, LATENT_DIM:])
    return np.concatenate([latent, scales.view(np.uint8), rope.view(np.uint8)], axis=1)


def make_step(num_heads, seqlens, q_lens, *, page_size=64, kv_dtype="bf16", causal=True,
              ragged_q=False, policy="balanced", spare_pages=1, seed=0):
    rng = np.random.default_rng(seed)
    seqlens = np.asarray(seqlens, np.int32)
    q_lens = np.asarray(q_lens, np.int32)
    batch = len(seqlens)
    pages_needed = -(-seqlens // page_size)
    num_pages = int(pages_needed.sum()) + 3  # spare pages: NaN for stray reads
    max_pages = int(pages_needed.max()) + spare_pages
    token_shape = (BLOCKWISE_BYTES,) if kv_dtype == "fp8_blockwise" else (HEAD_DIM,)
    if kv_dtype == "bf16":
        kv_cache = np.full((num_pages, page_size) + token_shape, NAN_BF16, np.uint16)
    else:
        kv_cache = np.full((num_pages, page_size) + token_shape, NAN_E4M3, np.uint8)
    kv_scale = float(np.float32(rng.uniform(0.005, 0.05)))  # the library holds a float32
    block_table = np.full((batch, max_pages), HUGE_PAGE, np.int32)
    order = rng.permutation(num_pages)
    next_page = 0
    for b in range(batch):
        for i in range(pages_needed[b]):
            page = order[next_page]
            next_page += 1
            block_table[b, i] = page
            tokens = min(page_size, seqlens[b] - i * page_size)
            kv_cache[page, :tokens] = _fill_tokens(kv_dtype, tokens, kv_scale, rng)
    qo_indptr = np.concatenate([[0], np.cumsum(q_lens)]).astype(np.int32)
    total_q = int(qo_indptr[-1])
    q = to_bf16_bits(rng.standard_normal((total_q, num_heads, HEAD_DIM)))
    problem_args = dict(
        batch=batch, num_heads=num_heads, max_q_len=int(max(q_lens.max(), 1)),
        ragged_q=ragged_q, total_q=total_q, page_size=page_size, num_pages=num_pages,
        max_pages_per_request=max_pages, kv_dtype=kv_dtype, causal=causal,
        softmax_scale=HEAD_DIM**-0.5, policy=policy)
    return Step(problem_args, q, kv_cache, block_table, seqlens, qo_indptr, kv_scale)


def blockwise_products(problem_args):
    """How the kernel form of a problem applies blockwise scales (kv_format.h):
    tiles of up to 16 query rows keep e4m3 values and apply each scale exactly,
    larger tiles multiply bf16(e4m3 * scale)."""
    rows = problem_args["num_heads"] * problem_args["max_q_len"]
    return "exact" if rows <= 16 else "rounded_to_bf16"


def dequantize(kv_cache, kv_dtype, kv_scale, products="rounded_to_bf16"):
    """[..., 576] float64 values of a cache as the kernels read it
    (products: blockwise_products() of the problem)."""
    if kv_dtype == "bf16":
        return from_bf16_bits(kv_cache).astype(np.float64)
    if kv_dtype == "fp8_e4m3":
        return E4M3_VALUES[kv_cache] * kv_scale
    scales = np.ascontiguousarray(kv_cache[..., LATENT_DIM:LATENT_DIM + 16]).view(np.float32)
    codes = E4M3_VALUES[kv_cache[..., :LATENT_DIM]]
    group_scales = np.repeat(scales, BLOCKWISE_GROUP, axis=-1)
    if products == "exact":
        latent = codes.astype(np.float64) * group_scales.astype(np.float64)
    else:
        # The float32 product rounded once to bf16.
        product = codes.astype(np.float32) * group_scales
        latent = from_bf16_bits(to_bf16_bits(product)).astype(np.float64)
    rope = from_bf16_bits(np.ascontiguousarray(kv_cache[..., LATENT_DIM + 16:]).view(np.uint16))
    return np.concatenate([latent, rope.astype(np.float64)], axis=-1)


def numpy_reference(step):
    """(out [total_q, h, 512], lse [total_q, h]) in float64."""
    args = step.problem_args
    kv = dequantize(step.kv_cache, args["kv_dtype"], step.kv_scale, blockwise_products(args))
    q = from_bf16_bits(step.q).astype(np.float64)
    out = np.zeros(q.shape[:2] + (LATENT_DIM,))
    lse = np.full(q.shape[:2], -np.inf)
    page_size = args["page_size"]
    scale = float(np.float32(args["softmax_scale"]))  # a Problem holds a float32
    for b, length in enumerate(step.seqlens):
        begin, end = step.qo_indptr[b], step.qo_indptr[b + 1]
        pages = step.block_table[b, :-(-length // page_size)]
        keys = kv[pages].reshape(-1, HEAD_DIM)[:length]
        for t in range(end - begin):
            visible = length - (end - begin) + t + 1 if args["causal"] else length
            visible = max(0, min(visible, length))
            if visible == 0:
                continue
            scores = q[begin + t] @ keys[:visible].T * scale
            top = scores.max(axis=1, keepdims=True)
            weights = np.exp(scores - top)
            total = weights.sum(axis=1, keepdims=True)
            out[begin + t] = weights @ keys[:visible, :LATENT_DIM] / total
            lse[begin + t] = (top + np.log(total))[:, 0]
    return out, lse


def assert_matches_reference(out, lse, ref_out, ref_lse, relative=1e-2, lse_error=1e-3):
    """DESIGN §7's check of bf16 results against the float64 reference (NumPy
    arrays): no NaN anywhere; rows with no visible key exactly out 0 and lse
    -inf; elsewhere ||out - ref|| / ||ref|| and max |lse - ref| in bounds."""
    out, lse = np.asarray(out, np.float64), np.asarray(lse, np.float64)
    assert out.shape == ref_out.shape and lse.shape == ref_lse.shape
    assert not np.isnan(out).any(), "NaN in out"
    assert not np.isnan(lse).any(), "NaN in lse"
    empty = np.isneginf(ref_lse)
    assert (out[empty] == 0).all(), "a row with no visible key has out != 0"
    assert np.isneginf(lse[empty]).all(), "a row with no visible key has lse != -inf"
    seen = ~empty
    if not seen.any():
        return
    error = np.linalg.norm(out[seen] - ref_out[seen]) / np.linalg.norm(ref_out[seen])
    assert error < relative, f"relative error {error:.3g}"
    worst = np.abs(lse[seen] - ref_lse[seen]).max()
    assert worst < lse_error, f"lse error {worst:.3g}"
