"""The compiled CPU kernels of the structure-preserving filters (anisotropic_kuwahara, bilateral, flow_dog)
against their pure-PyTorch references: random inputs and a real photo, several parameter sets,
batches, 1 to 4 channels, non-contiguous and half-precision input; the operators' schemas and
fake kernels (torch.library.opcheck); the error of a direct call with bad arguments."""

import pytest
import torch

import spokenstyle.ops as ops
from harness.helpers import photo

pytestmark = pytest.mark.skipif(not ops.AVAILABLE, reason="spokenstyle._C is not built")

TOL = {torch.float64: dict(rtol=0, atol=1e-10), torch.float32: dict(rtol=0, atol=1e-5)}


def _crop(name="chelsea", h=40, w=56, top=60, left=120):
    return photo(name)[..., top:top + h, left:left + w].contiguous()


def _close(got, want, dtype, atol=None):
    assert got.dtype == want.dtype and got.shape == want.shape
    err = (got - want).abs().max().item()
    atol = TOL[dtype]["atol"] if atol is None else atol
    assert err <= atol, f"max |kernel - reference| = {err:.3g}"


def _kuwahara_close(x, st, *args):
    """float64: kernel and reference agree to 1e-10. float32: the kernel sums in double, so it is
    within 1e-5 of the float64 reference on the same values; the float32 reference itself is off
    by up to ~5e-5 on a photo (its variances sxx/sw - m² cancel in float and (255 s²)^(q/2)
    magnifies that), so the kernel is compared with it to 1e-4."""
    got = ops.anisotropic_kuwahara(x, st, *args)
    want = ops.anisotropic_kuwahara_reference(x, st, *args)
    if x.dtype == torch.float64:
        _close(got, want, torch.float64)
    else:
        _close(got, want, torch.float32, atol=1e-4)
        _close(got.double(), ops.anisotropic_kuwahara_reference(x.double(), st.double(), *args), torch.float32)
    return got


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("c,radius,sectors,q,alpha", [
    (3, 6, 8, 8.0, 1.0),
    (1, 3, 4, 8.0, 1.0),
    (2, 4, 16, 2.5, 0.5),
    (4, 2, 3, 0.0, 4.0),
    (3, 5, 7, 12.0, 1e3),
])
def test_kuwahara_kernel_matches_the_reference_on_random_input(dtype, c, radius, sectors, q, alpha):
    x = torch.rand(2, c, 13, 17, dtype=dtype)
    st = ops.structure_tensor(x, sigma=1.5)
    _kuwahara_close(x, st, radius, sectors, q, alpha)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("radius,sectors", [(6, 8), (4, 8), (3, 12)])
def test_kuwahara_kernel_matches_the_reference_on_a_photo(dtype, radius, sectors):
    x = _crop().to(dtype)
    st = ops.structure_tensor(x, sigma=2.0)
    got = _kuwahara_close(x, st, radius, sectors)
    assert (got - x).abs().mean() > 0.005  # it did filter


def test_kuwahara_kernel_takes_non_contiguous_and_half_input():
    base = torch.rand(2, 11, 9, 3, dtype=torch.float64)
    x = base.permute(0, 3, 2, 1)  # (2, 3, 9, 11), not contiguous
    st = ops.structure_tensor(x.contiguous(), 1.0).permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2)
    assert not x.is_contiguous()
    _close(ops.anisotropic_kuwahara(x, st, 3), ops.anisotropic_kuwahara_reference(x.contiguous(), st.contiguous(), 3),
           torch.float64)
    xh = torch.rand(1, 3, 10, 12).half()
    sth = ops.structure_tensor(xh.float()).half()
    got = ops.anisotropic_kuwahara(xh, sth, 3)
    assert got.dtype == torch.float16
    # both computed in float32 and rounded to float16: at most one float16 step (2^-11 below 1) apart
    assert (got.float() - ops.anisotropic_kuwahara_reference(xh, sth, 3).float()).abs().max() <= 2 ** -11


