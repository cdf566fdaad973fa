#!/usr/bin/env python3
"""Accuracy of an fp8-compute decode (issue 4's optional mode), emulated in
numpy before any kernel is written: Q quantized per row to e4m3 (scale
amax/448) for S = Q·Kᵀ against the e4m3 cache, and P quantized to e4m3
(fixed scale 448, P <= 1) for P·V, against the float64 reference on the same
dequantized cache. Prints the relative output error of each variant next to
the bf16-compute path's, and of a two-term form (Q and P each as an e4m3
hi + lo pair, twice the products), with exact and with truncated (13-bit)
group sums. Usage: bench/fp8_compute_accuracy.py [SEED]"""
import sys

import numpy as np


def to_e4m3(x):
    """Round to the nearest e4m3 value (3 mantissa bits, |x| <= 448,
    subnormals down to 2^-9); ties away from zero, close enough here."""
    x = np.asarray(x, dtype=np.float64)
    a = np.minimum(np.abs(x), 448.0)
    exponent = np.maximum(np.floor(np.log2(np.maximum(a, 2.0**-9))), -6)
    step = 2.0 ** (exponent - 3)
    return np.sign(x) * np.round(a / step) * step


def to_bf16(x):
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def two_terms(x):
    """x as hi + lo, both e4m3: hi the nearest e4m3 value, lo the rest's."""
    hi = to_e4m3(x)
    return hi, to_e4m3(x - hi)


def row_power_of_two(x, top=7):
    """Per row, the power of two that takes the row's largest magnitude into
    [2^top, 2^(top+1)) (exact scaling; the kernels' fp8_compute_q_shift)."""
    largest = np.maximum(np.abs(x).max(axis=1, keepdims=True), 2.0**-126)
    return 2.0 ** (top - np.floor(np.log2(largest)))


def truncated_groups(a, b, group=32, bits=13):
    """a @ b with each k-group of `group` products summed exactly, then cut
    toward zero to `bits` fraction bits below the group's largest product,
    before the groups are added: a pessimistic model of an e4m3 tensor-core
    accumulation (its internal width is not documented)."""
    out = np.zeros((a.shape[0], b.shape[1]))
    for k in range(0, a.shape[1], group):
        products = a[:, None, k:k + group] * b.T[None, :, k:k + group]
        partial = products.sum(axis=2)
        largest = np.abs(products).max(axis=2)
        quantum = 2.0 ** (np.floor(np.log2(np.maximum(largest, 2.0**-140))) - bits)
        out += np.trunc(partial / quantum) * quantum
    return out


def softmax_rows(s):
    p = np.exp(s - s.max(axis=1, keepdims=True))
    return p, p.sum(axis=1, keepdims=True)


def study(rng, heads=128, tokens=4096, d_qk=576, d_v=512):
    scale = 1 / np.sqrt(192)
    q = to_bf16(rng.standard_normal((heads, d_qk)))
    raw = rng.standard_normal((tokens, d_qk))
    kv_scale = np.abs(raw).max() / 448
    cache = to_e4m3(raw / kv_scale)  # what an fp8_e4m3 cache holds
    k, v = cache * kv_scale, cache[:, :d_v] * kv_scale
    p, total = softmax_rows(q @ k.T * scale)
    reference = p @ v / total

    q_scale = np.abs(q).max(axis=1, keepdims=True) / 448
    p8, total8 = softmax_rows(to_e4m3(q / q_scale) @ cache.T * q_scale * kv_scale * scale)
    variants = {
        "bf16 compute (P in bf16)": to_bf16(p) @ v / total,
        "Q in e4m3, P in bf16": to_bf16(p8) @ v / total8,
        "Q in bf16, P in e4m3": to_e4m3(p * 448) / 448 @ v / total,
        "Q and P in e4m3": to_e4m3(p8 * 448) / 448 @ v / total8,
    }
    # Two terms (an exact-cache form with e4m3 products): Q and P each as
    # e4m3 hi + lo, two products each; the row sums from the unrounded P.
    f = row_power_of_two(q)
    q_hi, q_lo = two_terms(q * f)
    s2 = ((q_hi + q_lo) @ cache.T) / f * kv_scale * scale
    p2, total2 = softmax_rows(s2)
    p_hi, p_lo = two_terms(p2 * 256)
    variants["Q and P as e4m3 hi + lo"] = (p_hi + p_lo) / 256 @ v / total2
    if tokens <= 1024:
        s3 = truncated_groups(np.hstack([q_hi, q_lo]), np.hstack([cache, cache]).T) / f * kv_scale * scale
        p3, total3 = softmax_rows(s3)
        p3_hi, p3_lo = two_terms(p3 * 256)
        pv = truncated_groups(np.hstack([p3_hi, p3_lo]), np.vstack([cache[:, :d_v], cache[:, :d_v]]))
        variants["hi + lo, 13-bit group sums"] = pv / 256 * kv_scale / total3
    for name, out in variants.items():
        error = np.linalg.norm(out - reference) / np.linalg.norm(reference)
        print(f"  {name:28s} relative error {error:.2e}")


def main():
    rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    for tokens in (1024, 8192):
        print(f"h_q 128, {tokens} tokens, q ~ N(0,1) in bf16, KV ~ N(0,1) in e4m3:")
        study(rng, tokens=tokens)


if __name__ == "__main__":
    main()
