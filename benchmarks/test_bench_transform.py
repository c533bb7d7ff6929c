"""The ``transform`` generator's forward pass at 512², in-process: issue #13's target is 0.3 s
on a 2-core CPU (Magenta's arbitrary stylization network, today's fastest offline stylizer,
takes 0.33 s). The generator users run (the shipped weights, else the default architecture
with random weights: latency does not depend on the values) eagerly with spokenstyle's fused operators, and ``torch.compile`` of it, same
process, same input. ``extra_info`` records the convolutions' multiply-accumulates and the widths.

Run: ``pytest benchmarks/test_bench_transform.py --benchmark-only``.
"""

from __future__ import annotations

import pytest
import torch

from spokenstyle.core.intent import StyleIntent
from spokenstyle.nn import transform as T

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("impl", ["spokenstyle", "compile"])
def test_transform_512(benchmark, impl, device, sync):
    torch.manual_seed(0)
    dev = torch.device(device)
    shipped = T.default_weights()
    # The architecture users run: the shipped weights' (values do not change the latency), else the default.
    net = T.load(shipped).net if shipped is not None else T.TransformNet()
    net = net.eval().requires_grad_(False).to(dev, memory_format=torch.channels_last)
    x = torch.rand(1, 3, 512, 512, device=dev).contiguous(memory_format=torch.channels_last)
    emb = T.embedding_of([StyleIntent(medium="watercolor", attributes={"warmth": 0.4})], device=dev)
    fn = net
    if impl == "compile":
        torch._dynamo.reset()
        fn = torch.compile(net, fullgraph=True)

    def run():
        with torch.inference_mode():
            out = fn(x, emb)
        sync()
        return out

    for _ in range(2):  # warm-up (and compilation)
        reference = run()
    with torch.inference_mode():
        eager = net(x, emb)
    assert torch.allclose(reference, eager, atol=1e-4)
    benchmark.extra_info["gmac"] = round(T.conv_macs(net.config, 512, 512) / 1e9, 2)
    benchmark.extra_info["parameters"] = T.parameter_count(net)
    benchmark.extra_info["widths"] = list(net.config.widths)
    benchmark.extra_info["weights"] = str(shipped) if shipped is not None else "random (default architecture)"
    benchmark.extra_info["threads"] = torch.get_num_threads()
    benchmark.pedantic(run, rounds=10, iterations=1, warmup_rounds=1)
