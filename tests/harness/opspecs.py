"""One OpSpec per operator family: the cases the conformance harness (harness/opharness.py) runs.

Each builder is called inside a test (after the autouse seed), so inputs are reproducible.
"""

from __future__ import annotations

import math

import torch

import spokenstyle.ops as ops
from harness.opharness import BadInput, CompileCase, CudaCase, GradCase, OpCheck, OpSpec, tol

OPS = torch.ops.spokenstyle if ops.AVAILABLE else None
F64 = torch.float64
LOW = (torch.float16, torch.bfloat16)


def _low(dtype):
    return dtype in LOW


# ---- bias_act ------------------------------------------------------------------------------


def _ba_inputs(shape, dim, dtype=F64, device="cpu", requires_grad=False):
    x = torch.randn(shape, dtype=dtype, device=device)
    b = torch.randn(shape[dim], dtype=dtype, device=device)
    return x.requires_grad_(requires_grad), b.requires_grad_(requires_grad)


def _ba_opchecks(device):
    x, b = _ba_inputs((2, 6, 5, 4), 1, dtype=torch.float32, device=device, requires_grad=True)
    cl = x.detach().to(memory_format=torch.channels_last).requires_grad_()
    fwd = OPS.bias_act.default
    cases = [
        OpCheck(fwd, (x, b, 1, "lrelu", 0.2, math.sqrt(2), None)),
        OpCheck(fwd, (cl, b, 1, "swish", 0.0, 1.0, 0.5)),
        OpCheck(fwd, (x, None, 1, "tanh", 0.0, 1.0, None)),
        OpCheck(fwd, (x, b[:4].detach().clone().requires_grad_(), 3, "elu", 1.0, 1.0, None)),
    ]
    g = torch.randn_like(x).requires_grad_()
    bwd = OPS.bias_act_backward.default
    cases.append(OpCheck(bwd, (g, x, b, 1, "softplus", 0.0, 1.0, 3.0, 1)))
    # order 2 is the highest derivative implemented, so its own backward is not checked
    cases.append(OpCheck(bwd, (g, x, b, 1, "softplus", 0.0, 1.0, 3.0, 2), ("test_schema", "test_faketensor")))
    return cases


def _ba_gradchecks():
    cases = []
    for act in ops.ACTIVATIONS:
        x, b = _ba_inputs((2, 3, 4, 5), 1, requires_grad=True)
        # keep away from the kinks of relu/lrelu/elu, where finite differences are meaningless
        with torch.no_grad():
            x += torch.sign(x) * 0.05
            b.zero_()
        cases.append(GradCase(lambda x, b, act=act: ops.bias_act(x, b, 1, act), (x, b)))
    x, b = _ba_inputs((3, 4, 5), 1, requires_grad=True)
    with torch.no_grad():
        x.mul_(3.0)
        # nudge values off the clamp boundary
        y = ops.bias_act_reference(x, b, 1, "tanh", gain=3.0)
        x[(y.abs() - 2.0).abs() < 1e-2] += 0.1
    cases.append(GradCase(lambda x, b: ops.bias_act(x, b, 1, "tanh", gain=3.0, clamp=2.0), (x, b)))
    return cases


def _ba_compile():
    x, b = _ba_inputs((4, 8, 6, 6), 1, dtype=torch.float32, requires_grad=True)

    def layer(x, b, f=ops.bias_act):
        return f(x * 2.0, b, 1, "lrelu", clamp=256.0).square().mean()

    return [CompileCase(layer, lambda x, b: layer(x, b, ops.bias_act_reference), (x, b), grad_tol={}, dynamic=None,
                        backend="aot_eager")]


