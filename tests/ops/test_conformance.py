"""Every spokenstyle operator against the same conformance properties (see harness/opharness.py):
opcheck, first and second derivatives, torch.compile, bad input, half precision on the CPU and
CUDA against the CPU. The cases of each operator are its OpSpec in harness/opspecs.py."""

from __future__ import annotations

import pytest
import torch

from harness.opharness import DEVICES, HALF, check_bad_input, check_compile, check_cuda, check_gradcheck, check_half_cpu
from harness.opharness import check_opcheck, cuda_only, needs_extension
from harness.opspecs import SPECS

pytestmark = needs_extension()

SPEC_PARAMS = [pytest.param(s, id=s.name) for s in SPECS]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("spec", SPEC_PARAMS)
def test_opcheck(spec, device):
    check_opcheck(spec, device)


@pytest.mark.parametrize("spec", SPEC_PARAMS)
def test_gradcheck_and_gradgradcheck(spec):
    check_gradcheck(spec)


@pytest.mark.parametrize("spec", SPEC_PARAMS)
def test_torch_compile_fullgraph(spec):
    check_compile(spec)


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=f"{s.name}-{c.id}") for s in SPECS for c in s.bad_inputs()]
)
def test_bad_input_names_the_argument(case):
    check_bad_input(case)


@pytest.mark.parametrize("dtype", HALF, ids=["float16", "bfloat16"])
@pytest.mark.parametrize("spec", SPEC_PARAMS)
def test_cpu_half_precision_computed_in_float32(spec, dtype):
    check_half_cpu(spec, dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, *HALF], ids=["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("spec", SPEC_PARAMS)
@pytest.mark.parametrize("_", [pytest.param(None, marks=cuda_only, id="cuda")])
def test_cuda_matches_cpu(_, spec, dtype):
    check_cuda(spec, dtype)


def test_the_harness_fails_a_spec_without_cases_or_with_a_self_comparison():
    """Each property fails, rather than passes vacuously, on a spec that gives it nothing, and a
    compile case whose reference is the compiled function itself is refused."""
    from harness.opharness import CompileCase, OpSpec

    empty = OpSpec("empty", lambda device: [], lambda: [], lambda: [], lambda: [], lambda: [], lambda: [])
    for check, args in ((check_opcheck, ("cpu",)), (check_gradcheck, ()), (check_compile, ()),
                        (check_half_cpu, (torch.float16,)), (check_cuda, (torch.float32,))):
        with pytest.raises(AssertionError, match="empty: no .* cases"):
            check(empty, *args)

    def f(x):
        return x.sum()

    itself = OpSpec("itself", lambda device: [], lambda: [], lambda: [CompileCase(f, f, (torch.ones(2),))],
                    lambda: [], lambda: [])
    with pytest.raises(AssertionError, match="not with itself"):
        check_compile(itself)
