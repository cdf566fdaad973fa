"""Markers shared by the suites: GPU tests need an sm_90 device (and a
CUDA build of mladec); torch tests need PyTorch. Without them those tests
report skipped, so a CPU machine runs the rest."""

import importlib.util

import pytest

import mladec

GPU_UNAVAILABLE = (
    mladec.device_unavailable_reason(0) if mladec.with_cuda
    else "mladec was built without CUDA")
HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_CUPY = importlib.util.find_spec("cupy") is not None

requires_gpu = pytest.mark.skipif(bool(GPU_UNAVAILABLE), reason=GPU_UNAVAILABLE or "")
requires_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed")
requires_cupy = pytest.mark.skipif(not HAVE_CUPY, reason="CuPy is not installed")


def expect_error(code, *fragments):
    """pytest.raises(mladec.Error) that also checks .code and message parts."""

    class _Check:
        def __enter__(self):
            self._raises = pytest.raises(mladec.Error)
            self.info = self._raises.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self._raises.__exit__(*exc)
            error = self.info.value
            assert error.code == code, f"code {error.code!r}, expected {code!r}: {error}"
            for fragment in fragments:
                assert fragment in str(error), f"{fragment!r} not in {str(error)!r}"
            return handled

    return _Check()
