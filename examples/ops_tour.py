"""A short tour of spokenstyle's operators: what was built, then the fused bias_act against its
pure-PyTorch reference on a discriminator-sized activation (forward and backward)."""

import time

import torch

import spokenstyle
from spokenstyle.ops import bias_act, bias_act_reference, info


def timed(fn, *args, repeat=5):
    fn(*args)
    start = time.perf_counter()
    for _ in range(repeat):
        fn(*args)
    return (time.perf_counter() - start) / repeat * 1e3


def fwd_bwd(fn, x, b, g):
    x.grad = b.grad = None
    fn(x, b, 1, "lrelu").backward(g)


def main():
    facts = info()
    print(f"spokenstyle {spokenstyle.__version__}: extension {'loaded' if facts['extension_loaded'] else 'missing'}, "
          f"CUDA kernels {' '.join(facts['cuda_archs']) or 'not built'}, torch {facts['torch_running']}")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x = torch.randn(16, 512, 32, 32, device=device, requires_grad=True)
    b = torch.randn(512, device=device, requires_grad=True)
    g = torch.randn_like(x)
    y, want = bias_act(x, b), bias_act_reference(x, b)
    print(f"bias_act on {tuple(x.shape)} {device}: max |fused - reference| = {(y - want).abs().max().item():.2e}")
    for name, fn in [("fused bias_act", bias_act), ("eager reference", bias_act_reference)]:
        print(f"  {name:16s} forward+backward {timed(fwd_bwd, fn, x, b, g):7.2f} ms")


if __name__ == "__main__":
    main()
