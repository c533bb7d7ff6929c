"""`spokenstyle train adain`: the loss falls, checkpoints are complete and loadable, the held-out
report is measured, and bad arguments are one-line errors."""

from __future__ import annotations

import json

import pytest
import torch

from spokenstyle import encoders
from spokenstyle.nn import decoder as decoders
from spokenstyle.train import adain, data

from harness.helpers import DATA, run_cli, stderr_lines


def test_training_lowers_the_loss():
    # Measured on a fixed batch before and after training (the per-step training loss, over
    # random crops, styles and alphas, is too noisy to compare across machines' numerics).
    import copy
    from dataclasses import replace

    enc = encoders.load("random").to(memory_format=torch.channels_last)
    photos = data.load_folder(DATA, max_size=96)
    config = adain.TrainConfig(steps=60, batch=2, crop=32, lr=1e-3, lr_final=1e-3, exemplars=0, seed=3,
                               layer="relu3_1")
    scales = adain.feature_scales(enc, photos, adain.loss_layers(config.layer))
    start = decoders.AdaINDecoder(replace(adain.decoder_config_for(enc, config.layer), input_scale=scales[config.layer]))
    before = copy.deepcopy(start)
    decoder, history = adain.train_decoder(enc, photos, photos, config, decoder=start, scales=scales)
    assert not decoder.training
    gen = torch.Generator().manual_seed(11)
    content = data.batch(photos, 6, 32, gen)
    style = data.batch(photos, 6, 32, gen)
    alpha = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])

    def fixed_loss(dec):
        with torch.no_grad():
            dec.train()
            losses = adain.adain_losses(enc, dec, content, style, alpha, layer=config.layer, style_weight=config.style_weight,
                                        pixel_weight=config.pixel_weight, chroma_tv_weight=config.chroma_tv_weight, scales=scales)
            return float(losses["total"].mean())

    first, last = fixed_loss(before), fixed_loss(decoder)
    # measured: 0.45 (default kernels) and 0.50 (SSE4.1 oneDNN, baseline ATen) of the untrained
    # decoder's loss after 60 steps; 0.8 leaves room for
    # other CPUs' numerics and still needs a clear fall.
    assert last < 0.8 * first, (first, last)


def test_straight_through_clamp_and_range_penalty():
    enc = encoders.load("random")
    dec = decoders.AdaINDecoder(adain.decoder_config_for(enc, "relu2_1")).train()
    with torch.no_grad():  # push the output far out of range
        dec.body[-1][1].bias.fill_(3.0)
    x = torch.rand(2, 3, 16, 16)
    losses = adain.adain_losses(enc, dec, x, x, torch.tensor([0.0, 1.0]), layer="relu2_1", pixel_weight=1.0)
    losses["total"].sum().backward()
    bias_grad = dec.body[-1][1].bias.grad
    # the clamp passes the gradient, and the range penalty pulls the bias back down
    assert bias_grad is not None and float(bias_grad.sum()) > 0


def test_train_command_writes_a_loadable_decoder(tmp_path):
    out = tmp_path / "decoder.safetensors"
    proc = run_cli("train", "adain", "--encoder", "random", "--layer", "relu3_1", "--data", str(DATA), "--heldout", str(DATA), "--out", str(out), "--steps", "3",
                   "--batch", "1", "--crop", "32", "--exemplars", "2", "--eval-styles", "1", "--json", "-q")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["encoder"] == "random" and report["config"]["steps"] == 3
    assert report["heldout"]["pairs"] > 0 and report["heldout"]["reconstruction_psnr_db"] > 0
    ckpt = decoders.load(out)
    assert ckpt.encoder == "random" and ckpt.fingerprint == encoders.load("random").fingerprint()
    assert ckpt.info["heldout"] == report["heldout"]
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob("*.part"))
    assert (tmp_path / "decoder.state.safetensors").is_file()  # the full state, for --resume


