"""The build and its fallback: what `info()`/`doctor` report, the reference path without the
extension (one warning, same results), and both CPU kernel builds (baseline and AVX2) of every
kernel that has two (bias_act, calc_mean_std/adain, upfirdn2d, bilateral): each matches its reference, and
the one that runs is the one ATEN_CPU_CAPABILITY asks for."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import spokenstyle.ops as ops
from harness.helpers import run_cli


def _run(code, **env):
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=full_env, timeout=300)


def test_info_reports_the_build():
    facts = ops.info()
    assert facts["extension_loaded"] is ops.AVAILABLE
    assert facts["torch_running"] == torch.__version__
    if ops.AVAILABLE:
        assert facts["torch_built"] == torch.__version__, "extension built against another torch"
        assert "bias_act" in facts["operators"]
    if facts["cuda_kernels"]:
        assert facts["cuda_archs"], "a CUDA build must list the archs nvcc compiled"
        assert all(a.startswith("sm_") for a in facts["cuda_archs"])


@pytest.mark.skipif(os.environ.get("CI") != "true" and not ops.info()["cuda_kernels"],
                    reason="CUDA kernels were not built here (CI requires them)")
def test_cuda_build_has_ampere_and_hopper():
    facts = ops.info()
    assert facts["cuda_kernels"], "CI must compile the CUDA kernels (FORCE_CUDA=1)"
    if torch.cuda.is_available() or os.environ.get("TORCH_CUDA_ARCH_LIST"):
        pytest.skip("arch list chosen for the visible GPU or by TORCH_CUDA_ARCH_LIST")
    assert {"sm_80", "sm_90"} <= set(facts["cuda_archs"])


def test_doctor_cli():
    out = run_cli("doctor", "--json")
    assert out.returncode == 0, out.stderr
    facts = json.loads(out.stdout)
    assert facts["extension_loaded"] is ops.AVAILABLE
    text = run_cli("doctor")
    assert text.returncode == 0 and "extension loaded" in text.stdout


def test_fallback_without_extension_warns_once_and_works():
    res = _run(
        """
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import spokenstyle
            import spokenstyle.ops as ops
            import torch, torch.nn.functional as F
            x = torch.randn(2, 4, 3, 3, requires_grad=True)
            b = torch.randn(4)
            y = ops.bias_act(x, b)
            y.sum().backward()
            ops.bias_act(x, b)
        relevant = [w for w in caught if issubclass(w.category, ops.ExtensionWarning)]
        assert len(relevant) == 1, [str(w.message) for w in relevant]
        assert "SPOKENSTYLE_DISABLE_EXTENSION" in str(relevant[0].message)
        assert not ops.AVAILABLE and not hasattr(torch.ops.spokenstyle, "bias_act")
        want = F.leaky_relu(x + b.view(1, -1, 1, 1), 0.2) * 2 ** 0.5
        torch.testing.assert_close(y, want)
        assert x.grad is not None
        print("ok")
        """,
        SPOKENSTYLE_DISABLE_EXTENSION="1",
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


#: Run under one ATEN_CPU_CAPABILITY: every CPU kernel with a baseline and an AVX2 build
#: (bias_act, the calc_mean_std/adain plane loops, upfirdn2d, bilateral) against its reference, then the
#: capability ATen reports and a digest of each family's float32 outputs on fixed inputs.
_KERNELS = """
    import hashlib, json
    import numpy as np
    import torch
    from spokenstyle import ops

    rng = np.random.default_rng(0)  # not torch.randn, whose own kernels differ per capability

    def randn(*shape):
        return torch.from_numpy(rng.standard_normal(shape).astype("float32"))

    def close(got, want):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)

    outputs = {"bias_act": [], "calc_mean_std": [], "upfirdn2d": [], "bilateral": []}
    x0, b = randn(3, 13, 37, 41), randn(13)
    for act in ops.ACTIVATIONS:
        for cl in (False, True):
            x = (x0.to(memory_format=torch.channels_last) if cl else x0.clone()).requires_grad_()
            y = ops.bias_act(x, b, 1, act, clamp=2.5)
            want = ops.bias_act_reference(x, b, 1, act, clamp=2.5)
            close(y, want)
            close(torch.autograd.grad(y.sum(), x)[0], torch.autograd.grad(want.sum(), x)[0])
            outputs["bias_act"].append(y.detach().contiguous())
    style = randn(1, 13, 9, 9)
    close(torch.stack(ops.calc_mean_std(x0)), torch.stack(ops.calc_mean_std_reference(x0)))
    close(ops.adain(x0, style), ops.adain_reference(x0, style))
    outputs["calc_mean_std"] += [*ops.calc_mean_std(x0), ops.adain(x0, style)]
    f = ops.fir_filter([1, 3, 3, 1])
    for up, down, pad in ((2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1))):
        y = ops.upfirdn2d(x0, f, up, down, pad)
        close(y, ops.upfirdn2d_reference(x0, f, up, down, pad))
        outputs["upfirdn2d"].append(y)
    xb = torch.from_numpy(rng.random((2, 3, 29, 31)).astype("float32"))
    y = ops.bilateral(xb, 1.5, 0.2)
    close(y, ops.bilateral_reference(xb, 1.5, 0.2))
    outputs["bilateral"] = [y]
    # kernels built once (no AVX2 build): the control, equal under every capability
    single = {"gram": [ops.gram(x0)], "minibatch_stddev": [ops.minibatch_stddev(randn(4, 13, 9, 9))]}

    def digest(groups):
        return {k: hashlib.sha256(b"".join(t.detach().contiguous().numpy().tobytes() for t in v)).hexdigest()
                for k, v in groups.items()}

    print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability().lower(), "digest": digest(outputs),
                      "single": digest(single)}))