def _ba_bad():
    ba = ops.bias_act
    raw = (lambda *a: OPS.bias_act(*a)) if OPS is not None else None
    cases = [
        BadInput("bias_length", lambda: ba(torch.randn(2, 4, 3), torch.randn(5)), ValueError, r"\bb\b.*x.shape\[1\] = 4"),
        BadInput("dim_out_of_range", lambda: ba(torch.randn(2, 4, 3), torch.randn(4), dim=3), IndexError, "dim=3"),
        BadInput("integer_bias", lambda: ba(torch.randn(2, 3), torch.ones(3, dtype=torch.int64)), TypeError,
                 r"^b must be a floating-point"),
        BadInput("unknown_act", lambda: ba(torch.randn(2, 3), act="gelu"), ValueError, "act='gelu'.*lrelu"),
        BadInput("negative_clamp", lambda: ba(torch.randn(2, 3), clamp=-1), ValueError, "clamp"),
        BadInput("not_a_tensor", lambda: ba([1.0, 2.0]), TypeError, "^x must be a torch.Tensor"),
        # Calling torch.ops directly (no Python wrapper) still gets a clear error, never a crash.
        BadInput("raw_bias_length", lambda: raw(torch.randn(2, 4), torch.randn(5), 1, "lrelu", 0.2, 1.0, None),
                 RuntimeError, "b has 5 elements but x.shape\\[1\\] is 4"),
        BadInput("raw_unknown_act", lambda: raw(torch.randn(2, 4), None, 1, "nope", 0.2, 1.0, None),
                 RuntimeError, "unknown act 'nope'"),
        BadInput("raw_integer", lambda: raw(torch.ones(2, 4, dtype=torch.int32), None, 1, "lrelu", 0.2, 1.0, None),
                 RuntimeError, "floating-point"),
    ]
    for dtype in (torch.int32, torch.int64, torch.complex64, torch.bool):
        cases.append(BadInput(f"dtype_{str(dtype).split('.')[-1]}", lambda d=dtype: ba(torch.ones(2, 3, dtype=d)),
                              TypeError, r"^x must be a floating-point tensor"))
    if torch.cuda.is_available():
        cases.append(BadInput("different_devices", lambda: ba(torch.randn(2, 3, device="cuda"), torch.randn(3)),
                              ValueError, "b is on cpu but x is on cuda"))
    return cases


def _ba_half():
    x, b = _ba_inputs((4, 16, 9), 1, dtype=torch.float32)
    return [(lambda x, b: ops.bias_act(x, b, 1, "lrelu"), (x, b), lambda x, b: ops.bias_act_reference(x, b, 1, "lrelu"))]


def _ba_cuda():
    low = dict(rtol=2e-2, atol=2e-2)
    tols = {torch.float32: (tol(torch.float32), tol(torch.float32)), F64: (tol(F64), tol(F64)),
            torch.float16: (low, dict(rtol=2e-2, atol=5e-2)), torch.bfloat16: (dict(rtol=3e-2, atol=3e-2),
                                                                            dict(rtol=5e-2, atol=2e-1))}

    def inputs():
        return _ba_inputs((4, 32, 9, 7), 1, requires_grad=True)

    return [CudaCase(lambda x, b, a=act: ops.bias_act(x, b, 1, a, clamp=4.0), inputs, tols) for act in ops.ACTIVATIONS]


BIAS_ACT = OpSpec("bias_act", _ba_opchecks, _ba_gradchecks, _ba_compile, _ba_bad, _ba_half, _ba_cuda)


# ---- calc_mean_std and adain -----------------------------------------------------------------


def _adain_opchecks(device):
    x = torch.randn(2, 3, 5, 4, device=device, dtype=F64, requires_grad=True)
    xcl = torch.randn(2, 3, 5, 4, device=device, dtype=F64).to(memory_format=torch.channels_last).requires_grad_()
    sm = torch.randn(1, 3, 1, 1, device=device, dtype=F64, requires_grad=True)
    ss = torch.rand(2, 3, 1, 1, device=device, dtype=F64, requires_grad=True)
    cases = []
    for xx in (x, xcl):
        cases.append(OpCheck(OPS.calc_mean_std, (xx, 1e-5, True)))
        cases.append(OpCheck(OPS.adain, (xx, sm, ss, 1e-5)))
        g = torch.randn_like(xx)
        cases.append(OpCheck(OPS.adain_backward, (g.requires_grad_(), xx, sm, ss, 1e-5)))
        m, s = OPS.calc_mean_std(xx.detach(), 1e-5, False)
        gm, gs = torch.randn_like(m).requires_grad_(), torch.randn_like(s).requires_grad_()
        cases.append(OpCheck(OPS.calc_mean_std_backward, (gm, gs, xx, m, s, False)))
    return cases


