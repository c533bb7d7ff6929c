"""AdaIN forward+backward (gradients to content and style) against the eager composite written the
way the reference AdaIN implementations write it, and torch.compile of that composite; on CUDA,
the forward's bandwidth against a device copy."""

import pytest
import torch

from spokenstyle.ops import adain

from _benchutils import compiled, copy_bandwidth_gbs, run_fwd_bwd

# relu4_1 of a 512x512 image at batch 8, and relu1_1 of one 512x512 image.
SIZES = {"8x512x64x64": (8, 512, 64, 64), "1x64x512x512": (1, 64, 512, 512)}


def calc_mean_std(feat, eps=1e-5):
    n, c = feat.shape[:2]
    feat_var = feat.view(n, c, -1).var(dim=2) + eps
    feat_std = feat_var.sqrt().view(n, c, 1, 1)
    feat_mean = feat.view(n, c, -1).mean(dim=2).view(n, c, 1, 1)
    return feat_mean, feat_std


def composite(content, style):
    size = content.size()
    style_mean, style_std = calc_mean_std(style)
    content_mean, content_std = calc_mean_std(content)
    normalized = (content - content_mean.expand(size)) / content_std.expand(size)
    return normalized * style_std.expand(size) + style_mean.expand(size)


def fused(content, style):
    return adain(content, style)


IMPLS = {"spokenstyle": lambda: fused, "eager": lambda: composite, "compile": lambda: compiled(composite)}


def _inputs(shape, device="cpu"):
    content = torch.randn(shape, device=device, requires_grad=True)
    style = (torch.randn(shape, device=device) * 2 + 0.5).requires_grad_()
    grad = torch.randn(shape, device=device)
    return content, style, grad


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_adain_fwd_bwd_cpu(benchmark, size, impl):
    benchmark.group = f"adain fwd+bwd cpu float32 {size}"
    content, style, g = _inputs(SIZES[size])
    fn = IMPLS[impl]()
    want = run_fwd_bwd(composite, (content, style), g).detach()
    got = run_fwd_bwd(fn, (content, style), g)  # also warms up / compiles
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    rounds = 3 if impl == "eager" else 10
    benchmark.pedantic(run_fwd_bwd, args=(fn, (content, style), g), rounds=rounds, iterations=1, warmup_rounds=1)


@pytest.mark.cuda
@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_adain_fwd_bwd_cuda(benchmark, sync, size, impl):
    benchmark.group = f"adain fwd+bwd cuda float32 {size}"
    content, style, g = _inputs(SIZES[size], "cuda")
    fn = IMPLS[impl]()
    run_fwd_bwd(fn, (content, style), g)

    def step():
        run_fwd_bwd(fn, (content, style), g)
        sync()

    benchmark.pedantic(step, rounds=50, iterations=1, warmup_rounds=5)


@pytest.mark.cuda
@pytest.mark.parametrize("size", list(SIZES))
def test_adain_forward_bandwidth_cuda(benchmark, sync, size):
    """adain(content, mean, std) must read content and write the output: bytes moved / time vs copy."""
    benchmark.group = f"adain fwd cuda bandwidth {size}"
    content = torch.randn(SIZES[size], device="cuda")
    sm = torch.randn(SIZES[size][0], SIZES[size][1], 1, 1, device="cuda")
    ss = torch.rand(SIZES[size][0], SIZES[size][1], 1, 1, device="cuda")
    copy = copy_bandwidth_gbs(content.numel())

    def step():
        adain(content, sm, ss)
        sync()

    benchmark.pedantic(step, rounds=100, iterations=1, warmup_rounds=10)
    achieved = 2 * content.numel() * content.element_size() / benchmark.stats.stats.median / 1e9
    benchmark.extra_info.update(copy_gbs=copy, achieved_gbs=achieved, fraction_of_copy=achieved / copy)
