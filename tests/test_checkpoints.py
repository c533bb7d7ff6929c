"""Checkpoint configs are validated (type, range, tensor shapes) before anything is allocated:
a hostile decoder file is one WeightsError, never a memory blow-up or a raw exception."""

import json
import time

import pytest
import torch
from safetensors.torch import save_file

from spokenstyle import checkpoints
from spokenstyle.errors import WeightsError
from spokenstyle.nn import decoder as dec

SMALL = {"layer": "relu3_1", "in_channels": 8, "widths": [4, 4], "convs": [1, 1], "upsamples": 1}


def write(path, config, tensors=None, **extra):
    """A decoder checkpoint with ``config`` as its metadata (a dict is dumped, a str kept)."""
    if tensors is None:  # the tensors of SMALL: a hostile config comes with a small file
        tensors = {k: torch.zeros(s) for k, s in dec.expected_shapes(SMALL).items()}
    metadata = {"format": dec.FORMAT, "config": config if isinstance(config, str) else json.dumps(config), **extra}
    save_file(tensors, str(path), metadata=metadata)
    return path


def test_expected_shapes_match_the_network_for_many_configs():
    configs = [
        dec.DecoderConfig(),
        dec.DecoderConfig(in_channels=8, widths=(4,), convs=(3,), upsamples=0),
        dec.DecoderConfig(in_channels=16, widths=(8, 4), convs=(1, 2), upsamples=4),  # more upsamples than stages
        dec.DecoderConfig(layer="relu4_1", in_channels=32, widths=(16, 8, 4, 2), convs=(2, 1, 1, 1), upsamples=3),
    ]
    for cfg in configs:
        built = {k: tuple(v.shape) for k, v in dec.AdaINDecoder(cfg).state_dict().items()}
        assert dec.expected_shapes(cfg) == built


@pytest.mark.parametrize(
    "change, message",
    [
        ({"convs": [10_000_000, 1]}, r"convs\[0\] = 10000000 is out of range 1..8"),
        ({"widths": [10_000_000, 4]}, r"widths\[0\] = 10000000 is out of range 1..4096"),
        ({"widths": [-4, 4]}, r"widths\[0\] = -4 is out of range"),
        ({"widths": [4.5, 4]}, r"widths\[0\] must be an integer, got 4.5"),
        ({"in_channels": True}, "in_channels must be an integer, got True"),
        ({"in_channels": "8"}, "in_channels must be an integer, got '8'"),
        ({"upsamples": 99}, "upsamples = 99 is out of range 0..5"),
        ({"layer": "relu3_1; rm -rf"}, "layer = .* is not valid"),
        ({"layer": 3}, "layer must be a string"),
        ({"widths": [4] * 100, "convs": [1] * 100}, "widths has 100 entries; it needs 1..8"),
        ({"widths": []}, "widths has 0 entries"),
        ({"widths": "44"}, "widths must be a list of integers"),
        ({"convs": [1]}, r"widths \[4, 4\] and convs \[1\] must have equal length"),
        ({"evil": 1}, "unknown field.* evil"),
    ],
)
def test_bad_config_fields_are_one_weights_error_naming_the_field(tmp_path, monkeypatch, change, message):
    built = []
    monkeypatch.setattr(dec.AdaINDecoder, "__init__", lambda self, *a, **k: built.append(1) or (_ for _ in ()).throw(AssertionError("built")))
    path = write(tmp_path / "d.safetensors", {**SMALL, **change})
    with pytest.raises(WeightsError, match=message):
        dec.load(path)
    assert not built  # refused before the network was built


@pytest.mark.parametrize(
    "raw, message",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"in_channels": NaN}', "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "more than any real one"),
        ("[" * 20_000 + "]" * 20_000, "not valid JSON|must be a JSON object"),
    ],
)
def test_config_that_is_not_a_json_object_is_refused(tmp_path, raw, message):
    with pytest.raises(WeightsError, match=message):
        dec.load(write(tmp_path / "d.safetensors", raw))