def _adain_gradchecks():
    cases = []
    for shape in [(2, 3, 4, 5), (2, 2, 7), (2, 2, 1, 1)]:
        x = torch.randn(shape, dtype=F64, requires_grad=True)
        for unbiased in (True, False):
            cases.append(GradCase(lambda t, u=unbiased: ops.calc_mean_std(t, 1e-3, u), (x,)))
    for layout in ("contiguous", "channels_last"):
        x = torch.randn(2, 3, 4, 5, dtype=F64)
        if layout == "channels_last":
            x = x.contiguous(memory_format=torch.channels_last)
        x.requires_grad_()
        sm = torch.randn(2, 3, 1, 1, dtype=F64, requires_grad=True)
        ss = (torch.rand(1, 3, 1, 1, dtype=F64) + 0.5).requires_grad_()
        cases.append(GradCase(lambda a, b, c: ops.adain(a, b, c, 1e-3), (x, sm, ss)))
        style = torch.randn(1, 3, 3, 6, dtype=F64, requires_grad=True)
        cases.append(GradCase(lambda a, s: ops.adain(a, s, eps=1e-3), (x, style)))
    return cases


def _adain_compile():
    c = torch.randn(2, 3, 8, 8, requires_grad=True)
    s = torch.randn(1, 3, 6, 6, requires_grad=True)
    return [CompileCase(lambda c, s: ops.adain(c, s).square().mean(),
                        lambda c, s: ops.adain_reference(c, s).square().mean(), (c, s))]


def _adain_bad():
    x = torch.randn(2, 3, 4, 4)
    cms, ad = ops.calc_mean_std, ops.adain
    return [
        BadInput("x_ndim", lambda: cms(torch.randn(3, 4)), ValueError, "x must be 4-D"),
        BadInput("x_dtype", lambda: cms(torch.ones(2, 3, 4, 4, dtype=torch.int64)), TypeError, "x must be a floating-point"),
        BadInput("content_dtype", lambda: ad(torch.ones(2, 3, 4, 4, dtype=torch.int32), x), TypeError,
                 "content must be a floating-point"),
        BadInput("content_ndim", lambda: ad(torch.randn(2, 3, 4, 4, 4), x), ValueError, "content must be 4-D"),
        BadInput("style_channels", lambda: ad(x, torch.randn(2, 4, 4, 4)), ValueError, "style has 4 channels but content has 3"),
        BadInput("style_batch", lambda: ad(x, torch.randn(3, 3, 4, 4)), ValueError, "style has batch 3"),
        BadInput("style_mean_shape", lambda: ad(x, torch.randn(2, 4, 1, 1), torch.rand(2, 3, 1, 1)), ValueError,
                 "style_mean must hold one value per"),
        BadInput("style_std_shape", lambda: ad(x, torch.randn(2, 3, 1, 1), torch.rand(2, 3, 2, 1)), ValueError,
                 "style_std must hold one value per"),
        BadInput("style_mean_device", lambda: ad(x, torch.empty(2, 3, 1, 1, device="meta"), torch.rand(2, 3, 1, 1)),
                 ValueError, "style_mean is on meta but content is on cpu"),
        BadInput("negative_eps", lambda: cms(x, eps=-1.0), ValueError, "eps must be >= 0"),
        BadInput("empty_planes", lambda: cms(torch.randn(2, 3, 0, 4)), ValueError, "empty planes"),
        # The C++ operators check too, naming the argument.
        BadInput("raw_style_std", lambda: OPS.adain(x, torch.randn(2, 3, 1, 1), torch.rand(2, 5, 1, 1), 1e-5),
                 RuntimeError, "adain: style_std must hold one value per"),
        BadInput("raw_x_ndim", lambda: OPS.calc_mean_std(torch.randn(2, 3), 1e-5, True), RuntimeError,
                 "calc_mean_std: x must be 4-D"),
        BadInput("raw_dtype", lambda: OPS.adain(x, torch.randn(2, 3, 1, 1, dtype=F64), torch.rand(2, 3, 1, 1), 1e-5),
                 RuntimeError, "style_mean has dtype Double but content has Float"),
    ]


