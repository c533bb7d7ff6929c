"""Reusable looks: saved once, applied exactly (bit for bit), to one photo or a folder; bad look
files are one-line errors; a batch with one prompt encodes it and computes its style
statistics once."""

import json
import shutil

import pytest
import torch

import spokenstyle
from harness.helpers import PHOTOS, REPO, photo
from spokenstyle import Engine, StyleIntent, UsageError
from spokenstyle import cli
from spokenstyle.cli import stylize as stylize_cli
from spokenstyle.core.looks import FORMAT, Look


@pytest.fixture(scope="module")
def engine():
    return Engine(device="cpu")


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "photos"
    d.mkdir()
    for name in ("coffee", "chelsea", "astronaut"):  # three sizes: three separate backend runs
        shutil.copy(PHOTOS[name], d / f"{name}.jpg")
    return d


def _files(d):
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


# ---------------------------------------------------------------------------------- Python
def test_look_round_trips_through_its_file(engine, tmp_path):
    look = engine.look("oil painting, a bit warmer, film grain", backend="adain,grade", seed=7, options={"alpha": 0.75},
                       preserve_color="statistics")
    assert look.backends == ("adain", "grade")
    assert look.options == {"adain": {"alpha": 0.75}}
    assert (look.seed, look.preserve_color, look.intent.preserve_color) == (7, "statistics", True)
    path = look.save(tmp_path / "look.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == FORMAT == "spokenstyle.look/1"
    assert data["backends"] == ["adain", "grade"] and data["intent"]["attributes"]["warmth"] == pytest.approx(0.2)
    again = Look.load(path)
    assert again == look and again.intent == look.intent  # every field, the intent's floats exactly
    assert [p.name for p in tmp_path.iterdir()] == ["look.json"]  # atomic: no temporary left behind


def test_look_reproduces_the_prompt_run_bit_for_bit(engine, tmp_path):
    x = [photo("coffee"), photo("astronaut")]
    direct = engine.stylize(x, "oil painting, warmer, film grain", backend="adain,grade", seed=3,
                            options={"alpha": 0.8, "style_size": 128}, max_size=128)
    direct.look.save(tmp_path / "look.json")
    applied = engine.stylize(x, look=Look.load(tmp_path / "look.json"), max_size=128)
    again = engine.stylize(x, look=tmp_path / "look.json", max_size=128)  # a path is read for you
    for a, b, c in zip(direct.tensors, applied.tensors, again.tensors):
        assert torch.equal(a, b) and torch.equal(a, c)
    assert applied.backends == direct.backends == ["adain", "grade"] and applied.options == {"adain": {"alpha": 0.8, "style_size": 128}}
    assert applied.intent == direct.intent
    # the seed is part of the look: another seed gives other grain
    other = engine.stylize(x, "oil painting, warmer, film grain", backend="adain,grade", seed=4,
                           options={"alpha": 0.8, "style_size": 128}, max_size=128)
    assert not torch.equal(other.tensors[0], applied.tensors[0])


def test_look_is_not_re_encoded_or_re_planned(engine, monkeypatch):
    look = engine.look("warmer, more contrast")
    monkeypatch.setattr(engine.text_encoder, "encode", lambda *a: pytest.fail("a look must not re-encode"))
    monkeypatch.setattr(engine.planner, "plan", lambda *a, **k: pytest.fail("a look must not re-plan"))
    result = engine.stylize(photo("chelsea"), look=look)
    assert result.backends == ["grade"] and result.intent == look.intent


def test_explain_json_is_a_look(engine, tmp_path, capsys):
    assert cli.main(["explain", "--json", "vintage film, keep the colours"]) == 0
    path = tmp_path / "explain.json"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    look = Look.load(path)
    assert look.backends == ("grade",) and look.preserve_color == "luminance" and look.options == {}
    x = photo("coffee")
    assert torch.equal(engine.stylize(x, look=look).tensor, engine.stylize(x, "vintage film, keep the colours").tensor)


@pytest.mark.parametrize(
    "kwargs", [{"prompt": "warmer"}, {"strength": 0.5}, {"backend": "grade"}, {"seed": 1}, {"options": {"alpha": 1}},
               {"preserve_color": True}, {"intent": StyleIntent()}],
)
def test_a_look_with_other_look_arguments_is_a_usage_error(engine, kwargs):
    look = engine.look("warmer")
    name = next(iter(kwargs))
    with pytest.raises(UsageError, match=rf"look= fixes .*; drop {name}="):
        engine.stylize(photo("coffee"), look=look, **kwargs)


def test_look_values_a_file_cannot_hold_are_refused_on_save(engine, tmp_path):
    look = engine.look("oil painting", backend="adain,grade", options={"style_weights": torch.tensor([1.0])})
    with pytest.raises(UsageError, match="option 'style_weights' of 'adain' is a Tensor; a look holds JSON values"):
        look.save(tmp_path / "look.json")
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------------ bad files
def _look_file(tmp_path, content):
    path = tmp_path / "look.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


@pytest.fixture
def saved(engine):
    return engine.look("oil painting, warmer", backend="adain,grade").to_dict()


@pytest.mark.parametrize(
    "change, message",
    [
        (None, r"look file '.*missing.json' does not exist; check the path, or make one with --save-look"),
        ("{not json", r"look file '.*look.json' is not valid JSON \(Expecting property name enclosed in double quotes at line 1 column 2\)"),
        ("[1, 2]", r"look '.*look.json' is not a look: it holds a JSON list, not an object"),
        ({"format": "spokenstyle.look/2"}, r"look '.*look.json' is format 'spokenstyle.look/2', and this spokenstyle reads 'spokenstyle.look/1'"),
        ({"format": None}, r"look '.*' is not a spokenstyle look: it has no \"format\" field; make a look with"),
        ({"backends": ["adain", "nosuch"]}, r"look '.*look.json': unknown style backend 'nosuch'"),
        ({"backends": []}, r"\"backends\" must be a non-empty list of backend names"),
        ({"options": {"adain": {"stepz": 3}}}, r"look '.*look.json': option 'stepz' is not taken by 'adain' .*"),
        ({"options": {"gatys": {"steps": 3}}}, r"options are given for 'gatys', which is not one of its backends"),
        ({"seed": -1}, r"look .*: \"seed\": -1 must be a whole number from 0 to 2\*\*64-1"),
        ({"preserve_color": "hue"}, r"look '.*': \"preserve_color\": 'hue' is not a mode; use luminance or statistics"),
        ({"intent": {"strength": 3}}, r"look '.*': intent: \"strength\": 3 is out of range"),
        ({"colour": 1}, r"unknown field\(s\) \['colour'\]"),
    ],
)
def test_bad_look_files_are_clear_errors_in_python_and_one_line_exit_2_in_the_cli(engine, tmp_path, saved, capsys, change, message):
    import re

    if change is None:
        path = tmp_path / "missing.json"
    elif isinstance(change, str):
        path = _look_file(tmp_path, change)
    else:
        data = dict(saved)
        for key, value in change.items():
            if value is None:
                data.pop(key)
            elif key == "intent":
                data["intent"] = {**data["intent"], **value}
            else:
                data[key] = value
        path = _look_file(tmp_path, data)
    with pytest.raises(UsageError, match=message):
        engine.stylize(photo("coffee"), look=path)
    out = tmp_path / "out"
    code = cli.main(["stylize", str(PHOTOS["coffee"]), "--look", str(path), "-o", str(out) + ".png"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert re.search(message.replace("look= ", "--look "), err), err
    assert not (tmp_path / "out.png").exists()


# ------------------------------------------------------------------------------------ CLI
def test_cli_look_reproduces_a_saved_look_bit_for_bit(tmp_path, folder, capsys):
    look = tmp_path / "look.json"
    args = ["-p", "oil painting, warmer, film grain", "--backend", "adain,grade", "--seed", "5", "-O", "alpha=0.9", "-O", "style_size=128",
            "--preserve-color", "statistics"]
    small = ["--max-size", "128", "-q"]  # per run, not part of the look
    assert cli.main(["stylize", str(folder), *args, "--save-look", str(look), "-o", str(tmp_path / "a"), *small]) == 0
    assert cli.main(["stylize", str(folder), "--look", str(look), "-o", str(tmp_path / "b"), *small]) == 0
    assert cli.main(["stylize", str(folder), "--look", str(look), "-o", str(tmp_path / "c"), *small]) == 0
    capsys.readouterr()
    first = _files(tmp_path / "a")
    assert sorted(first) == ["astronaut.jpg", "chelsea.jpg", "coffee.jpg"]
    assert _files(tmp_path / "b") == first and _files(tmp_path / "c") == first  # the same bytes, every photo
    data = json.loads(look.read_text(encoding="utf-8"))
    assert (data["seed"], data["preserve_color"]) == (5, "statistics")
    assert data["options"] == {"adain": {"alpha": 0.9, "style_size": 128}}
    # one photo with the look is the same as that photo in the batch
    assert cli.main(["stylize", str(folder / "coffee.jpg"), "--look", str(look), "-o", str(tmp_path / "one.jpg"), *small]) == 0
    assert (tmp_path / "one.jpg").read_bytes() == first["coffee.jpg"]


def test_cli_look_from_explain_json_equals_the_prompt_run(tmp_path, folder, capsys):
    assert cli.main(["explain", "--json", "来点复古胶片感，别太暗"]) == 0
    look = tmp_path / "explain.json"
    look.write_text(capsys.readouterr().out, encoding="utf-8")
    assert cli.main(["stylize", str(folder), "-p", "来点复古胶片感，别太暗", "-o", str(tmp_path / "a"), "-q"]) == 0
    assert cli.main(["stylize", str(folder), "--look", str(look), "-o", str(tmp_path / "b"), "-q"]) == 0
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


@pytest.mark.parametrize(
    "extra, flag",
    [(["-p", "warmer"], "-p"), (["--strength", "0.5"], "--strength"), (["--backend", "grade"], "--backend"),
     (["-O", "alpha=1"], "-O"), (["--seed", "1"], "--seed"), (["--preserve-color"], "--preserve-color")],
)
def test_cli_look_with_flags_that_change_the_look_is_exit_2(tmp_path, saved, capsys, extra, flag):
    path = _look_file(tmp_path, saved)
    code = cli.main(["stylize", str(PHOTOS["coffee"]), "--look", str(path), *extra, "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"--look fixes the look; drop {flag}" in err, err
    assert not (tmp_path / "o.png").exists()


def test_save_look_never_replaces_an_input(tmp_path, capsys):
    src = tmp_path / "coffee.jpg"
    shutil.copy(PHOTOS["coffee"], src)
    before = src.read_bytes()
    code = cli.main(["stylize", str(src), "-p", "warmer", "--save-look", str(src), "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2 and "--save-look" in err and "would replace the input" in err
    assert src.read_bytes() == before and not (tmp_path / "o.png").exists()


def test_a_batch_with_one_prompt_encodes_it_and_computes_its_style_statistics_once(tmp_path, folder, monkeypatch, capsys):
    from spokenstyle.builtins import adain, lexicon

    encodes, stats = [], []
    real_encode, real_images = lexicon.LexiconEncoder.encode, adain.style_images

    def counting_encode(self, prompt):
        encodes.append(prompt)
        return real_encode(self, prompt)

    def counting_images(*args, **kwargs):
        stats.append(kwargs.get("size"))
        return real_images(*args, **kwargs)

    monkeypatch.setattr(lexicon.LexiconEncoder, "encode", counting_encode)
    monkeypatch.setattr(adain, "style_images", counting_images)
    small = ["--max-size", "128", "-q"]
    assert cli.main(["stylize", str(folder), "-p", "oil painting, warmer", "--backend", "adain,grade", "-O", "style_size=128",
                     "-o", str(tmp_path / "out"), *small, "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 3 and all(r["backends"] == ["adain", "grade"] for r in records)
    assert encodes == ["oil painting, warmer"]  # once for three photos
    assert len(stats) == 1  # the exemplar and its statistics: once for three photos of three sizes
    # with a look, not even once
    encodes.clear()
    look = tmp_path / "look.json"
    Engine(device="cpu").look("oil painting, warmer", backend="adain,grade", options={"style_size": 128}).save(look)
    encodes.clear()
    assert cli.main(["stylize", str(folder), "--look", str(look), "-o", str(tmp_path / "out2"), *small]) == 0
    assert encodes == [] and len(stats) == 2  # a new engine: its adain made the exemplar once more, once


def test_the_docs_name_every_field_of_the_format_and_every_flag():
    from spokenstyle.core.looks import _FIELDS

    assert spokenstyle.Look is Look
    doc = (REPO / "docs" / "looks.md").read_text(encoding="utf-8")
    for name in _FIELDS:
        assert f"| `{name}` |" in doc, name
    assert FORMAT in doc
    for flag in ("--save-look", "--look", "explain --json"):
        assert flag in doc and flag in (REPO / "README.md").read_text(encoding="utf-8")
    for flag in stylize_cli._LOOK_FLAGS.values():  # the flags --look refuses are the ones the doc lists
        assert f"`{flag}`" in doc, flag
