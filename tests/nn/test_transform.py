"""The ``transform`` generator and backend: architecture and checkpoint agree, the network reads
the intent, weights round-trip and bad ones are clear errors, and the backend exists only where
trained weights do."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from spokenstyle import Engine, StyleIntent
from spokenstyle.errors import UsageError, WeightsError
from spokenstyle.builtins.transform import TransformBackend
from spokenstyle.core.intent import MEDIA
from spokenstyle.nn import ModulatedConv2d, transform as T

from harness.helpers import PHOTOS, photo, run_cli, stderr_lines


@pytest.mark.parametrize("skips", ["add", "none"])
@pytest.mark.parametrize("widths, blocks", [((16, 32, 64, 64), 4), ((8, 16), 0), ((4, 8, 12), 2)])
def test_expected_shapes_match_the_network(widths, blocks, skips):
    cfg = T.TransformConfig(widths=widths, blocks=blocks, mapping_layers=2, w_dim=16, media="watercolor,ink_wash",
                            skips=skips)
    net = T.TransformNet(cfg)
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == T.expected_shapes(cfg)
    assert len(cfg.modulated_channels()) == 2 * (len(widths) - 1) + 2 * blocks + (skips == "add")
    modulated = [m for m in net.modules() if isinstance(m, ModulatedConv2d)]
    assert [(m.in_channels, m.out_channels) for m in modulated] == cfg.modulated_channels()


def test_output_size_range_and_identity_start():
    net = T.TransformNet(T.TransformConfig(widths=(8, 16, 16), blocks=1)).eval()
    x = photo()[..., :37, :50]  # sides not multiples of 4: padded, then cropped back
    emb = T.embedding_of([StyleIntent(medium="watercolor")])
    with torch.no_grad():
        y = net(x, emb)
    assert y.shape == x.shape and float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    # the initial network draws a small residual over the photo (to_rgb starts at a tenth)
    assert float((y - x).abs().mean()) < 0.2
    net.train()
    with torch.no_grad():
        net.to_rgb.bias.fill_(5.0)
        assert float(net(x, emb).max()) > 1.5  # unclamped in training, for the straight-through loss
        net.eval()
        assert float(net(x, emb).max()) == 1.0


def test_conditioning_reads_medium_attributes_and_strength():
    net = T.TransformNet(T.TransformConfig(widths=(4, 8), blocks=0, media="watercolor,oil_painting"))
    intent = StyleIntent(medium="oil_painting", attributes={"warmth": 0.4, "contrast": -0.2}, strength=0.5)
    c = net.conditioning(T.embedding_of([intent]))[0]
    assert c.shape == (12 + 2 + 1,)
    assert float(c[0]) == pytest.approx(0.4) and float(c[4]) == pytest.approx(-0.2)
    assert c[12:14].tolist() == [0.0, 1.0] and float(c[14]) == 0.5
    other = net.conditioning(T.embedding_of([StyleIntent(medium="neon")]))[0]
    assert other[12:14].tolist() == [0.0, 0.0]  # a medium the network was not trained on sets no slot


def test_the_words_change_the_output():
    torch.manual_seed(0)
    net = T.TransformNet(T.TransformConfig(widths=(8, 16, 16), blocks=1)).eval()
    x = photo()[..., :64, :64]
    intents = [StyleIntent(medium="watercolor"), StyleIntent(medium="ink_wash"), StyleIntent(medium="watercolor", strength=0.3)]
    emb = T.embedding_of(intents)
    with torch.no_grad():
        same = net(x.expand(3, -1, -1, -1), emb)
        assert torch.allclose(same[0], same[1]) and torch.allclose(same[0], same[2])  # affine starts at zero
        net.affine.weight.normal_()
        out = net(x.expand(3, -1, -1, -1), emb)
    assert float((out[0] - out[1]).abs().mean()) > 1e-3 and float((out[0] - out[2]).abs().mean()) > 1e-3
    with torch.no_grad():  # one embedding serves the whole batch
        assert torch.allclose(net(x.expand(2, -1, -1, -1), emb[:1])[1], out[0], atol=1e-6)


def test_bad_inputs_name_the_argument():
    net = T.TransformNet(T.TransformConfig(widths=(4, 8), blocks=0))
    x = torch.rand(2, 3, 16, 16)
    with pytest.raises(UsageError, match="embedding must be"):
        net(x, torch.zeros(2, 10))
    with pytest.raises(UsageError, match="3 rows for 2 images"):
        net(x, torch.zeros(3, 64))
    with pytest.raises(UsageError, match="content must be"):
        net(torch.rand(2, 4, 16, 16), torch.zeros(2, 64))


def _saved(tmp_path, media="watercolor,ink_wash", name="t.safetensors"):
    torch.manual_seed(1)
    net = T.TransformNet(T.TransformConfig(widths=(4, 8, 8), blocks=1, mapping_layers=1, w_dim=8, media=media)).eval()
    with torch.no_grad():
        net.affine.weight.normal_()
    path = T.save(net, tmp_path / name, info={"steps": 7})
    return net, path


def test_weights_round_trip(tmp_path):
    net, path = _saved(tmp_path)
    ckpt = T.load(path)
    assert ckpt.info == {"steps": 7} and ckpt.net.media == ("watercolor", "ink_wash")
    x, emb = photo()[..., :32, :32], T.embedding_of([StyleIntent(medium="ink_wash")])
    with torch.no_grad():
        assert torch.equal(ckpt.net(x, emb), net(x, emb))


def _rewrite(path, out, *, config=None, tensors=None, fmt=None):
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(path), framework="pt") as f:
        meta = dict(f.metadata())
        ts = {k: f.get_tensor(k) for k in f.keys()}
    if config is not None:
        meta["config"] = json.dumps(config)
    if tensors is not None:
        ts = tensors(ts)
    if fmt is not None:
        meta["format"] = fmt
    save_file(ts, str(out), metadata=meta)
    return out


def test_files_from_before_the_skips_load_without_them(tmp_path):
    torch.manual_seed(2)
    net = T.TransformNet(T.TransformConfig(widths=(4, 8), blocks=1, w_dim=8, media="watercolor", skips="none")).eval()
    path = T.save(net, tmp_path / "old.safetensors")
    config = json.loads(__import__("safetensors").safe_open(str(path), "pt").metadata()["config"])
    del config["skips"]  # as format-2 files were written before the field existed
    old = T.load(_rewrite(path, tmp_path / "older.safetensors", config=config)).net
    assert old.config.skips == "none" and old.refine is None
    x, emb = photo()[..., :32, :32], T.embedding_of([StyleIntent(medium="watercolor")])
    with torch.no_grad():
        assert torch.equal(old(x, emb), net(x, emb))
    assert T.TransformConfig().skips == "add"  # new networks have them


def test_skips_let_the_network_repaint_the_finest_detail():
    """Without skips the residual is upsampled from half resolution, so the photo's pixel-level
    detail always shows through; a target without it (the photo, box-blurred) is out of reach.
    With them the network learns it."""
    x = F.interpolate(photo("chelsea"), size=(64, 96), mode="bilinear", antialias=True).clamp(0, 1)
    target = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), 3, stride=1)
    emb = T.embedding_of([StyleIntent(medium="watercolor")])
    final = {}
    for skips in ("none", "add"):
        torch.manual_seed(0)
        net = T.TransformNet(T.TransformConfig(widths=(8, 16), blocks=1, w_dim=8, media="watercolor", skips=skips))
        opt = torch.optim.Adam(net.parameters(), lr=3e-3)
        for _ in range(150):
            loss = (net(x, emb) - target).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        final[skips] = float(loss.detach())
    # measured: none 0.0137, add 0.0042 (the photo itself is 0.0188 from the target)
    assert final["add"] < 0.5 * final["none"], final


def test_bad_checkpoints_are_clear_errors(tmp_path):
    _, path = _saved(tmp_path)
    good = json.loads(__import__("safetensors").safe_open(str(path), "pt").metadata()["config"])
    cases = [
        (dict(config={**good, "widths": [4, 8, 100000]}), "widths\\[2\\] = 100000 is out of range"),
        (dict(config={**good, "blocks": "two"}), "blocks must be an integer"),
        (dict(config={**good, "extra": 1}), "unknown field"),
        (dict(config={**good, "w_dim": 9}), "has shape"),
        (dict(tensors=lambda ts: {k: v for k, v in ts.items() if k != "stem.bias"}), "missing \\['stem.bias'\\]"),
        (dict(fmt="spokenstyle.adain_decoder/1"), "is not a spokenstyle transform generator"),
    ]
    for i, (change, message) in enumerate(cases):
        bad = _rewrite(path, tmp_path / f"bad{i}.safetensors", **change)
        with pytest.raises(WeightsError, match=message):
            T.load(bad)
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(WeightsError, match="not a valid safetensors file"):
        T.load(tmp_path / "junk.safetensors")
    with pytest.raises(WeightsError, match="spokenstyle train transform"):
        T.load(tmp_path / "missing.safetensors")


def test_without_weights_the_planner_never_picks_transform(monkeypatch, tmp_path):
    monkeypatch.setenv(T.WEIGHTS_ENV, str(tmp_path / "none.safetensors"))
    engine = Engine(device="cpu")
    for medium in MEDIA:
        assert "transform" not in engine.plan(StyleIntent(medium=medium)).backends
    with pytest.raises(WeightsError, match="spokenstyle train transform"):
        engine.stylize(PHOTOS["coffee"], "watercolor", backend="transform", max_size=64)


def test_the_shipped_weights_are_the_planners_only_if_they_won(monkeypatch, tmp_path):
    """The package's own weights serve ``--backend transform``; the planner paints media with
    them only when SHIPPED_IS_PLANNER_DEFAULT says so, a user's (by the environment) always."""
    from spokenstyle.builtins import transform as backend_module

    _, path = _saved(tmp_path)
    monkeypatch.delenv(T.WEIGHTS_ENV, raising=False)
    monkeypatch.setattr(T, "SHIPPED", path)
    engine = Engine(device="cpu")
    monkeypatch.setattr(backend_module, "SHIPPED_IS_PLANNER_DEFAULT", False)
    assert engine.plan(engine.encode("watercolor")).backends[0] == "render"
    result = engine.stylize(PHOTOS["coffee"], "watercolor", backend="transform", max_size=64)
    assert result.backends == ["transform"]
    monkeypatch.setattr(backend_module, "SHIPPED_IS_PLANNER_DEFAULT", True)
    assert engine.plan(engine.encode("watercolor")).backends == ["transform"]
    monkeypatch.setattr(backend_module, "SHIPPED_IS_PLANNER_DEFAULT", False)
    monkeypatch.setenv(T.WEIGHTS_ENV, str(path))  # the same file, named by the user
    assert engine.plan(engine.encode("watercolor")).backends == ["transform"]