def test_train_command_with_one_seed_writes_one_decoder(tmp_path):
    """A new decoder's initial weights follow --seed (they came from the unseeded global generator)."""
    from safetensors.torch import load_file

    def train(name: str, seed: str) -> dict:
        out = tmp_path / name
        proc = run_cli("train", "adain", "--encoder", "random", "--layer", "relu3_1", "--data", str(DATA), "--out", str(out),
                       "--steps", "2", "--batch", "1", "--crop", "32", "--exemplars", "0", "--seed", seed, "-q")
        assert proc.returncode == 0, proc.stderr
        return load_file(out)

    a, b, c = train("a.safetensors", "3"), train("b.safetensors", "3"), train("c.safetensors", "4")
    assert sorted(a) == sorted(b) == sorted(c)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)  # the seed is what decides


def test_train_command_fine_tunes_a_decoders_weights_with_the_other_upsample(tmp_path):
    start = decoders.save(decoders.AdaINDecoder(decoders.DecoderConfig(upsample="nearest")), tmp_path / "start.safetensors",
                          encoder="random", fingerprint=encoders.load("random").fingerprint())
    out = tmp_path / "tuned.safetensors"
    common = ["--encoder", "random", "--layer", "relu3_1", "--data", str(DATA), "--steps", "2", "--batch", "1",
              "--crop", "32", "--exemplars", "0", "--eval-styles", "0", "--state-every", "1", "-q"]
    proc = run_cli("train", "adain", *common, "--out", str(out), "--resume", str(start), "--upsample", "bilinear")
    assert proc.returncode == 0, proc.stderr
    tuned = decoders.load(out).decoder
    assert tuned.config.upsample == "bilinear"
    assert any(isinstance(m, torch.nn.Upsample) and m.mode == "bilinear" for m in tuned.modules())
    # a run resumed from its state keeps the decoder it trains
    state = tmp_path / "tuned.state.safetensors"
    proc = run_cli("train", "adain", *common, "--out", str(out), "--resume", str(state), "--upsample", "nearest")
    assert proc.returncode == 2
    assert stderr_lines(proc) == [f"spokenstyle train adain: error: --upsample nearest: the run in '{state}' trains a bilinear decoder; "
                                  "resume it as it is, or start from its weights (a decoder .safetensors)"]


def test_resumed_training_equals_an_uninterrupted_run(tmp_path):
    # 6 steps in one go, against 3 steps + a written state + 3 resumed steps: same bits.
    enc = encoders.load("random").to(memory_format=torch.channels_last)
    photos = data.load_folder(DATA, max_size=64)
    config = adain.TrainConfig(steps=6, batch=2, crop=32, exemplars=0, seed=5, layer="relu2_1")
    whole, history = adain.train_decoder(enc, photos, photos, config)
    state = tmp_path / "run.state.safetensors"

    def stop_after_three(step, record):
        if step == 2:
            raise KeyboardInterrupt  # as a user's Ctrl-C would, right after the state was written

    with pytest.raises(KeyboardInterrupt):
        adain.train_decoder(enc, photos, photos, config, state_path=str(state), state_every=3, on_step=stop_after_three)
    saved = adain.load_state(state)
    assert saved["step"] == 3 and len(saved["history"]) == 3
    resumed_decoder = decoders.AdaINDecoder(decoders.DecoderConfig(**saved["decoder_config"]))
    resumed, resumed_history = adain.train_decoder(enc, photos, photos, config, decoder=resumed_decoder, resume=saved)
    assert [h["loss"] for h in resumed_history] == [h["loss"] for h in history]
    for (k, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), k


def test_resume_refuses_a_file_that_is_not_a_state(tmp_path):
    bad = tmp_path / "x.state.safetensors"
    bad.write_bytes(b"nonsense")
    with pytest.raises(decoders.WeightsError, match="not a training state"):
        adain.load_state(bad)


def test_feature_scales_make_losses_comparable_across_encoders():
    # The original VGG-19's activations are ~100x the random encoder's; divided by each layer's
    # RMS on the photos, both encoders' features are unit-sized, so one set of loss weights fits both.
    photos = data.load_folder(DATA, max_size=64)
    for name in ("random", "vgg19"):
        enc = encoders.load(name)
        scales = adain.feature_scales(enc, photos, adain.loss_layers("relu4_1"))
        x = photos[0].unsqueeze(0)
        f = enc(x, ("relu3_1",))["relu3_1"] / scales["relu3_1"]
        assert 0.3 < float(f.square().mean().sqrt()) < 3.0, (name, scales)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--out", "x.pt"], "--out 'x.pt' must end in .safetensors"),
        (["--crop", "30"], "--crop 30 must be a multiple of 8"),
        (["--steps", "0"], "--steps 0 must be a positive integer"),
        (["--layer", "relu9_1"], "layer 'relu9_1' is not a tap"),
        (["--data", "/nonexistent"], "--data '/nonexistent' is not a folder of images"),
    ],
)
def test_train_command_bad_arguments(tmp_path, args, message):
    options = {"--data": str(DATA), "--out": str(tmp_path / "d.safetensors")}
    options.update(zip(args[::2], args[1::2]))
    argv = ["train", "adain"] + [part for pair in options.items() for part in pair]
    proc = run_cli(*argv)
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "d.safetensors").exists()


