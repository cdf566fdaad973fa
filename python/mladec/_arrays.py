"""Arrays from any DLPack framework, handed to the C++ side for one stream.

The framework of an array is told by the module of its type, so nothing here
imports PyTorch, CuPy or JAX: an array of theirs means the caller already did.
"""

import contextlib
import sys

from . import _mladec
from ._errors import Error

_DL_CUDA = 2
_DL_CUDA_MANAGED = 13


def framework(array):
    """'torch', 'cupy', 'jax' or None for other array types."""
    root = type(array).__module__.partition(".")[0]
    if root in ("torch", "cupy"):
        return root
    if root in ("jax", "jaxlib"):
        return "jax"
    return None


def _is_cuda(array):
    return array.__dlpack_device__()[0] in (_DL_CUDA, _DL_CUDA_MANAGED)


def _plain_torch_tensor(tensor):
    # DLPack refuses tensors that require grad, and most PyTorch versions
    # cannot export float8; the kernels read fp8 caches as bytes anyway.
    torch = sys.modules["torch"]
    tensor = tensor.detach()
    if tensor.dtype.itemsize == 1 and tensor.dtype.is_floating_point:
        tensor = tensor.view(torch.uint8)
    return tensor


def export(array, name, stream):
    """A DLPack capsule of ``array``, ready to be read on ``stream``.

    For a CUDA array the producer is told the consumer's stream, as the
    DLPack protocol asks, so it orders its pending work before that stream.
    When that is already the PyTorch / CuPy array's current stream, -1 tells
    it no ordering is needed: PyTorch would otherwise record and wait on an
    event for every array (its stream objects for one cudaStream_t need not
    compare equal), costly per call and noise inside a CUDA graph capture.
    """
    if array is None:
        return None
    if not hasattr(array, "__dlpack__"):
        raise Error(
            f"bad_tensor: {name} must be a DLPack array (PyTorch, CuPy, JAX, "
            f"NumPy, ...), got {type(array).__name__}",
            "bad_tensor",
        )
    kind = framework(array)
    if kind == "torch":
        array = _plain_torch_tensor(array)
    if not _is_cuda(array):
        return array.__dlpack__()
    if kind in ("torch", "cupy") and stream == current_stream(array):
        dl_stream = -1
    else:
        dl_stream = 1 if stream == 0 else stream  # DLPack reserves 0; 1 is legacy default
    try:
        return array.__dlpack__(stream=dl_stream)
    except TypeError:  # a producer predating the stream argument
        return array.__dlpack__()


def current_stream(array):
    """The stream the array's framework currently runs on (0 if it has none)."""
    kind = framework(array)
    if kind == "torch" and array.is_cuda:
        return sys.modules["torch"].cuda.current_stream(array.device).cuda_stream
    if kind == "cupy":
        with array.device:
            return sys.modules["cupy"].cuda.get_current_stream().ptr
    return 0


def resolve_stream(stream, array):
    """A cudaStream_t as int from None (the framework's current stream of
    ``array``), an int, or a stream object (torch.cuda.Stream, cupy Stream)."""
    if stream is None:
        return current_stream(array)
    for attribute in ("cuda_stream", "ptr"):
        if hasattr(stream, attribute):
            return int(getattr(stream, attribute))
    return int(stream)


def device_scope(array):
    """Makes the array's device current in its framework for a with-block
    (PyTorch exports CUDA tensors of the current device only)."""
    kind = framework(array)
    if kind == "torch" and array.is_cuda:
        return sys.modules["torch"].cuda.device(array.device)
    if kind == "cupy":
        return array.device
    return contextlib.nullcontext()


def empty(like, shape, dtype, device):
    """An uninitialized output of ``dtype`` ('bf16' or 'float32') on device
    ``device``, from the framework of ``like``: a torch tensor, a CuPy array
    (uint16 for bf16: CuPy has no bfloat16), else an array owning memory
    mladec allocated, which any DLPack consumer can import."""
    kind = framework(like)
    if kind == "torch":
        torch = sys.modules["torch"]
        torch_dtype = torch.bfloat16 if dtype == "bf16" else torch.float32
        return torch.empty(shape, dtype=torch_dtype, device=like.device)
    if kind == "cupy":
        cupy = sys.modules["cupy"]
        with like.device:
            return cupy.empty(shape, dtype=cupy.uint16 if dtype == "bf16" else cupy.float32)
    return _mladec.device_empty(list(shape), dtype, device)