def test_with_weights_it_renders_the_media_it_was_trained_for(monkeypatch, tmp_path):
    net, path = _saved(tmp_path)
    monkeypatch.setenv(T.WEIGHTS_ENV, str(path))
    engine = Engine(device="cpu")
    assert engine.plan(engine.encode("watercolor")).backends == ["transform"]  # it renders the look itself
    assert engine.plan(engine.encode("ink wash")).backends == ["transform"]
    assert engine.plan(engine.encode("oil painting")).backends[0] != "transform"  # not trained for it
    result = engine.stylize(PHOTOS["coffee"], "watercolor", max_size=64)
    assert result.backends == ["transform"]
    from spokenstyle.image import imageio

    x = imageio.load(PHOTOS["coffee"], max_size=64)[0].pixels.unsqueeze(0)
    with torch.no_grad():
        want = net(x, T.embedding_of([result.intent]))[0]
    assert float((result.tensor - want).abs().max()) < 1e-5  # the same network, through the engine
    assert isinstance(engine.generator("transform"), T.TransformNet)
    with pytest.raises(UsageError, match="trained for watercolor, ink_wash, not oil_painting"):
        engine.stylize(PHOTOS["coffee"], "oil painting", backend="transform", max_size=64)


def test_explicit_weights_option(monkeypatch, tmp_path):
    monkeypatch.setenv(T.WEIGHTS_ENV, str(tmp_path / "none.safetensors"))
    _, path = _saved(tmp_path)
    engine = Engine(device="cpu")
    out = engine.stylize(PHOTOS["coffee"], "水墨", backend="transform", max_size=48, options={"weights": str(path)})
    assert out.backends == ["transform"] and out.tensor.shape[-1] == 48