def _adain_half():
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    style = torch.randn(1, 3, 5, 5)
    return [(lambda x, s: ops.adain(x, s), (x, style)),
            (lambda x: torch.stack(ops.calc_mean_std(x)), (x.detach(),))]


def _adain_cuda():
    cases = []
    for layout in ("contiguous", "channels_last"):
        for shape in [(2, 3, 37, 29), (4, 64, 128, 128), (1, 2, 1, 1), (1, 3, 700, 700)]:
            fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format

            def inputs(shape=shape, fmt=fmt):
                x = (torch.randn(shape, dtype=F64) * 2 + 1).contiguous(memory_format=fmt).requires_grad_()
                return x, torch.randn((1,) + shape[1:], dtype=F64, requires_grad=True)

            # the style gradient sums over every pixel of every sample: its error grows with H*W
            grow = max(1, shape[2] * shape[3] / 100)
            lo_f, lo_g = dict(rtol=2e-2, atol=5e-2), dict(rtol=5e-2, atol=2e-1 * grow)
            tols = {d: (tol(d), dict(rtol=tol(d)["rtol"], atol=tol(d)["atol"] * grow)) for d in (torch.float32, F64)}
            tols.update({d: (lo_f, lo_g) for d in LOW})
            cases.append(CudaCase(lambda x, s: ops.adain(x, s), inputs, tols))
    return cases


ADAIN = OpSpec("adain", _adain_opchecks, _adain_gradchecks, _adain_compile, _adain_bad, _adain_half, _adain_cuda)


# ---- gram and style_loss ---------------------------------------------------------------------


def _gram_opchecks(device):
    x = torch.randn(2, 3, 4, 5, dtype=F64, device=device, requires_grad=True)
    xcl = torch.randn(2, 3, 4, 5, dtype=F64, device=device).to(memory_format=torch.channels_last).requires_grad_()
    t = torch.randn(1, 3, 3, dtype=F64, device=device, requires_grad=True)
    cases = []
    for xx in (x, xcl):
        for normalize in (True, False):
            cases.append(OpCheck(OPS.gram, (xx, normalize)))
            g = torch.randn(2, 3, 3, dtype=F64, device=device, requires_grad=True)
            cases.append(OpCheck(OPS.gram_backward, (g, xx, normalize)))
            cases.append(OpCheck(OPS.style_loss, (xx, t, normalize)))
    return cases


def _gram_gradchecks():
    x = torch.randn(2, 3, 4, 3, dtype=F64, requires_grad=True)
    t = torch.randn(1, 3, 3, dtype=F64, requires_grad=True)
    cases = []
    for normalize in (True, False):
        cases.append(GradCase(lambda a, n=normalize: ops.gram(a, n), (x,)))
        cases.append(GradCase(lambda a, b, n=normalize: ops.style_loss(a, b, n), (x, t)))
    return cases


def _gram_compile():
    x = torch.randn(2, 4, 6, 6, requires_grad=True)
    t = ops.gram(torch.randn(1, 4, 6, 6))
    return [CompileCase(lambda x, t: ops.style_loss(x, t) + ops.gram(x).sum(),
                        lambda x, t: ops.style_loss_reference(x, t) + ops.gram_reference(x).sum(), (x, t),
                        grad_tol=dict(rtol=1e-4, atol=1e-6))]


