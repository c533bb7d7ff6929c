"""Feature encoders: the random default (fixed weights, normalised layers, texture-sensitive
features) and vgg19 loading from local files, with clear errors for every bad file."""

from __future__ import annotations

import pickle

import pytest
import torch

import spokenstyle
from spokenstyle import encoders, ops
from spokenstyle.encoders.random import DEFAULT_SEED, RandomEncoder, splitmix64_uniform
from spokenstyle.encoders.vgg19 import ENV_VAR, VGG19Encoder, WeightsError
from spokenstyle.errors import UsageError
from spokenstyle.testing import isolated_plugins

from _helpers import REPO, photo


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
    from spokenstyle import io as sio

    brick = sio.load(REPO / "data/photos/train/brick.jpg")[0].pixels.unsqueeze(0)
    grass = sio.load(REPO / "data/photos/train/grass.jpg")[0].pixels.unsqueeze(0)
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
    with pytest.raises(WeightsError, match=f"none were found.*download.*{ENV_VAR}"):
        VGG19Encoder()
    monkeypatch.setenv(ENV_VAR, "/nonexistent/vgg.pth")
    with pytest.raises(WeightsError, match=f"{ENV_VAR}=.*no such file"):
        VGG19Encoder()
    with pytest.raises(WeightsError, match="weights='/nope.pth': no such file"):
        VGG19Encoder("/nope.pth")


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
    with pytest.raises(WeightsError, match="not VGG19 in torchvision's format.*features.0.weight"):
        VGG19Encoder(resnet)
    vgg16ish = _torchvision_state()
    vgg16ish["features.28.weight"] = torch.zeros(512, 256, 3, 3)
    wrong = tmp_path / "wrong.pth"
    torch.save(vgg16ish, wrong)
    with pytest.raises(WeightsError, match=r"features.28.weight' has shape \(512, 256, 3, 3\)"):
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


class TinyPlugin:
    @spokenstyle.hookimpl
    def register_feature_encoders(self, register):
        register("tiny", TinyEncoder, description="a 1-layer encoder")
        register("broken", lambda: object())


def test_feature_encoders_are_plugins():
    with isolated_plugins(TinyPlugin()) as pm:
        assert {"random", "vgg19", "tiny"} <= set(pm.names("feature_encoder"))
        enc = encoders.load("tiny", width=6)
        assert enc(torch.rand(1, 3, 8, 8), ("relu1_1",))["relu1_1"].shape == (1, 6, 8, 8)
        assert not any(p.requires_grad for p in enc.parameters())
        with pytest.raises(UsageError, match="must subclass spokenstyle.encoders.FeatureEncoder"):
            encoders.load("broken")
        with pytest.raises(UsageError, match="unknown feature encoder 'nope'"):
            encoders.load("nope")