def test_cli_without_weights_is_one_line(tmp_path):
    proc = run_cli("stylize", str(PHOTOS["coffee"]), "-p", "watercolor", "--backend", "transform", "-o", str(tmp_path / "o.jpg"),
                   env={T.WEIGHTS_ENV: str(tmp_path / "none.safetensors")})
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert len(lines) == 1 and "spokenstyle train transform" in lines[0], lines


def test_a_crops_edges_render_like_its_interior(tmp_path):
    """Run on a crop, the network's edge band strays from what it paints there inside the full
    photo hardly more than the interior does, because every convolution pads by reflection:
    the same weights with zero padding stray 0.020 more at the edge (measured), the format-1
    generator's bars; reflection 0.006."""
    net, path = _saved(tmp_path)
    full_photo = F.interpolate(photo("coffee"), size=(160, 240), mode="bilinear", antialias=True).clamp(0, 1)
    crop = (slice(None), slice(None), slice(32, 128), slice(48, 192))
    intent = StyleIntent(medium="watercolor")
    backend = TransformBackend()
    inside = backend.stylize(full_photo, intent, weights=str(path))[crop]
    ours = backend.stylize(full_photo[crop], intent, weights=str(path))

    def edge_excess(out, reference=inside, k=6):
        err = (out - reference).abs().mean(1)[0]
        band = torch.zeros(err.shape, dtype=torch.bool)
        band[:k] = band[-k:] = True
        band[:, :k] = band[:, -k:] = True
        return float(err[band].mean() - err[~band].mean())

    zero_padded = T.load(path).net
    for m in zero_padded.modules():
        if hasattr(m, "padding_mode"):
            m.padding_mode = "zeros"
    with torch.no_grad():
        zero_inside = zero_padded(full_photo, T.embedding_of([intent]))[crop]
        zero_crop = zero_padded(full_photo[crop], T.embedding_of([intent]))
    zero_excess = edge_excess(zero_crop, zero_inside)
    assert zero_excess > 0.01  # the effect reflection padding is for is there without it
    assert edge_excess(ours) < 0.4 * zero_excess, (edge_excess(ours), zero_excess)