def _gram_bad():
    x = torch.randn(2, 3, 4, 4)
    return [
        BadInput("x_ndim", lambda: ops.gram(torch.randn(3, 4)), ValueError, "x must be 4-D"),
        BadInput("x_dtype", lambda: ops.gram(torch.ones(2, 3, 4, 4, dtype=torch.int64)), TypeError,
                 "x must be a floating-point"),
        BadInput("target_channels", lambda: ops.style_loss(x, torch.randn(2, 4, 4)), ValueError,
                 r"target_gram must have shape \(2 or 1, 3, 3\)"),
        BadInput("target_batch", lambda: ops.style_loss(x, torch.randn(3, 3, 3)), ValueError, "target_gram must have shape"),
        BadInput("target_dtype", lambda: ops.style_loss(x, torch.ones(1, 3, 3, dtype=torch.int64)), TypeError,
                 "target_gram must be a floating-point"),
        BadInput("target_device", lambda: ops.style_loss(x, torch.empty(1, 3, 3, device="meta")), ValueError,
                 "target_gram is on meta but x is on cpu"),
        BadInput("raw_target", lambda: OPS.style_loss(x, torch.randn(1, 2, 2), True), RuntimeError,
                 "style_loss: target_gram must have shape"),
        BadInput("raw_grad", lambda: OPS.gram_backward(torch.randn(2, 4, 4), x, True), RuntimeError,
                 "gram_backward: grad must have shape"),
    ]


def _gram_half():
    x = torch.randn(2, 4, 8, 8, requires_grad=True)
    t = ops.gram(torch.randn(1, 4, 8, 8))
    return [(lambda x: ops.gram(x), (x,)), (lambda x, t: ops.style_loss(x, t), (x, t))]


def _gram_cuda():
    cases = []
    lo = dict(rtol=5e-2, atol=1e-3)
    for layout in ("contiguous", "channels_last"):
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format

        def inputs(fmt=fmt):
            x = torch.randn(3, 64, 40, 40, dtype=F64).contiguous(memory_format=fmt).requires_grad_()
            return x, ops.gram(torch.randn(1, 64, 40, 40, dtype=F64))

        tols = {torch.float32: (dict(rtol=1e-5, atol=1e-6), dict(rtol=1e-4, atol=1e-7)),
                F64: (dict(rtol=1e-5, atol=1e-6), dict(rtol=1e-4, atol=1e-7))}
        tols.update({d: (dict(rtol=3e-2, atol=1e-4), dict(rtol=5e-2, atol=1e-5)) for d in LOW})
        cases.append(CudaCase(lambda x, t: ops.style_loss(x, t), inputs, tols))
        gtols = {d: (dict(rtol=1e-5, atol=1e-6), dict(rtol=1e-4, atol=1e-6)) for d in (torch.float32, F64)}
        gtols.update({d: (dict(rtol=3e-2, atol=1e-3), lo) for d in LOW})
        cases.append(CudaCase(lambda x, t: ops.gram(x), inputs, gtols))
    return cases


GRAM = OpSpec("gram", _gram_opchecks, _gram_gradchecks, _gram_compile, _gram_bad, _gram_half, _gram_cuda)


# ---- minibatch_stddev -------------------------------------------------------------------------


def _mb_opchecks(device):
    x = torch.randn(4, 4, 3, 3, dtype=F64, device=device, requires_grad=True)
    g = torch.randn(4, 6, 3, 3, dtype=F64, device=device, requires_grad=True)
    return [OpCheck(OPS.minibatch_stddev, (x, 2, 2, 1e-8)), OpCheck(OPS.minibatch_stddev_backward, (g, x, 2, 2, 1e-8))]


def _mb_gradchecks():
    cases = []
    for group_size, num_channels in [(4, 1), (2, 2), (8, 1)]:
        x = torch.randn(4, 4, 3, 2, dtype=F64, requires_grad=True)
        cases.append(GradCase(lambda t, g=group_size, f=num_channels: ops.minibatch_stddev(t, g, f, eps=1e-4), (x,)))
    return cases


def _mb_compile():
    x = torch.randn(4, 3, 5, 5, requires_grad=True)
    return [CompileCase(lambda x: ops.minibatch_stddev(x, 2).square().sum(),
                        lambda x: ops.minibatch_stddev_reference(x, 2).square().sum(), (x,), grad_tol={})]


