"""The PyTorch layer without a GPU: the op's schema and fake implementation
(what torch.compile traces) and the FlashMLA entry points' argument checks."""

import pytest

torch = pytest.importorskip("torch")

from mladec import flash_mla_compat, torch_ops  # noqa: E402
from conftest import expect_error  # noqa: E402


def meta_args(total_q=6, heads=20, pages=9, page_size=16, batch=3, max_pages=4):
    return (torch.empty(total_q, heads, 576, dtype=torch.bfloat16, device="meta"),
            torch.empty(pages, page_size, 576, dtype=torch.bfloat16, device="meta"),
            torch.empty(batch, max_pages, dtype=torch.int32, device="meta"),
            torch.empty(batch, dtype=torch.int32, device="meta"),
            None, 0.1, "bf16", 1.0, True, total_q // batch, "balanced", 0, 0)


def test_the_op_is_registered_with_a_functional_schema():
    schema = str(torch.ops.mladec.decode.default._schema)
    assert schema.startswith("mladec::decode(Tensor q, Tensor kv_cache, Tensor block_table, "
                             "Tensor seqlens, Tensor? qo_indptr, float softmax_scale")
    assert "(Tensor, Tensor)" in schema and "!" not in schema  # mutates nothing


def test_fake_implementation_gives_output_shapes():
    out, lse = torch.ops.mladec.decode(*meta_args())
    assert (out.shape, out.dtype, out.device.type) == ((6, 20, 512), torch.bfloat16, "meta")
    assert (lse.shape, lse.dtype) == ((6, 20), torch.float32)
    assert out.is_contiguous() and lse.is_contiguous()


def test_kv_dtype_is_inferred_from_the_cache():
    assert torch_ops.kv_dtype_of(torch.empty(1, 1, 576, dtype=torch.bfloat16)) == "bf16"
    assert torch_ops.kv_dtype_of(torch.empty(1, 1, 576, dtype=torch.uint8)) == "fp8_e4m3"
    assert torch_ops.kv_dtype_of(torch.empty(1, 1, 576, dtype=torch.float8_e4m3fn)) == "fp8_e4m3"
    assert torch_ops.kv_dtype_of(torch.empty(1, 1, 656, dtype=torch.uint8)) == "fp8_blockwise"
    with expect_error("bad_tensor", "got torch.float16"):
        torch_ops.kv_dtype_of(torch.empty(1, 1, 576, dtype=torch.float16))


def test_cpu_tensors_are_refused():
    args = [torch.zeros(a.shape, dtype=a.dtype) if isinstance(a, torch.Tensor) else a
            for a in meta_args()]
    with expect_error("bad_tensor", "q must be a CUDA tensor, got one on cpu"):
        torch.ops.mladec.decode(*args)


def test_ragged_queries_need_max_q_len():
    q, kv, table, seqlens = meta_args()[:4]
    indptr = torch.zeros(4, dtype=torch.int32, device="meta")
    with expect_error("bad_q_len", "max_q_len must be given with qo_indptr"):
        torch_ops.decode(q, kv, table, seqlens, softmax_scale=0.1, qo_indptr=indptr)


class TestFlashMlaCompatArguments:
    q = torch.zeros(2, 1, 16, 576, dtype=torch.bfloat16)
    k_cache = torch.zeros(8, 64, 1, 576, dtype=torch.bfloat16)
    table = torch.zeros(2, 4, dtype=torch.int32)
    seqlens = torch.zeros(2, dtype=torch.int32)

    def call(self, **changes):
        args = dict(q=self.q, k_cache=self.k_cache, block_table=self.table,
                    cache_seqlens=self.seqlens, head_dim_v=512,
                    tile_scheduler_metadata=flash_mla_compat.get_mla_metadata(
                        self.seqlens, 16, 1)[0])
        args.update(changes)
        return flash_mla_compat.flash_mla_with_kvcache(**args)

    def test_metadata_in_both_of_flashmlas_calling_styles(self):
        meta, splits = flash_mla_compat.get_mla_metadata(self.seqlens, 16, 1)
        assert isinstance(meta, flash_mla_compat.MlaMetadata) and splits is None
        assert isinstance(flash_mla_compat.get_mla_metadata()[0], flash_mla_compat.MlaMetadata)

    def test_one_kv_head_only(self):
        with expect_error("bad_num_heads", "num_heads_k = 1), got 2"):
            flash_mla_compat.get_mla_metadata(self.seqlens, 16, 2)

    def test_sparse_attention_is_not_implemented(self):
        with pytest.raises(NotImplementedError):
            flash_mla_compat.get_mla_metadata(self.seqlens, 16, 1, topk=2048)
        with pytest.raises(NotImplementedError):
            self.call(indices=torch.zeros(2, 1, 8, dtype=torch.int32))

    def test_shapes_are_checked(self):
        with expect_error("bad_tensor", "head_dim_v must be 512, got 128"):
            self.call(head_dim_v=128)
        with expect_error("bad_tensor", "q must be [batch, s_q, h_q, 576], got [2, 16, 576]"):
            self.call(q=self.q[:, 0])
        with expect_error("bad_tensor", "k_cache must be [num_blocks, page_size, 1, head_dim]"):
            self.call(k_cache=self.k_cache.expand(8, 64, 2, 576))

    def test_metadata_must_be_mladecs(self):
        with expect_error("bad_config", "get_mla_metadata"):
            self.call(tile_scheduler_metadata=torch.zeros(132, 8, dtype=torch.int32))

    def test_fp8_flag_needs_a_one_byte_cache(self):
        with expect_error("bad_kv_dtype", "is_fp8_kvcache=True needs a 1-byte k_cache"):
            self.call(is_fp8_kvcache=True)
