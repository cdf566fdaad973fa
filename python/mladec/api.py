"""Plans and decode on the GPU: the C++ API's plan_on_device() and decode()
on DLPack arrays (PyTorch, CuPy, JAX, ...), with the caller's stream."""

from . import _arrays, _mladec

_LATENT_DIM = 512


def _device_index(device):
    if device is None:
        return -1
    for attribute in ("index", "id"):  # torch.device, cupy.cuda.Device
        if hasattr(device, attribute):
            index = getattr(device, attribute)
            return -1 if index is None else int(index)
    return int(device)


class Plan:
    """Device buffers for one Problem's plan, reused across a decode loop.

    The buffers' sizes depend on the problem's shape only (see
    ``mladec.plan_layout``), so one Plan serves every step: ``plan()`` fills
    it from the step's lengths on the device, ``decode()`` runs it. Both can
    be captured in a CUDA graph and replayed with new lengths; make the Plan
    itself before capturing (it allocates).

    Args:
        problem: the ``mladec.Problem``.
        workers: persistent CTAs; 0 (default) is the device's SM count.
        device: CUDA device index (or ``torch.device`` / CuPy ``Device``);
            None is the current device.
        plan_buffer, workspace: optional caller-owned CUDA arrays (any dtype,
            contiguous, 128-byte aligned) of at least ``layout.plan_bytes``
            and ``layout.workspace_bytes`` bytes; mladec allocates the ones
            not given. They are kept alive as long as the Plan.
    """

    def __init__(self, problem, *, workers=0, device=None, plan_buffer=None, workspace=None):
        buffers = []
        for array, name in ((plan_buffer, "plan_buffer"), (workspace, "workspace")):
            if array is None:
                buffers.append(None)
                continue
            with _arrays.device_scope(array):
                buffers.append(_arrays.export(array, name, _arrays.current_stream(array)))
        self._impl = _mladec.DevicePlan(problem, workers, _device_index(device), *buffers)

    @property
    def problem(self):
        """The Problem this plan is for."""
        return self._impl.problem

    @property
    def config(self):
        """Its KernelConfig (``select_config(problem)``)."""
        return self._impl.config

    @property
    def layout(self):
        """Its PlanLayout: capacities and buffer sizes."""
        return self._impl.layout

    @property
    def device(self):
        """The CUDA device index the plan lives on."""
        return self._impl.device

    def download(self):
        """A ``HostPlan`` copy of the device plan (``.header``, ``.balance()``).
        Waits for the device; not inside a CUDA graph capture."""
        return self._impl.download()

    def check(self):
        """Proves the device plan safe and complete for the lengths it was
        made from (``mladec.validate_plan``) and returns it as a HostPlan.

        Raises mladec.Error naming the first bad length or plan entry; the
        device planner itself cannot raise, it leaves a plan with no work
        (``header['status'] != 0``) for lengths the problem cannot hold.
        Waits for the device: a debugging and testing aid.
        """
        host = self._impl.download()
        _mladec.validate_plan(
            self.problem, host, self._impl.download_seqlens(), self._impl.download_qo_indptr()
        )
        return host

    def __repr__(self):
        layout = self.layout
        return (
            f"Plan({self.problem!r}, workers={layout.workers}, device={self.device}, "
            f"plan_bytes={layout.plan_bytes}, workspace_bytes={layout.workspace_bytes})"
        )


def plan(plan, seqlens, qo_indptr=None, *, stream=None):
    """Plans one step on the device: ``plan_on_device()``.

    Args:
        plan: the ``mladec.Plan`` to fill.
        seqlens: [batch] int32 CUDA array of KV lengths.
        qo_indptr: [batch + 1] int32 CUDA array of query offsets, for
            ``ragged_q`` problems only.
        stream: cudaStream_t as int, or a torch/CuPy stream; None is the
            current stream of seqlens' framework (0 for others).

    ``decode()`` later reads these same arrays, so keep them unchanged (or
    update them in stream order, as a CUDA graph replay does) until it ran.
    Lengths past the problem's limits are not an exception here: the planner
    runs on the device and leaves an empty plan (see ``Plan.check``).
    Returns ``plan``.
    """
    stream = _arrays.resolve_stream(stream, seqlens)
    with _arrays.device_scope(seqlens):
        plan._impl.plan(
            _arrays.export(seqlens, "seqlens", stream),
            _arrays.export(qo_indptr, "qo_indptr", stream),
            stream,
        )
    return plan


