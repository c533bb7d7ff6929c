"""The Python API: raw errors become UsageErrors naming the argument; non-finite input is
refused; every backend's output is checked (shape, H/W, finiteness, range) and named; backends
cannot change the photo the mask and preserve_color are made from."""

import numpy as np
import pytest
import torch
from PIL import Image

import spokenstyle
from harness.helpers import photo
from harness.plugins import fake_plugin
from spokenstyle.errors import BackendError, UsageError
from spokenstyle.plugins.testing import isolated_plugins

X = photo("coffee")[..., :40, :56].contiguous()  # (1, 3, 40, 56), a real photo


@pytest.fixture(scope="module")
def engine():
    return spokenstyle.Engine(device="cpu")


@pytest.mark.parametrize(
    "content, kwargs, message",
    [
        (torch.zeros(3, 0, 10), {}, r"is 10x0: it has no pixels"),
        (torch.zeros(0, 3, 8, 8), {}, "a batch of no images"),
        (torch.zeros(3, 8, 8, device="meta"), {}, "is a meta tensor"),
        (X, {"seed": 2**70}, r"seed=1180591620717411303424 must be a whole number from 0 to 2\*\*64-1"),
        (X, {"seed": -1}, "seed=-1 must be"),
        (X, {"max_size": "abc"}, "max_size='abc' must be a whole number of pixels"),
        (X, {"max_size": 0}, "max_size=0 must be"),
        (X, {"backend": None}, "backend=None must be 'auto'"),
        (X, {"backend": ""}, "backend='' has an empty"),
        (X, {"backend": "grade,grade"}, "lists 'grade' twice"),
        (X, {"backend": ["grade", 3]}, "non-text name"),
        (X, {"mask_feather": float("inf")}, "mask_feather=inf must be a finite number"),
        (Image.new("RGB", (0, 4)), {}, "is 0x4: it has no pixels"),
    ],
)
def test_bad_arguments_are_usage_errors_naming_them(engine, content, kwargs, message):
    with pytest.raises(UsageError, match=message):
        engine.stylize(content, "warmer", **kwargs)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_tensors_and_float_images_are_refused(engine, bad):
    t = X.clone()
    t[0, 1, 5, 7] = bad
    with pytest.raises(UsageError, match="1 NaN or infinite value"):
        engine.stylize(t, "warmer")
    arr = np.full((10, 12), 0.5, np.float32)
    arr[2, 2] = bad
    with pytest.raises(UsageError, match="1 NaN or infinite pixel value"):
        engine.stylize(Image.fromarray(arr, "F"), "warmer")
    with pytest.raises(UsageError, match="NaN or infinite"):
        engine.stylize(X, "warmer", style=t)


def test_save_index_out_of_range(engine, tmp_path):
    result = engine.stylize(X, "warmer")
    with pytest.raises(UsageError, match=r"index=5 is out of range: this result holds 1 image\(s\); use 0..0"):
        result.save(tmp_path / "o.png", index=5)
    with pytest.raises(UsageError, match="quality=0 is out of range"):
        result.save(tmp_path / "o.jpg", quality=0)
    assert not list(tmp_path.iterdir())


def test_unsupported_devices_are_usage_errors():
    for device in ("mps", "xpu", "meta", "cuda:99" if torch.cuda.is_available() else "cuda", "nonsense"):
        with pytest.raises(UsageError, match="device="):
            spokenstyle.Engine(device=device)


# ---------------------------------------------------------------- backends that misbehave
def backend_plugin(name, fn):
    class Backend:
        def stylize(self, content, intent, **kw):
            return fn(content)

    return fake_plugin(style_backends={name: Backend})


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda x: torch.full_like(x, float("nan")), "returned 6,720 NaN or infinite value"),
        (lambda x: x[..., ::2, ::2], "returned 28x20 images for 56x40 photos"),
        (lambda x: x * 3, "returned values from .* to .*; a backend must return colours in \\[0, 1\\]"),
        (lambda x: "a picture", r"returned str; a backend must return an \(N, 3, H, W\) tensor"),
        (lambda x: x.to(torch.uint8), "returned a torch.uint8 tensor"),
        (lambda x: (_ for _ in ()).throw(SystemExit(0)), "failed: SystemExit"),
        (lambda x: (_ for _ in ()).throw(ValueError("bad")), "failed: ValueError: bad"),
    ],
)
def test_bad_backend_output_is_a_backend_error_naming_plugin_and_backend(fn, message):
    with isolated_plugins(backend_plugin("liar", fn)):
        engine = spokenstyle.Engine(device="cpu")
        for kwargs in ({}, {"mask": torch.ones(1, 40, 56)}, {"preserve_color": True}):
            with pytest.raises(BackendError, match=message) as err:
                engine.stylize(X, "warmer", backend="liar", **kwargs)
            text = str(err.value)
            assert text.startswith("style backend 'liar'") and "plugin 'Plugin'" in text


def test_a_backend_writing_into_its_input_cannot_break_the_mask_promise():
    def in_place(x):
        x.mul_(0.5)  # changes its input, then returns it
        return x

    mask = torch.zeros(1, 40, 56)
    mask[:, :, 28:] = 1.0
    with isolated_plugins(backend_plugin("inplace", in_place)):
        engine = spokenstyle.Engine(device="cpu")
        content = X.clone()
        out = engine.stylize(content, "warmer", backend="inplace", mask=mask, mask_feather=0).tensors[0]
    assert torch.equal(content, X)  # the caller's tensor is untouched too
    assert torch.equal(out[:, :, :28], X[0, :, :, :28])  # black half bit-identical
    assert not torch.equal(out[:, :, 30:], X[0, :, :, 30:])


def test_slight_rounding_past_one_is_clamped_not_refused():
    with isolated_plugins(backend_plugin("round", lambda x: (x + 5e-4).clamp(0, 1.0005))):
        out = spokenstyle.Engine(device="cpu").stylize(X, backend="round").tensors[0]
    assert float(out.max()) <= 1.0 and float(out.min()) >= 0.0


def test_a_plugin_backend_exiting_in_its_constructor_cannot_end_the_host():
    class Quitter:
        def __init__(self):
            raise SystemExit(1)

        def stylize(self, content, intent, **kw):
            return content

    plugin = fake_plugin(style_backends={"quitter": Quitter})

    from spokenstyle.plugins.manager import PluginError

    with isolated_plugins(plugin):
        with pytest.raises(PluginError, match="style backend 'quitter' from plugin 'Plugin' failed to start: SystemExit: 1"):
            spokenstyle.Engine(device="cpu").stylize(X, backend="quitter")