def test_kuwahara_kernel_on_one_pixel_and_a_constant():
    x = torch.rand(1, 3, 1, 1, dtype=torch.float64)
    st = ops.structure_tensor(x)
    _close(ops.anisotropic_kuwahara(x, st, 4), ops.anisotropic_kuwahara_reference(x, st, 4), torch.float64)
    c = torch.full((2, 4, 7, 9), 0.25, dtype=torch.float64)
    assert torch.allclose(ops.anisotropic_kuwahara(c, ops.structure_tensor(c)), c, rtol=0, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("c,cg,ss,sr", [(3, None, 3.0, 0.1), (1, None, 1.2, 0.05), (4, 2, 2.0, 0.3), (2, 1, 0.4, 5.0)])
def test_bilateral_kernel_matches_the_reference(dtype, c, cg, ss, sr):
    x = torch.rand(2, c, 15, 12, dtype=dtype)
    g = None if cg is None else torch.rand(2, cg, 15, 12, dtype=dtype)
    _close(ops.bilateral(x, ss, sr, g), ops.bilateral_reference(x, ss, sr, g), dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_bilateral_kernel_matches_the_reference_on_a_photo(dtype):
    x = _crop().to(dtype)
    got = ops.bilateral(x, 3.0, 0.1)
    _close(got, ops.bilateral_reference(x, 3.0, 0.1), dtype)
    assert (got - x).abs().mean() > 0.002


def test_bilateral_kernel_takes_non_contiguous_input_and_a_guide_of_another_dtype():
    x = torch.rand(1, 6, 10, 3, dtype=torch.float64).permute(0, 3, 2, 1)
    g = torch.rand(1, 1, 10, 6, dtype=torch.float32)
    want = ops.bilateral_reference(x.contiguous(), 2.0, 0.2, g)
    _close(ops.bilateral(x, 2.0, 0.2, g), want, torch.float64)
    assert ops.bilateral(torch.rand(1, 3, 5, 5).bfloat16()).dtype == torch.bfloat16


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("sigma,k,sigma_m", [(1.0, 1.6, 3.0), (0.7, 2.5, 1.2), (2.0, 1.1, 5.0)])
def test_flow_dog_kernel_matches_the_reference(dtype, sigma, k, sigma_m):
    x = torch.rand(2, 1, 14, 19, dtype=dtype)
    st = ops.structure_tensor(x, 1.5)
    _close(ops.flow_dog(x, st, sigma, k, sigma_m), ops.flow_dog_reference(x, st, sigma, k, sigma_m), dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_flow_dog_kernel_matches_the_reference_on_a_photo(dtype):
    x = _crop().mean(1, keepdim=True).to(dtype)
    st = ops.structure_tensor(x, 2.0)
    got = ops.flow_dog(x, st)
    _close(got, ops.flow_dog_reference(x, st), dtype)
    assert got.abs().max() > 0.01
    xn = torch.rand(1, 9, 7, 1, dtype=dtype).permute(0, 3, 2, 1)  # non-contiguous (1, 1, 7, 9)
    stn = ops.structure_tensor(xn.contiguous())
    _close(ops.flow_dog(xn, stn), ops.flow_dog_reference(xn.contiguous(), stn), dtype)
    assert ops.flow_dog(xn.half(), stn.half()).dtype == torch.float16


def _opcheck_cases():
    x = torch.rand(2, 3, 9, 8)
    st = ops.structure_tensor(x)
    k = torch.ops.spokenstyle.anisotropic_kuwahara.default
    b = torch.ops.spokenstyle.bilateral.default
    return [(k, (x, st, 3, 8, 8.0, 1.0)), (k, (x[:, :1].double(), st.double(), 2, 5, 4.0, 2.0)),
            (b, (x, None, 1.5, 0.1)), (b, (x.double(), x[:, 1:].double(), 1.0, 0.2)),
            (torch.ops.spokenstyle.flow_dog.default, (x[:, :1], st, 1.0, 1.6, 2.0))]


@pytest.mark.parametrize("i", range(5))
def test_opcheck(i):
    op, args = _opcheck_cases()[i]
    torch.library.opcheck(op, args, test_utils=("test_schema", "test_faketensor", "test_aot_dispatch_static"))


@pytest.mark.parametrize("call,match", [
    (lambda o: o.anisotropic_kuwahara(torch.rand(1, 5, 4, 4), torch.rand(1, 3, 4, 4), 2, 8, 8.0, 1.0), "1 to 4 channels"),
    (lambda o: o.anisotropic_kuwahara(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 5), 2, 8, 8.0, 1.0), "tensor must have"),
    (lambda o: o.anisotropic_kuwahara(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4).double(), 2, 8, 8.0, 1.0),
     "tensor has dtype"),
    (lambda o: o.anisotropic_kuwahara(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4), 2, 17, 8.0, 1.0), "sectors"),
    (lambda o: o.anisotropic_kuwahara(torch.rand(1, 3, 4, 4).half(), torch.rand(1, 3, 4, 4).half(), 2, 8, 8.0, 1.0),
     "float32 and float64"),
    (lambda o: o.bilateral(torch.rand(1, 3, 4, 4), torch.rand(1, 1, 4, 3), 1.0, 0.1), "guide must have"),
    (lambda o: o.bilateral(torch.rand(1, 3, 4, 4), None, 0.0, 0.1), "sigma_space"),
    (lambda o: o.bilateral(torch.rand(3, 4, 4), None, 1.0, 0.1), "x must be 4-D"),
    (lambda o: o.flow_dog(torch.rand(1, 2, 4, 4), torch.rand(1, 3, 4, 4), 1.0, 1.6, 3.0), "x must have 1 channels"),
    (lambda o: o.flow_dog(torch.rand(1, 1, 4, 4), torch.rand(1, 3, 4, 4), 1.0, 1.0, 3.0), "k must be"),
])
def test_direct_calls_name_the_bad_argument(call, match):
    with pytest.raises(RuntimeError, match=match):
        call(torch.ops.spokenstyle)