def decode(plan, q, kv_cache, block_table, *, kv_scale=1.0, out=None, lse=None, stream=None,
           checked=False):
    """MLA decode attention over a paged KV cache with a plan made by ``plan()``.

    Args:
        plan: a ``mladec.Plan`` filled by ``mladec.plan()``.
        q: [total_q, h_q, 576] bfloat16 (or uint16 holding bf16 bits), last
            dimension contiguous: the absorbed no-RoPE part (512) then RoPE (64).
        kv_cache: [num_pages, page_size, 576] bfloat16 for kv_dtype 'bf16';
            [num_pages, page_size, 576] float8_e4m3fn / uint8 for 'fp8_e4m3'
            (value = fp8 * kv_scale); [num_pages, page_size, 656] uint8 for
            'fp8_blockwise'.
        block_table: [batch, max_pages_per_request] int32; entries past a
            request's pages are never read.
        kv_scale: the per-tensor scale of 'fp8_e4m3' caches.
        out, lse: optional outputs, [total_q, h_q, 512] bfloat16 (or uint16)
            and [total_q, h_q] float32; made in q's framework when not given.
        stream: as for ``plan()``; None is the current stream of q's framework.
        checked: check the plan, the lengths and every block-table entry in
            use on the device first (also on when MLADEC_CHECKED=1); a bad
            one raises mladec.Error and nothing is read or written. The call
            waits for the checks' verdict, not for the step (outside a CUDA
            graph capture); the plan may have at most one worker per SM
            (the default).

    Returns ``(out, lse)``: attention output and natural-log LSE. A query
    row with no visible key (KV length 0, or masked by causality) gets
    out = 0 and lse = -inf, never NaN.
    Raises mladec.Error for bad arguments before anything runs.
    """
    problem = plan.problem
    rows = (problem.total_q, problem.num_heads)
    stream = _arrays.resolve_stream(stream, q)
    with _arrays.device_scope(q):
        if out is None:
            out = _arrays.empty(q, rows + (_LATENT_DIM,), "bf16", plan.device)
        if lse is None:
            lse = _arrays.empty(q, rows, "float32", plan.device)
        plan._impl.decode(
            _arrays.export(q, "q", stream),
            _arrays.export(kv_cache, "kv_cache", stream),
            _arrays.export(block_table, "block_table", stream),
            float(kv_scale),
            _arrays.export(out, "out", stream),
            _arrays.export(lse, "lse", stream),
            stream,
            bool(checked),
        )
    return out, lse


def validate_args(problem, q, kv_cache, block_table, seqlens, *, out, lse,
                  qo_indptr=None, kv_scale=1.0):
    """The checks ``decode()`` runs (shapes, strides, dtypes, alignment, device
    memory), on their own: raises mladec.Error, e.g. before a graph capture."""
    stream = _arrays.current_stream(q)
    with _arrays.device_scope(q):
        _mladec.validate_args(
            problem,
            _arrays.export(q, "q", stream),
            _arrays.export(kv_cache, "kv_cache", stream),
            _arrays.export(block_table, "block_table", stream),
            _arrays.export(seqlens, "seqlens", stream),
            _arrays.export(qo_indptr, "qo_indptr", stream),
            _arrays.export(out, "out", stream),
            _arrays.export(lse, "lse", stream),
            float(kv_scale),
        )


def append_kv(kv_cache, latent, rope, slots, *, kv_dtype="bf16", kv_scale=1.0, stream=None):
    """Writes new tokens into a paged KV cache, in place, in its format.

    Args:
        kv_cache: the cache, [num_pages, page_size, 576] bfloat16 (or uint16)
            for kv_dtype 'bf16'; [num_pages, page_size, 576] float8_e4m3fn /
            uint8 for 'fp8_e4m3'; [num_pages, page_size, 656] uint8 for
            'fp8_blockwise'. In host memory (NumPy, CPU tensors) the tokens
            are written on the host; in device memory, by a GPU kernel.
        latent: [n, 512] bfloat16 (or uint16 holding bf16 bits), the tokens'
            latent values; rows may be strided, the last dimension not.
        rope: [n, 64] bfloat16 (or uint16), their RoPE values.
        slots: [n] int64, page * page_size + position in the page; a negative
            slot skips its token (padding).
        kv_dtype: 'bf16', 'fp8_e4m3' or 'fp8_blockwise'.
        kv_scale: 'fp8_e4m3' only: stored = e4m3(value / kv_scale).
        stream: for a device cache, as for ``plan()``.

    The bytes are those the library's encoder writes (kv_format.h):
    fp8_blockwise stores each group of 128 latent values with the scale
    max |value| / 448. Raises mladec.Error for bad arguments before writing
    anything; on the host also for a slot past the cache or a repeated slot
    (the GPU skips a slot past the cache, as it cannot report it).
    """
    stream = _arrays.resolve_stream(stream, kv_cache)
    with _arrays.device_scope(kv_cache):
        _mladec.append_kv(
            kv_dtype,
            _arrays.export(kv_cache, "kv_cache", stream),
            _arrays.export(latent, "latent", stream),
            _arrays.export(rope, "rope", stream),
            _arrays.export(slots, "slots", stream),
            float(kv_scale),
            stream,
        )