def _mb_bad():
    mb = ops.minibatch_stddev
    return [
        BadInput("x_ndim", lambda: mb(torch.randn(4, 3, 5)), ValueError, "x must be 4-D"),
        BadInput("x_dtype", lambda: mb(torch.ones(4, 3, 2, 2, dtype=torch.int64)), TypeError, "x must be a floating-point"),
        BadInput("batch_not_divisible", lambda: mb(torch.randn(6, 3, 2, 2)), ValueError,
                 "batch size 6 of x is not divisible by the group size 4"),
        BadInput("channels_not_divisible", lambda: mb(torch.randn(4, 3, 2, 2), num_channels=2), ValueError,
                 "not divisible by num_channels=2"),
        BadInput("group_size_zero", lambda: mb(torch.randn(4, 3, 2, 2), group_size=0), ValueError,
                 "group_size must be an integer >= 1"),
        BadInput("raw_batch", lambda: OPS.minibatch_stddev(torch.randn(6, 3, 2, 2), 4, 1, 1e-8), RuntimeError,
                 "minibatch_stddev: the batch size 6 of x is not divisible"),
        BadInput("raw_grad", lambda: OPS.minibatch_stddev_backward(torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2), 4, 1,
                                                                    1e-8),
                 RuntimeError, "minibatch_stddev_backward: grad must have shape"),
    ]


def _mb_half():
    return [(lambda x: ops.minibatch_stddev(x), (torch.randn(4, 4, 6, 6, requires_grad=True),))]


def _mb_cuda():
    low = dict(rtol=2e-2, atol=2e-2)
    tols = {d: (tol(d), tol(d)) for d in (torch.float32, F64)}
    tols.update({d: (low, low) for d in LOW})
    return [CudaCase(lambda x: ops.minibatch_stddev(x, 4, 2),
                     lambda: (torch.randn(8, 32, 24, 24, dtype=F64, requires_grad=True),), tols)]


MINIBATCH_STDDEV = OpSpec("minibatch_stddev", _mb_opchecks, _mb_gradchecks, _mb_compile, _mb_bad, _mb_half, _mb_cuda)


SPECS = [BIAS_ACT, ADAIN, GRAM, MINIBATCH_STDDEV]


# ---- upfirdn2d -------------------------------------------------------------------------------

# (up, down, padding) of StyleGAN2's uses and of the awkward corners: upsample, downsample,
# both, negative padding (crop), asymmetric padding.
FIR_CONFIGS = [
    (1, 1, (1, 2, 2, 1)),
    (2, 1, (2, 1, 2, 1)),
    (1, 2, (1, 1, 1, 1)),
    (2, 2, (0, 1, -1, 2)),
    ((2, 1), (1, 2), (-1, 0, 1, 1)),
]


def _fir(dtype=F64, device="cpu", separable=True):
    if separable:
        return ops.fir_filter([1, 3, 3, 1], dtype=dtype, device=device)
    return torch.tensor([[0.5, -1.0], [2.0, 0.25], [1.0, 0.75]], dtype=dtype, device=device)  # rank 2, 3x2


def _fir_opchecks(device):
    cases = []
    for (up, down, pad), sep in zip(FIR_CONFIGS, [True, False, True, False, True]):
        x = torch.randn(2, 3, 7, 6, dtype=F64, device=device, requires_grad=True)
        f = _fir(F64, device, sep)
        upx, upy = up if isinstance(up, tuple) else (up, up)
        dx, dy = down if isinstance(down, tuple) else (down, down)
        cases.append(OpCheck(OPS.upfirdn2d, (x, f, upx, upy, dx, dy, *pad)))
    return cases


def _fir_gradchecks():
    cases = []
    for (up, down, pad), sep in zip(FIR_CONFIGS, [True, False, False, True, True]):
        x = torch.randn(1, 2, 5, 4, dtype=F64, requires_grad=True)
        f = _fir(F64, "cpu", sep)
        cases.append(GradCase(lambda x, f=f, u=up, d=down, p=pad: ops.upfirdn2d(x, f, u, d, p), (x,)))
    return cases


def _fir_compile():
    x = torch.randn(2, 3, 16, 16, requires_grad=True)
    f = ops.fir_filter([1, 3, 3, 1])

    def chain(x, fir=ops.upfirdn2d):  # upsample, then blur-downsample back
        y = fir(x, f * 4, up=2, padding=(2, 1, 2, 1))
        return fir(y, f, down=2, padding=(1, 1, 1, 1)).square().mean()

    return [CompileCase(chain, lambda x: chain(x, ops.upfirdn2d_reference), (x,))]


