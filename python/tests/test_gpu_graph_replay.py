"""CUDA graphs: plan + decode captured once, replayed over a 50-step decode
loop whose lengths grow and whose block tables change. Every replay matches
an eager run bit for bit and the float64 reference."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mladec  # noqa: E402
from mladec import torch_ops  # noqa: E402
from cases import HEAD_DIM, HUGE_PAGE, assert_matches_reference  # noqa: E402
from conftest import requires_gpu  # noqa: E402
from torch_reference import host, reference  # noqa: E402

pytestmark = requires_gpu

STEPS = 50
BATCH = 8
MAX_LEN = 700


class DecodeLoop:
    """A paged KV cache used the way an engine uses one. Each step appends
    s_q tokens to every request, taking pages from a shuffled free list; a
    request that is full, or one picked at random, finishes and restarts
    (its pages are freed and poisoned with NaN); and one page moves to
    another slot of the pool (the block table changes, the data does not).
    q, kv, block_table and seqlens are the static tensors a graph reads."""

    def __init__(self, heads, s_q, page_size, seed):
        self.rng = np.random.default_rng(seed)
        self.s_q, self.page_size = s_q, page_size
        self.max_pages = -(-MAX_LEN // page_size)
        num_pages = BATCH * self.max_pages + 8
        self.kv = torch.full((num_pages, page_size, HEAD_DIM), float("nan"),
                             dtype=torch.bfloat16, device="cuda")
        self.free = [int(p) for p in self.rng.permutation(num_pages)]
        self.pages = [[] for _ in range(BATCH)]
        self.lengths = np.zeros(BATCH, np.int32)
        self.seqlens = torch.zeros(BATCH, dtype=torch.int32, device="cuda")
        self.block_table = torch.full((BATCH, self.max_pages), HUGE_PAGE, dtype=torch.int32,
                                      device="cuda")
        self.q = torch.empty(BATCH * s_q, heads, HEAD_DIM, dtype=torch.bfloat16, device="cuda")
        for b in range(BATCH):
            self._grow(b, int(self.rng.integers(0, 300)))
        self._publish()

    def _grow(self, b, tokens):
        end = int(self.lengths[b]) + tokens
        while len(self.pages[b]) * self.page_size < end:
            self.pages[b].append(self.free.pop())
        positions = np.arange(self.lengths[b], end)
        pages = torch.as_tensor(np.asarray(self.pages[b], np.int64)[positions // self.page_size],
                                device="cuda")
        slots = torch.as_tensor(positions % self.page_size, device="cuda")
        self.kv[pages, slots] = torch.randn(len(positions), HEAD_DIM,
                                            device="cuda").to(torch.bfloat16)
        self.lengths[b] = end

    def _restart(self, b):
        if self.pages[b]:
            self.kv[torch.as_tensor(self.pages[b], device="cuda")] = float("nan")
        self.free.extend(self.pages[b])
        self.pages[b] = []
        self.lengths[b] = 0

    def _move_a_page(self):
        owners = [b for b in range(BATCH) if self.pages[b]]
        if not owners:
            return
        b = int(self.rng.choice(owners))
        i = int(self.rng.integers(len(self.pages[b])))
        old, new = self.pages[b][i], self.free.pop(0)
        self.kv[new] = self.kv[old]
        self.kv[old] = float("nan")
        self.pages[b][i] = new
        self.free.append(old)

    def _publish(self):
        table = np.full((BATCH, self.max_pages), HUGE_PAGE, np.int32)
        for b, pages in enumerate(self.pages):
            table[b, :len(pages)] = pages
        self.host_table = table
        self.block_table.copy_(torch.from_numpy(table))
        self.seqlens.copy_(torch.from_numpy(self.lengths))
        self.q.copy_(torch.randn(self.q.shape, device="cuda").to(torch.bfloat16))

    def advance(self):
        for b in range(BATCH):
            if self.lengths[b] + self.s_q > MAX_LEN:
                self._restart(b)
            self._grow(b, self.s_q)
        if self.rng.random() < 0.3:
            b = int(self.rng.integers(BATCH))
            self._restart(b)
            self._grow(b, int(self.rng.integers(0, 50)))
        self._move_a_page()
        self._publish()

    def reference(self, softmax_scale):
        indptr = np.arange(BATCH + 1, dtype=np.int32) * self.s_q
        return reference(self.q, self.kv, self.host_table, self.lengths, indptr,
                         softmax_scale=softmax_scale, causal=True)


@pytest.mark.parametrize("api", ["core", "op"])
@pytest.mark.parametrize("heads, s_q, page_size", [(16, 2, 16), (128, 1, 64), (40, 3, 7)])
def test_replays_follow_the_decode_loop(api, heads, s_q, page_size):
    loop = DecodeLoop(heads, s_q, page_size, seed=heads + s_q)
    scale = 192**-0.5
    if api == "core":
        problem = mladec.Problem(batch=BATCH, num_heads=heads, max_q_len=s_q,
                                 page_size=page_size, num_pages=loop.kv.shape[0],
                                 max_pages_per_request=loop.max_pages, softmax_scale=scale)
        graph_plan, eager_plan = mladec.Plan(problem), mladec.Plan(problem)
        static_out = torch.empty(BATCH * s_q, heads, 512, dtype=torch.bfloat16, device="cuda")
        static_lse = torch.empty(BATCH * s_q, heads, device="cuda")

        def run_graph():
            mladec.plan(graph_plan, loop.seqlens)
            return mladec.decode(graph_plan, loop.q, loop.kv, loop.block_table,
                                 out=static_out, lse=static_lse)

        def run_eager():
            mladec.plan(eager_plan, loop.seqlens)
            return mladec.decode(eager_plan, loop.q, loop.kv, loop.block_table)
    else:
        def run_graph():
            return torch_ops.decode(loop.q, loop.kv, loop.block_table, loop.seqlens,
                                    softmax_scale=scale)
        run_eager = run_graph

    warmup = torch.cuda.Stream()  # as PyTorch advises before a capture
    warmup.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(warmup):
        run_graph()
        run_eager()
    torch.cuda.current_stream().wait_stream(warmup)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        graph_out, graph_lse = run_graph()

    for step in range(STEPS):
        loop.advance()
        graph_out.fill_(float("nan"))
        graph_lse.fill_(float("nan"))
        graph.replay()
        eager_out, eager_lse = run_eager()
        torch.cuda.synchronize()
        assert torch.equal(graph_out, eager_out), f"step {step}: out differs from eager"
        assert torch.equal(graph_lse, eager_lse), f"step {step}: lse differs from eager"
        assert_matches_reference(*host(graph_out, graph_lse), *loop.reference(scale))
