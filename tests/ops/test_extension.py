"""The build and its fallback: what `info()`/`doctor` report, the reference path without the
extension (one warning, same results), and both CPU kernel builds (baseline and AVX2)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import spokenstyle.ops as ops


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
    out = subprocess.run([sys.executable, "-m", "spokenstyle.cli", "doctor", "--json"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    facts = json.loads(out.stdout)
    assert facts["extension_loaded"] is ops.AVAILABLE
    text = subprocess.run([sys.executable, "-m", "spokenstyle.cli", "doctor"], capture_output=True, text=True,
                          timeout=120)
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


@pytest.mark.skipif(not ops.AVAILABLE, reason="spokenstyle._C was not built")
@pytest.mark.parametrize("capability", ["default", "avx2"])
def test_both_cpu_kernel_builds_match_reference(capability):
    """ATEN_CPU_CAPABILITY selects the baseline or the AVX2 build of the CPU loops."""
    res = _run(
        """
        import torch
        from spokenstyle.ops import ACTIVATIONS, bias_act, bias_act_reference
        for act in ACTIVATIONS:
            for cl in (False, True):
                x = torch.randn(3, 13, 5, 7)
                if cl:
                    x = x.to(memory_format=torch.channels_last)
                x.requires_grad_()
                b = torch.randn(13)
                y = bias_act(x, b, 1, act, clamp=2.5)
                torch.testing.assert_close(y, bias_act_reference(x, b, 1, act, clamp=2.5), atol=1e-5, rtol=1e-5)
                g, = torch.autograd.grad(y.sum(), x)
                r, = torch.autograd.grad(bias_act_reference(x, b, 1, act, clamp=2.5).sum(), x)
                torch.testing.assert_close(g, r, atol=1e-5, rtol=1e-5)
        print(torch.backends.cpu.get_cpu_capability())
        """,
        ATEN_CPU_CAPABILITY=capability,
    )
    if capability == "avx2" and res.returncode != 0 and "capability" in res.stderr.lower():
        pytest.skip("this CPU has no AVX2")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().lower() in (capability, "avx512") or capability == "avx2"


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
