"""Hunting with the Python API: random tensors (shapes, dtypes, devices, NaN/inf, empty) and
keyword values. Each call returns finite pictures of the input's size, or raises one
UsageError; the caller's tensor is never changed."""

import math

import pytest
import torch
from hypothesis import given, strategies as st

import spokenstyle
from fuzz._invariants import check_result
from spokenstyle.errors import UsageError

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.uint8, torch.int64, torch.bool]
SPECIAL = st.sampled_from([0.0, 1.0, -1.0, 2.0, 1e30, -1e30, math.nan, math.inf, -math.inf, 5e-324])


@pytest.fixture(scope="module")
def engine():
    return spokenstyle.Engine(device="cpu")


@st.composite
def tensors(draw):
    dims = draw(st.integers(0, 5))
    shape = [draw(st.integers(0, 24 if i >= dims - 2 else 4)) for i in range(dims)]
    if dims >= 3 and draw(st.booleans()):
        shape[-3] = draw(st.sampled_from([1, 3]))
    dtype = draw(st.sampled_from(DTYPES))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    t = torch.rand(shape, generator=g)
    if t.numel() and draw(st.booleans()):
        flat = t.view(-1)
        for _ in range(draw(st.integers(1, 3))):
            flat[draw(st.integers(0, t.numel() - 1))] = draw(SPECIAL)
    if dtype == torch.uint8:
        t = (t.nan_to_num(0.5).clamp(0, 1) * 255).to(dtype)
    elif dtype in (torch.int64, torch.bool):
        t = t.nan_to_num(0.0).clamp(0, 1).round().to(dtype)
    else:
        t = t.to(dtype)
    if draw(st.booleans()) and t.dim() >= 2:
        t = t.transpose(-1, -2)  # non-contiguous
    return t


KWARGS = st.fixed_dictionaries(
    {},
    optional={
        "strength": st.one_of(st.floats(allow_nan=True), st.sampled_from([0, 1, "0.5", None])),
        "seed": st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([None, 1.5, "1", True])),
        "max_size": st.one_of(st.integers(-2, 2**40), st.sampled_from([None, "abc", 2.5, True])),
        "mask_feather": st.one_of(st.floats(allow_nan=True), st.sampled_from([None, -1, "2"])),
        "backend": st.sampled_from(["auto", "grade", None, "", "grade,grade", ["grade"], [], 3]),
        "preserve_color": st.sampled_from([None, True, False, "luminance", "statistics", "x", 1]),
    },
)


@given(t=tensors(), kwargs=KWARGS, prompt=st.sampled_from(["warmer", "", None, "more contrast, 别太暗"]))
def test_tensors_and_keywords(engine, t, kwargs, prompt):
    before = t.clone()
    try:
        result = engine.stylize(t, prompt, **kwargs)
    except UsageError as exc:
        assert str(exc)
    else:
        n = 1 if t.dim() == 3 else t.shape[0]
        check_result(result, n)
        for out in result.tensors:
            assert out.shape[0] == 3 and out.shape[-2] >= 1 and out.shape[-1] >= 1
            if kwargs.get("max_size") is None:
                assert tuple(out.shape[-2:]) == tuple(t.shape[-2:])
    assert torch.equal(t, before) or (t.is_floating_point() and torch.equal(t.isnan(), before.isnan()))


@given(items=st.lists(tensors(), max_size=3))
def test_lists_of_tensors(engine, items):
    try:
        result = engine.stylize(items, "warmer")
    except UsageError:
        return
    assert len(result.tensors) >= 1
    check_result(result, len(result.tensors))
