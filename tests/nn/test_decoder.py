"""AdaIN decoder checkpoints: safetensors round trip, the shipped weights, and clear errors for
every bad file (corrupt, wrong format, wrong architecture, trained for another encoder)."""

from __future__ import annotations

import json

import pytest
import torch

from spokenstyle import encoders
from spokenstyle.nn import decoder as decoders
from spokenstyle.nn.decoder import AdaINDecoder, DecoderConfig, WeightsError


def test_architecture_upsamples_by_its_scale():
    dec = AdaINDecoder(DecoderConfig(in_channels=16, widths=(8, 4), convs=(1, 1), upsamples=2))
    x = torch.randn(2, 16, 5, 7) * 30
    with torch.no_grad():
        raw = dec.train()(x)
        y = dec.eval()(x)
    assert y.shape == (2, 3, 20, 28) and dec.scale == 4
    # clamped to [0, 1] at inference only: in training a clamp would cut the gradient
    assert float(raw.min()) < 0.0 or float(raw.max()) > 1.0
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    torch.testing.assert_close(y, raw.clamp(0, 1))
    with pytest.raises(ValueError, match=r"\(N, 16, h, w\) relu3_1 features"):
        dec(torch.randn(1, 15, 4, 4))


def test_bilinear_upsampling_leaves_no_block_grid_where_nearest_does():
    """The same weights, decoding the same features: nearest-neighbour copies each feature to an
    8x8 block and its edges stand on the grid; bilinear blends neighbouring cells."""
    from spokenstyle.quality import metrics

    torch.manual_seed(0)
    nearest = AdaINDecoder(DecoderConfig(in_channels=16, widths=(16, 8, 8, 4), convs=(1, 1, 1, 1), upsamples=3,
                                         upsample="nearest")).eval()
    bilinear = AdaINDecoder(DecoderConfig(**{**nearest.config.__dict__, "upsample": "bilinear"})).eval()
    bilinear.load_state_dict(nearest.state_dict())
    features = torch.randn(1, 16, 24, 32).abs()
    with torch.no_grad():
        a, b = nearest.train()(features), bilinear.train()(features)  # unclamped
    edges = [float(metrics.grid_edges(x.double())) for x in (a, b)]
    assert a.shape == b.shape == (1, 3, 192, 256)
    assert edges[0] > 2 * edges[1], edges  # measured 0.196 and 0.065
    assert DecoderConfig().upsample == "bilinear"


def test_a_checkpoint_from_before_the_upsample_field_loads_as_nearest(tmp_path):
    from safetensors.torch import save_file

    cfg = DecoderConfig(in_channels=8, widths=(4,), convs=(1,), upsamples=1, upsample="nearest")
    dec = AdaINDecoder(cfg)
    path = decoders.save(dec, tmp_path / "old.safetensors", encoder="random", fingerprint="f")
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta, tensors = dict(f.metadata()), {k: f.get_tensor(k) for k in f.keys()}
    config = json.loads(meta["config"])
    del config["upsample"]
    meta["config"] = json.dumps(config)
    save_file(tensors, str(path), metadata=meta)
    loaded = decoders.load(path).decoder
    assert loaded.config.upsample == "nearest"
    assert any(isinstance(m, torch.nn.Upsample) and m.mode == "nearest" for m in loaded.modules())


def test_save_load_round_trip(tmp_path):
    cfg = DecoderConfig(in_channels=16, widths=(8, 4), convs=(2, 1), upsamples=2)
    dec = AdaINDecoder(cfg)
    path = decoders.save(dec, tmp_path / "d.safetensors", encoder="random", fingerprint="abc", info={"psnr": 30.5})
    ckpt = decoders.load(path)
    assert ckpt.decoder.config == cfg and ckpt.encoder == "random" and ckpt.fingerprint == "abc"
    assert ckpt.info == {"psnr": 30.5}
    for k, v in dec.state_dict().items():  # stored as float16
        torch.testing.assert_close(ckpt.decoder.state_dict()[k], v.half().float(), rtol=0, atol=0)
    assert not list(tmp_path.glob("*.tmp"))


def test_shipped_decoder_matches_the_random_encoder():
    path = decoders.shipped_path("random")
    assert path.is_file(), "the package must ship the decoder for its default encoder"
    assert path.stat().st_size < 4_000_000  # small enough for the wheel
    dec = decoders.pretrained("random")
    # The decoder is only valid with the exact encoder it was trained for.
    assert dec.encoder_name == "random"
    assert dec.encoder_fingerprint == encoders.load("random").fingerprint()
    assert dec.info["heldout"]["reconstruction_psnr_db"] > 18