"""


#: Whether this CPU runs AVX2 (the hardware's answer, whatever ATEN_CPU_CAPABILITY says).
CPU_HAS_AVX2 = bool(getattr(torch.cpu, "_is_avx2_supported", lambda: False)())
needs_avx2 = pytest.mark.skipif(not CPU_HAS_AVX2, reason="this CPU has no AVX2")


def _kernels_under(capability: str) -> dict:
    res = _run(_KERNELS, ATEN_CPU_CAPABILITY=capability, OMP_NUM_THREADS="1")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not ops.AVAILABLE, reason="spokenstyle._C was not built")
@pytest.mark.parametrize("capability", ["default", pytest.param("avx2", marks=needs_avx2)])
def test_both_cpu_kernel_builds_match_reference(capability):
    """ATEN_CPU_CAPABILITY selects the baseline or the AVX2 build of the CPU loops; each build
    of each dispatched kernel matches its reference, and ATen runs the capability asked for."""
    assert _kernels_under(capability)["capability"] == capability


@pytest.mark.skipif(not ops.AVAILABLE, reason="spokenstyle._C was not built")
@needs_avx2
def test_the_avx2_build_is_the_one_that_runs_under_avx2():
    """Which build ran, measured: the AVX2 build contracts multiply-adds into FMAs and uses
    Sleef's vector tanh/exp, so on fixed inputs its float32 outputs differ from the baseline's
    in the last bits (both within 1e-5 of the reference). Equal digests would mean one build
    ran under both capabilities (the dispatch ignored ATEN_CPU_CAPABILITY, or no AVX2 build).
    The control: kernels built once (gram, minibatch_stddev) give equal digests on the same
    inputs, so a difference comes from the build that ran, not from the inputs or ATen. (When
    one of them gains an AVX2 build, move it to the dispatched families.)"""
    baseline, avx2 = _kernels_under("default"), _kernels_under("avx2")
    assert (baseline["capability"], avx2["capability"]) == ("default", "avx2")
    assert baseline["single"] == avx2["single"], "a kernel with one build changed with the capability"
    same = [op for op in baseline["digest"] if baseline["digest"][op] == avx2["digest"][op]]
    assert not same, f"the same kernel ran under ATEN_CPU_CAPABILITY=default and =avx2: {same}"


def test_import_stays_light():
    res = _run("import sys, spokenstyle; print('transformers' in sys.modules)")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


def test_operators_list_matches_the_schemas_in_ops_cpp():
    """_extension.OPERATORS is what a fresh build defines: csrc/ops.cpp's m.def names."""
    import re
    from pathlib import Path

    from spokenstyle.ops import _extension

    src = (Path(__file__).resolve().parents[2] / "csrc" / "ops.cpp").read_text()
    assert set(_extension.OPERATORS) == set(re.findall(r'm\.def\("(\w+)\(', src))


@pytest.mark.skipif(not ops.AVAILABLE, reason="spokenstyle._C was not built")
def test_a_stale_extension_is_treated_as_absent(monkeypatch):
    """A _C built from an older checkout (lacking a newer schema) is reported, not half-used."""
    from spokenstyle.ops import _extension

    monkeypatch.setattr(_extension, "OPERATORS", _extension.OPERATORS + ("from_a_newer_checkout",))
    module, error = _extension._load()
    assert module is None
    assert "stale" in error and "from_a_newer_checkout" in error and "adain" not in error