def test_large_photos_are_tiled_without_seams(tmp_path):
    """Tiled, the generator paints what it paints on the whole photo: equal away from the
    overlaps, and no step where tiles meet (the seam energy of the whole photo's output)."""
    from spokenstyle.builtins.transform import TILE_OVERLAP
    from spokenstyle.image.tiling import TileGrid, seam_energy_ratio

    net, _ = _saved(tmp_path)
    with torch.no_grad():  # a residual as large as a trained network's (skips make a random one paint less)
        net.to_rgb.weight.mul_(4.0)
    path = T.save(net, tmp_path / "loud.safetensors")
    x = F.interpolate(photo("chelsea"), size=(320, 480), mode="bilinear", antialias=True).clamp(0, 1)
    intent = StyleIntent(medium="watercolor")
    backend = TransformBackend()
    whole = backend.stylize(x, intent, weights=str(path))
    tiled = backend.stylize(x, intent, weights=str(path), tile_size=2 * TILE_OVERLAP)
    grid = TileGrid(320, 480, 2 * TILE_OVERLAP, TILE_OVERLAP, net.config.multiple)
    assert len(grid) > 1
    # measured 2e-6 (6 tiles); the output is 0.080 from the photo and 0.041 from itself shifted 4 px
    assert float((tiled - whole).abs().mean()) < 0.002
    assert float((whole - x).abs().mean()) > 0.05  # the network really paints
    assert seam_energy_ratio(tiled, grid) == pytest.approx(seam_energy_ratio(whole, grid), rel=0.05)
    with pytest.raises(UsageError, match="transform: tile_size=100 must be an integer of at least 256"):
        backend.stylize(x, intent, weights=str(path), tile_size=100)