def test_shipped_vgg19_decoder_matches_the_vgg19_encoder_and_paints():
    """The relu4_1 decoder of the default ``encoder="vgg19"`` (benchmarks/RESULTS.md): trained for
    this encoder, it moves a held-out photo's VGG-19 statistics to the style's, and it paints
    no 8-px lattice."""
    from spokenstyle.quality import metrics
    from spokenstyle.builtins.adain import AdaINBackend
    from spokenstyle.core.intent import StyleIntent

    from harness.helpers import photo

    path = decoders.shipped_path("vgg19")
    assert path.is_file() and path.stat().st_size < 4_000_000
    dec = decoders.pretrained("vgg19")
    vgg = encoders.load("vgg19")
    assert dec.encoder_name == "vgg19" and dec.config.layer == "relu4_1"
    assert dec.encoder_fingerprint == vgg.fingerprint()
    assert dec.config.upsample == "bilinear"
    assert dec.info["heldout"]["reconstruction_psnr_db"] > 19  # measured 19.65 dB (16,000 + 6,000 steps)
    small = lambda x: torch.nn.functional.interpolate(x, size=(128, 192), mode="bilinear", antialias=True).clamp(0, 1)
    content, style = small(photo("coffee")), small(photo("chelsea"))
    out = AdaINBackend().stylize(content, StyleIntent(medium="oil_painting"), style=style, encoder="vgg19",
                                 precision="float32")
    before = metrics.style_distance(style, content, vgg).mean_std
    after = metrics.style_distance(style, out, vgg).mean_std
    assert after < 0.3 * before, (after, before)  # measured 0.625 -> 0.114 (the random encoder's: 0.193)
    from harness.helpers import REPO
    from spokenstyle.image.imageio import load

    painting = small(load(REPO / "examples" / "painting.jpg")[0].pixels.unsqueeze(0))
    out = AdaINBackend().stylize(content, StyleIntent(), style=painting, encoder="vgg19", precision="float32")
    # measured 0.0042 and 0.070 (default and AVX2/baseline kernels alike); the 16,000-step
    # nearest-neighbour decoder drew 0.0204 and 0.196; photos 0.0002-0.002 and 0.02-0.09
    assert metrics.lattice(out) < 0.01 and float(metrics.grid_edges(out.double())) < 0.13


def _write(path, tensors, metadata):
    from safetensors.torch import save_file

    save_file(tensors, str(path), metadata=metadata)
    return path


def test_bad_decoder_files_are_clear_errors(tmp_path):
    with pytest.raises(WeightsError, match="do not exist; train one with `spokenstyle train adain`"):
        decoders.load(tmp_path / "missing.safetensors")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"garbage" * 10)
    with pytest.raises(WeightsError, match="not a valid safetensors file"):
        decoders.load(corrupt)
    good = decoders.save(AdaINDecoder(DecoderConfig(in_channels=8, widths=(4,), convs=(1,), upsamples=1)),
                         tmp_path / "good.safetensors", encoder="random", fingerprint="f")
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(WeightsError, match="not a valid safetensors file"):
        decoders.load(truncated)
    other = _write(tmp_path / "other.safetensors", {"w": torch.zeros(2)}, {"format": "something-else"})
    with pytest.raises(WeightsError, match="is not a spokenstyle AdaIN decoder"):
        decoders.load(other)
    cfg = {"layer": "relu4_1", "in_channels": 8, "widths": [4], "convs": [1], "upsamples": 1}
    state = {k: v for k, v in AdaINDecoder(DecoderConfig(**cfg)).state_dict().items()}
    state["body.0.1.weight"] = torch.zeros(4, 9, 3, 3)  # wrong shape for the config
    wrong = _write(tmp_path / "wrong.safetensors", state, {"format": decoders.FORMAT, "config": json.dumps(cfg)})
    with pytest.raises(WeightsError, match=r"'body.0.1.weight' has shape \(4, 9, 3, 3\), the config needs \(4, 8, 3, 3\)"):
        decoders.load(wrong)
    state.pop("body.0.1.weight")
    missing = _write(tmp_path / "missing_key.safetensors", state, {"format": decoders.FORMAT, "config": json.dumps(cfg)})
    with pytest.raises(WeightsError, match="do not match their config: missing"):
        decoders.load(missing)


def test_decoder_for_another_encoder_is_refused(tmp_path):
    path = decoders.save(AdaINDecoder(), tmp_path / "vgg.safetensors", encoder="vgg19", fingerprint="x")
    with pytest.raises(WeightsError, match="trained for the 'vgg19' encoder, not 'random'"):
        decoders.pretrained("random", path)
    with pytest.raises(WeightsError, match="ships no AdaIN decoder for the 'my_encoder' encoder"):
        decoders.pretrained("my_encoder")
