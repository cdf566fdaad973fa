"""mladec.append_kv on device caches (PyTorch tensors): the GPU kernel writes
the same bytes as the host path, on the caller's stream."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mladec  # noqa: E402
from conftest import requires_gpu  # noqa: E402
from test_append import KV_SCALE, empty_cache, make_tokens  # noqa: E402

pytestmark = requires_gpu


@pytest.mark.parametrize("kv_dtype", ["bf16", "fp8_e4m3", "fp8_blockwise"])
@pytest.mark.parametrize("page_size", [1, 16, 64])
def test_device_append_matches_the_host_byte_for_byte(kv_dtype, page_size):
    num_pages = -(-3000 // page_size) + 1
    host_cache = empty_cache(kv_dtype, num_pages, page_size)
    latent, rope, slots = make_tokens(2500, num_pages * page_size, seed=page_size + 7)
    device_cache = torch.from_numpy(host_cache.copy()).cuda()
    mladec.append_kv(host_cache, latent, rope, slots, kv_dtype=kv_dtype, kv_scale=KV_SCALE)
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        mladec.append_kv(device_cache, torch.from_numpy(latent).cuda(),
                         torch.from_numpy(rope).cuda(), torch.from_numpy(slots).cuda(),
                         kv_dtype=kv_dtype, kv_scale=KV_SCALE)
    stream.synchronize()
    assert np.array_equal(device_cache.cpu().numpy(), host_cache)


def test_device_append_skips_slots_past_the_cache():
    cache = torch.from_numpy(empty_cache("bf16", 2, 16)).cuda()
    before = cache.clone()
    latent, rope, _ = make_tokens(3, 32, seed=3)
    slots = torch.tensor([32, 1000, -1], dtype=torch.int64, device="cuda")
    mladec.append_kv(cache, torch.from_numpy(latent).cuda(), torch.from_numpy(rope).cuda(),
                     slots)
    torch.cuda.synchronize()
    assert torch.equal(cache, before)


def test_a_host_array_with_a_device_cache_is_refused():
    cache = torch.from_numpy(empty_cache("bf16", 2, 16)).cuda()
    latent, rope, slots = make_tokens(3, 32, seed=4)
    with pytest.raises(mladec.Error) as info:
        mladec.append_kv(cache, latent, torch.from_numpy(rope).cuda(),
                         torch.from_numpy(slots).cuda())
    assert info.value.code == "bad_tensor" and "latent" in str(info.value)