def test_cuda_tensors_would_run_the_reference():
    from spokenstyle.ops import _filters

    assert _filters.use_cpu_kernel(torch.rand(1)) is True
    assert _filters.use_cpu_kernel(torch.rand(1, device="meta")) is False


def _cuda_built():
    return ops.AVAILABLE and ops.info()["cuda_kernels"] and torch.cuda.is_available()


@pytest.mark.cuda
@pytest.mark.skipif(not _cuda_built(), reason="needs the CUDA kernels and a GPU")
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_cuda_kernels_match_the_references(dtype):
    """csrc/cuda/filters.cu, called through torch.ops (the wrappers still run the references on
    CUDA tensors until these kernels have been checked on a GPU: this test is that check)."""
    o = torch.ops.spokenstyle
    x = _crop().to(dtype)
    st = ops.structure_tensor(x, 2.0)
    xd, std = x.cuda(), st.cuda()
    for args in ((6, 8, 8.0, 1.0), (3, 5, 2.0, 0.5)):
        want = ops.anisotropic_kuwahara_reference(x.double(), st.double(), *args)
        got = o.anisotropic_kuwahara(xd, std, *args).cpu().double()
        assert (got - want).abs().max() <= (1e-10 if dtype == torch.float64 else 1e-5)
    g = x[:, :1].contiguous()
    _close(o.bilateral(xd, None, 3.0, 0.1).cpu(), ops.bilateral_reference(x, 3.0, 0.1), dtype)
    _close(o.bilateral(xd, g.cuda(), 1.5, 0.2).cpu(), ops.bilateral_reference(x, 1.5, 0.2, g), dtype)
    _close(o.flow_dog(g.cuda(), std, 1.0, 1.6, 3.0).cpu(), ops.flow_dog_reference(g, st, 1.0, 1.6, 3.0), dtype)


def test_the_wrappers_run_the_kernels_on_the_cpu():
    """The comparisons above test the kernels only if the wrappers call them: each wrapper's
    output is bit for bit torch.ops.spokenstyle's, and the kernels' float32 sums differ from the
    reference's in the last bits (so equal outputs would mean the reference ran)."""
    o = torch.ops.spokenstyle
    x = _crop()
    st = ops.structure_tensor(x, 2.0)
    k = ops.anisotropic_kuwahara(x, st)
    assert torch.equal(k, o.anisotropic_kuwahara(x, st, 6, 8, 8.0, 1.0))
    assert not torch.equal(k, ops.anisotropic_kuwahara_reference(x, st))
    assert torch.equal(ops.bilateral(x, 2.0, 0.1), o.bilateral(x, None, 2.0, 0.1))
    g = x[:, :1].contiguous()
    assert torch.equal(ops.flow_dog(g, st), o.flow_dog(g, st, 1.0, 1.6, 3.0))


def test_a_nan_in_the_structure_tensor_gives_nan_not_a_crash():
    """The kernels index the image from the tensor's directions: a NaN there must not become an
    index. Kuwahara: NaN at that pixel only, as the reference. flow_dog: NaN where the walk used it."""
    x = torch.rand(1, 3, 12, 14, dtype=torch.float64)
    st = ops.structure_tensor(x, 1.0)
    st[0, :, 5, 6] = float("nan")
    got = ops.anisotropic_kuwahara(x, st, 3)
    want = ops.anisotropic_kuwahara_reference(x, st, 3)
    assert torch.isnan(got[0, :, 5, 6]).all() and torch.isnan(got).sum() == 3
    assert torch.allclose(got, want, rtol=0, atol=1e-10, equal_nan=True)
    st[0, 0, 2, 3] = float("inf")
    assert torch.isnan(ops.anisotropic_kuwahara(x, st, 3)[0, :, 2, 3]).all()
    d = ops.flow_dog(x[:, :1].contiguous(), st)
    assert torch.isnan(d[0, 0, 5, 6]) and torch.isfinite(d).sum() > 0.5 * d.numel()