def _fir_bad():
    x = torch.randn(2, 3, 8, 8)
    f = ops.fir_filter([1, 3, 3, 1])
    fir = ops.upfirdn2d
    raw = (lambda *a: OPS.upfirdn2d(*a)) if OPS is not None else None
    return [
        BadInput("x_ndim", lambda: fir(torch.randn(3, 8, 8), f), ValueError, "x must be 4-D"),
        BadInput("x_dtype", lambda: fir(torch.ones(2, 3, 8, 8, dtype=torch.int64), f), TypeError,
                 "x must be a floating-point"),
        BadInput("filter_dtype", lambda: fir(x, torch.ones(3, 3, dtype=torch.int64)), TypeError,
                 "filter must be a floating-point"),
        BadInput("filter_ndim", lambda: fir(x, torch.ones(1, 3, 3)), ValueError, "filter must be a non-empty 1-D or 2-D"),
        BadInput("filter_requires_grad", lambda: fir(x, f.clone().requires_grad_()), ValueError,
                 r"filter must not require grad.*detach"),
        BadInput("filter_device", lambda: fir(x, torch.empty(3, 3, device="meta")), ValueError,
                 "filter is on meta but x is on cpu"),
        BadInput("up_zero", lambda: fir(x, f, up=0), ValueError, "up and down must be >= 1"),
        BadInput("down_type", lambda: fir(x, f, down=1.5), TypeError, "down must be an int or an"),
        BadInput("padding_type", lambda: fir(x, f, padding=(1, 2, 3)), TypeError, r"padding must be an int, \(x, y\)"),
        BadInput("empty_output", lambda: fir(x, f, padding=(-3, -3, 0, 0)), ValueError, "would be empty; pad more"),
        BadInput("raw_filter_dtype", lambda: raw(x, f.double(), 1, 1, 1, 1, 0, 0, 0, 0), RuntimeError,
                 "upfirdn2d: filter has dtype Double but x has Float"),
        BadInput("raw_empty_output", lambda: raw(x, f, 1, 1, 1, 1, -4, -4, 0, 0), RuntimeError,
                 "upfirdn2d: the output of x of shape .* would be empty"),
        BadInput("raw_down", lambda: raw(x, f, 1, 1, 0, 1, 0, 0, 0, 0), RuntimeError, "upfirdn2d: down must be >= 1"),
    ]


def _fir_half():
    x = torch.randn(2, 4, 9, 8, requires_grad=True)
    f = ops.fir_filter([1, 3, 3, 1])
    return [(lambda x: ops.upfirdn2d(x, f.to(x.dtype), 2, 1, (2, 1, 2, 1)), (x,)),
            (lambda x: ops.upfirdn2d(x, f.to(x.dtype), 1, 2, (1, 1, 1, 1)), (x,))]


def _fir_cuda():
    low = dict(rtol=2e-2, atol=2e-2)
    tols = {d: (tol(d), tol(d)) for d in (torch.float32, F64)}
    tols.update({d: (low, low) for d in LOW})
    cases = []
    for (up, down, pad), sep in zip(FIR_CONFIGS, [True, False, True, False, True]):
        f = _fir(F64, "cpu", sep)
        cases.append(CudaCase(lambda x, u=up, d=down, p=pad, f=f: ops.upfirdn2d(x, f.to(x.device, x.dtype), u, d, p),
                              lambda: (torch.randn(4, 16, 33, 31, dtype=F64, requires_grad=True),), tols))
    return cases


UPFIRDN2D = OpSpec("upfirdn2d", _fir_opchecks, _fir_gradchecks, _fir_compile, _fir_bad, _fir_half, _fir_cuda)

SPECS.append(UPFIRDN2D)


# ---- bias_act_residual (the residual merge of a discriminator block) --------------------------

SQRT_HALF = math.sqrt(0.5)


def _res_inputs(shape=(2, 6, 5, 4), dtype=F64, device="cpu", requires_grad=True):
    x, b = _ba_inputs(shape, 1, dtype, device, requires_grad)
    r = torch.randn(shape, dtype=dtype, device=device).requires_grad_(requires_grad)
    return x, b, r