def test_a_malicious_config_is_refused_fast_without_allocating(tmp_path):
    # before: this config built a network of ~10^14 parameters from the metadata alone
    path = write(tmp_path / "d.safetensors", {**SMALL, "widths": [4096] * 8, "convs": [8] * 8, "in_channels": 4096})
    start = time.perf_counter()
    with pytest.raises(WeightsError, match="has shape|do not match their config"):
        dec.load(path)
    assert time.perf_counter() - start < 2.0


def test_tensor_shapes_and_dtypes_are_checked_against_the_config_from_the_header(tmp_path):
    shapes = dec.expected_shapes(SMALL)
    wrong = {k: torch.zeros(s) for k, s in shapes.items()}
    wrong["body.0.1.weight"] = torch.zeros(4, 9, 3, 3)
    with pytest.raises(WeightsError, match=r"'body.0.1.weight' has shape \(4, 9, 3, 3\), the config needs \(4, 8, 3, 3\)"):
        dec.load(write(tmp_path / "a.safetensors", SMALL, wrong))
    ints = {k: torch.zeros(s, dtype=torch.int32) for k, s in shapes.items()}
    with pytest.raises(WeightsError, match="is I32; weights must be floating point"):
        dec.load(write(tmp_path / "b.safetensors", SMALL, ints))
    extra = {k: torch.zeros(s) for k, s in shapes.items()} | {"payload": torch.zeros(10)}
    with pytest.raises(WeightsError, match=r"unexpected \['payload'\]"):
        dec.load(write(tmp_path / "c.safetensors", SMALL, extra))


def test_info_metadata_must_be_a_json_object(tmp_path):
    with pytest.raises(WeightsError, match="bad info metadata"):
        dec.load(write(tmp_path / "d.safetensors", SMALL, info="[1]"))


def test_a_valid_small_checkpoint_round_trips(tmp_path):
    cfg = dec.DecoderConfig(**SMALL)
    model = dec.AdaINDecoder(cfg)
    path = dec.save(model, tmp_path / "ok.safetensors", encoder="random", fingerprint="f" * 16, info={"steps": 3})
    ckpt = dec.load(path)
    assert ckpt.decoder.config == cfg and ckpt.info == {"steps": 3}
    for key, value in model.state_dict().items():
        torch.testing.assert_close(ckpt.decoder.state_dict()[key], value.half().float())


def test_decoder_config_in_python_is_validated_too():
    with pytest.raises(WeightsError, match=r"decoder config: bad config: widths\[0\] = 0 is out of range"):
        dec.DecoderConfig(widths=(0, 1, 2))
    assert dec.DecoderConfig() == dec.DecoderConfig(layer="relu3_1", in_channels=256, widths=(128, 64, 32), convs=(2, 2, 2), upsamples=2)


def test_the_reusable_reader_serves_another_kind(tmp_path):
    """What a future checkpoint kind (the transform generator) does: its own format, schema and
    shapes, the same reader."""
    schema = {"channels": checkpoints.Int(1, 64), "blocks": checkpoints.Int(0, 8, default=2)}
    shapes = lambda cfg: {f"block{i}.weight": (cfg["channels"], cfg["channels"]) for i in range(cfg["blocks"])}  # noqa: E731
    path = tmp_path / "g.safetensors"
    save_file({"block0.weight": torch.ones(4, 4), "block1.weight": torch.ones(4, 4)}, str(path),
              metadata={"format": "spokenstyle.transform/1", "config": json.dumps({"channels": 4})})
    ckpt = checkpoints.read(path, fmt="spokenstyle.transform/1", schema=schema, expected_shapes=shapes, what="generator weights", kind="transform generator")
    assert ckpt.config == {"channels": 4, "blocks": 2} and set(ckpt.tensors) == {"block0.weight", "block1.weight"}
    with pytest.raises(WeightsError, match="is not a spokenstyle transform generator"):
        checkpoints.read(path, fmt="spokenstyle.other/1", schema=schema, expected_shapes=shapes, kind="transform generator")