class _Latticed(torch.nn.Module):
    """A decoder plus a learnable 8-px lattice locked to the output grid (what the shift and
    lattice terms must train away)."""

    def __init__(self, decoder, amplitude: float) -> None:
        super().__init__()
        self.decoder, self.config, self.scale = decoder, decoder.config, decoder.scale
        self.amplitude = torch.nn.Parameter(torch.tensor(amplitude))

    def forward(self, t):
        out = self.decoder(t)
        cell = torch.zeros(8, 8)
        cell[2:4, 2:4] = 1.0
        h, w = out.shape[-2:]
        return out + self.amplitude * cell.repeat(h // 8, w // 8)


@pytest.mark.parametrize("term, options, amplitude, rise", [
    # measured, shift: 0.036 with the lattice (0.3 on 4 pixels of 64: 2 x 0.3 x 4/64 where the
    # two views' lattices miss each other), 0.0001-0.001 without
    ("shift", {"shift_weight": 1.0, "shift": (4, 4)}, 0.3, 0.025),
    ("shift", {"shift_weight": 1.0, "shift": (3, 6)}, 0.3, 0.025),
    # measured, lattice: 0.17 against 0.09-0.13 for the untrained decoder's faint output (std
    # 0.003); the figure is scale-invariant, so a lattice that drowns the output saturates it
    ("lattice", {"lattice_weight": 1.0}, 0.005, 0.03),
])
def test_the_grid_terms_penalise_a_lattice_and_their_gradient_removes_it(term, options, amplitude, rise):
    enc = encoders.load("random")
    torch.manual_seed(0)
    base = decoders.AdaINDecoder(adain.decoder_config_for(enc, "relu3_1")).train()
    content, style = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    alpha = torch.tensor([1.0, 0.0])

    def losses_with(amplitude):
        dec = _Latticed(base, amplitude)
        return adain.adain_losses(enc, dec, content, style, alpha, layer="relu3_1", **options), dec

    plain, _ = losses_with(0.0)
    latticed, dec = losses_with(amplitude)
    assert float(latticed[term].detach().mean()) > float(plain[term].detach().mean()) + rise
    latticed[term].sum().backward(retain_graph=True)
    assert float(dec.amplitude.grad) > 0  # the term's descent step shrinks the lattice
    # the term is only there when asked for, and adds its weight times the disagreement
    without = adain.adain_losses(enc, _Latticed(base, amplitude), content, style, alpha, layer="relu3_1")
    assert term not in without
    torch.testing.assert_close(latticed["total"].detach(), without["total"].detach() + latticed[term].detach())


def test_training_with_the_grid_terms_writes_them_to_the_history():
    enc = encoders.load("random").to(memory_format=torch.channels_last)
    photos = data.load_folder(DATA, max_size=96)
    config = adain.TrainConfig(steps=3, batch=2, crop=64, exemplars=0, layer="relu3_1", shift_weight=5.0,
                               lattice_weight=5.0)
    _, history = adain.train_decoder(enc, photos, photos, config)
    assert all(record["shift"] > 0 and record["lattice"] > 0 for record in history)
    with pytest.raises(ValueError, match="--lattice-weight -1 must be a number >= 0"):
        adain.TrainConfig(lattice_weight=-1).check()
    with pytest.raises(ValueError, match="--shift-weight -1 must be a number >= 0"):
        adain.TrainConfig(shift_weight=-1).check()
    with pytest.raises(ValueError, match="--crop 32 must be at least 64 with --shift-weight"):
        adain.TrainConfig(crop=32, shift_weight=1.0).check()