def _res_opchecks(device):
    x, b, r = _res_inputs(dtype=torch.float32, device=device)
    cl = x.detach().to(memory_format=torch.channels_last).requires_grad_()
    op = OPS.bias_act_residual.default
    return [
        OpCheck(op, (x, b, r, 1, "lrelu", 0.2, math.sqrt(2), None, SQRT_HALF)),
        OpCheck(op, (cl, b, r, 1, "swish", 0.0, 1.0, 0.5, 2.0)),  # residual in another layout
        OpCheck(op, (x, None, r, 1, "linear", 0.0, 1.0, None, 1.0)),
    ]


def _res_gradchecks():
    x, b, r = _res_inputs((2, 3, 4, 5))
    with torch.no_grad():
        x += torch.sign(x) * 0.05  # off the lrelu kink
        b.zero_()
    return [
        GradCase(lambda x, b, r: ops.bias_act_residual(x, r, b, 1, "lrelu", scale=SQRT_HALF), (x, b, r)),
        GradCase(lambda x, b, r: ops.bias_act_residual(x, r, b, 1, "softplus", gain=2.0, scale=0.3), (x, b, r)),
    ]


def _res_compile():
    x, b, r = _res_inputs((4, 8, 6, 6), dtype=torch.float32)

    def block(x, b, r, f=ops.bias_act_residual):
        return f(x, r, b, 1, "lrelu", scale=SQRT_HALF).square().mean()

    return [CompileCase(block, lambda x, b, r: block(x, b, r, ops.bias_act_residual_reference), (x, b, r))]


def _res_bad():
    x = torch.randn(2, 4, 3)
    bar = ops.bias_act_residual
    raw = (lambda *a: OPS.bias_act_residual(*a)) if OPS is not None else None
    return [
        BadInput("residual_shape", lambda: bar(x, torch.randn(2, 4, 4)), ValueError, "residual has shape .* but x has"),
        BadInput("residual_dtype", lambda: bar(x, torch.ones(2, 4, 3, dtype=torch.int64)), TypeError,
                 "residual must be a floating-point"),
        BadInput("residual_device", lambda: bar(x, torch.empty(2, 4, 3, device="meta")), ValueError,
                 "residual is on meta but x is on cpu"),
        BadInput("scale_type", lambda: bar(x, torch.randn(2, 4, 3), scale="half"), TypeError, "scale must be a number"),
        BadInput("bias_length", lambda: bar(x, torch.randn(2, 4, 3), torch.randn(5)), ValueError, r"x.shape\[1\] = 4"),
        BadInput("raw_residual_shape", lambda: raw(x, None, torch.randn(2, 4), 1, "lrelu", 0.2, 1.0, None, 1.0),
                 RuntimeError, "bias_act_residual: residual has shape"),
    ]


def _res_half():
    x, b, r = _res_inputs((4, 16, 9), dtype=torch.float32)
    return [(lambda x, b, r: ops.bias_act_residual(x, r, b, 1, "lrelu", scale=SQRT_HALF), (x, b, r),
             lambda x, b, r: ops.bias_act_residual_reference(x, r, b, 1, "lrelu", scale=SQRT_HALF))]


def _res_cuda():
    low = dict(rtol=2e-2, atol=2e-2)
    tols = {d: (tol(d), tol(d)) for d in (torch.float32, F64)}
    tols.update({torch.float16: (low, dict(rtol=2e-2, atol=5e-2)), torch.bfloat16: (dict(rtol=3e-2, atol=3e-2),
                                                                                     dict(rtol=5e-2, atol=2e-1))})
    return [CudaCase(lambda x, b, r: ops.bias_act_residual(x, r, b, 1, "lrelu", clamp=4.0, scale=SQRT_HALF),
                     lambda: _res_inputs((4, 32, 9, 7)), tols)]


BIAS_ACT_RESIDUAL = OpSpec("bias_act_residual", _res_opchecks, _res_gradchecks, _res_compile, _res_bad, _res_half,
                           _res_cuda)

SPECS.append(BIAS_ACT_RESIDUAL)
