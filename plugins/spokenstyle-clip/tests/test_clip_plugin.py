"""spokenstyle-clip with tiny random CLIP / Chinese-CLIP checkpoints written by save_pretrained
into a temporary folder and loaded through the plugin exactly like a user's local model.
No network: HF_HUB_OFFLINE is set before transformers is imported, and the plugin loads with
local_files_only."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

import spokenstyle  # noqa: E402
from spokenstyle.image import imageio  # noqa: E402
from spokenstyle.cli import main  # noqa: E402
from spokenstyle.errors import UsageError, WeightsError  # noqa: E402
from spokenstyle.plugins.testing import isolated_plugins  # noqa: E402

from spokenstyle_clip import models, plugin  # noqa: E402
from spokenstyle_clip.backend import ClipBackend, ClipObjective  # noqa: E402
from spokenstyle_clip.encoder import EMBED_START  # noqa: E402
from spokenstyle_clip.testing import make_tiny_chinese_clip, make_tiny_clip  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
COFFEE = ROOT / "data" / "photos" / "heldout" / "coffee.jpg"


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    base = tmp_path_factory.mktemp("clip-models")
    return {"clip": make_tiny_clip(base / "clip"), "chinese-clip": make_tiny_chinese_clip(base / "chinese-clip")}


@pytest.fixture
def configured(checkpoints, monkeypatch):
    """The two environment variables a user sets, and the plugin registered in-process."""
    monkeypatch.setenv("SPOKENSTYLE_CLIP_MODEL", str(checkpoints["clip"]))
    monkeypatch.setenv("SPOKENSTYLE_CHINESE_CLIP_MODEL", str(checkpoints["chinese-clip"]))
    with isolated_plugins(plugin) as pm:
        yield pm


def configured_paths():
    return {f: Path(os.environ[models.ENV[f]]) for f in models.ENV}


def photo(size=64):
    return imageio.load(COFFEE, max_size=size)[0].pixels.unsqueeze(0)


# ----------------------------------------------------------------------- text encoders
def test_clip_encoder_maps_a_prototype_prompt_to_its_medium_and_fills_the_embedding(configured):
    engine = spokenstyle.Engine(text_encoder="clip", device="cpu")
    intent = engine.encode("a watercolor picture")  # one of watercolor's English prototype texts
    assert intent.medium == "watercolor" and intent.encoder == "clip" and "watercolor" in intent.understood
    note = next(n for n in intent.notes if "nearest medium" in n)
    assert note.startswith("clip: nearest medium watercolor 1.000") and "taken" in note
    other = engine.encode("an oil painting")
    words, other_words = torch.tensor(intent.embedding[EMBED_START:]), torch.tensor(other.embedding[EMBED_START:])
    assert len(intent.embedding) == spokenstyle.EMBEDDING_DIM
    assert abs(float(words.norm()) - 1) < 1e-4 and float((words - other_words).abs().max()) > 0.01
    assert intent.embedding[12 + spokenstyle.MEDIA.index("watercolor")] == 1.0  # layout v1 kept
    # the rest of the engine acts on it: the planner renders the medium, grade applies the look
    assert engine.plan(intent).backends == ["render", "grade"]
    assert engine.encode("").is_identity


def test_chinese_clip_encoder_reads_chinese_and_explain_shows_the_similarities(configured, capsys):
    engine = spokenstyle.Engine(text_encoder="chinese-clip", device="cpu")
    intent = engine.encode("水彩画风格的图片")  # a Chinese prototype text of watercolor
    assert intent.medium == "watercolor" and intent.encoder == "chinese-clip"
    assert main(["explain", "水彩画风格的图片", "--text-encoder", "chinese-clip"]) == 0
    out = capsys.readouterr().out
    assert "clip: nearest medium watercolor 1.000" in out and "nearest look" in out and "'a photo'" in out


def test_chinese_clip_stylizes_end_to_end(configured):
    result = spokenstyle.Engine(text_encoder="chinese-clip", device="cpu").stylize(photo(48), "水彩")
    assert result.intent.medium == "watercolor" and result.backends == ["render", "grade"]
    assert float((result.tensor - photo(48)).abs().mean()) > 0.01


def test_a_prompt_near_nothing_changes_nothing(configured, monkeypatch):
    monkeypatch.setenv("SPOKENSTYLE_CLIP_MARGIN", "2")  # nothing can beat 'a photo' by 2
    intent = spokenstyle.Engine(text_encoder="clip").encode("a watercolor picture")
    assert intent.medium is None and not intent.changed
    assert all("not taken" in n for n in intent.notes if n.startswith("clip:"))


def test_a_bad_margin_is_a_usage_error(configured, monkeypatch):
    monkeypatch.setenv("SPOKENSTYLE_CLIP_MARGIN", "lots")
    with pytest.raises(UsageError, match="SPOKENSTYLE_CLIP_MARGIN='lots' is not a number"):
        spokenstyle.Engine(text_encoder="clip")


# ------------------------------------------------------------------------ clear errors
def test_no_model_configured_says_which_variable_to_set(monkeypatch):
    monkeypatch.delenv("SPOKENSTYLE_CLIP_MODEL", raising=False)
    with isolated_plugins(plugin):
        with pytest.raises(WeightsError, match="no CLIP model is configured: set SPOKENSTYLE_CLIP_MODEL="):
            spokenstyle.Engine(text_encoder="clip")


def test_missing_directory_and_wrong_kind_of_model(tmp_path, checkpoints, monkeypatch):
    with pytest.raises(WeightsError, match="was not found: no such directory"):
        models.resolve(str(tmp_path / "nope"), "clip")
    with pytest.raises(WeightsError, match="holds a 'chinese_clip' model, not CLIP.*use the 'chinese-clip' encoder"):
        models.resolve(checkpoints["chinese-clip"], "clip")
    with pytest.raises(WeightsError, match="has no config.json"):
        models.resolve(tmp_path, "chinese-clip")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((checkpoints["clip"] / "config.json").read_text())
    with pytest.raises(WeightsError, match="could not be loaded"):
        models.load(broken, "clip")
    notok = tmp_path / "no-tokenizer"
    notok.mkdir()
    for f in ("config.json", "model.safetensors"):
        (notok / f).write_bytes((checkpoints["clip"] / f).read_bytes())
    with pytest.raises(WeightsError, match="has no usable tokenizer"):
        models.load(notok, "clip")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(WeightsError, match="not in the local Hugging Face cache.*nothing is downloaded"):
        models.resolve("openai/clip-vit-base-patch32", "clip")


def test_cli_error_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPOKENSTYLE_CLIP_MODEL", str(tmp_path / "missing"))
    with isolated_plugins(plugin):
        assert main(["explain", "watercolor", "--text-encoder", "clip"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "SPOKENSTYLE_CLIP_MODEL" in err and "was not found" in err


# ----------------------------------------------------------------------------- backend
def test_clip_backend_lowers_its_clip_loss_on_a_real_photo(checkpoints):
    bundle = models.load(checkpoints["clip"], "clip")
    x = photo(64)
    objective = ClipObjective(bundle, x, "a dreamy pastel watercolor", "a photo", crops=8, seed=0)
    before = objective.clip_loss(x)
    from spokenstyle.builtins.gatys import optimize

    after = objective.clip_loss(optimize(objective, x, 8, "adam"))
    assert after < before - 0.05, (before, after)


def test_clip_backend_through_the_engine(configured):
    engine = spokenstyle.Engine(text_encoder="clip", device="cpu")
    x = photo(64)
    result = engine.stylize(x, "a dreamy pastel watercolor", backend="clip", options={"steps": 4, "encoder": "random", "crops": 4})
    assert result.backends == ["clip"] and result.tensor.shape == x.shape
    runner = engine.backend("clip")
    (before, after), = runner.last_losses
    assert after < before
    assert 0 < float((result.tensor - x).abs().mean()) < 0.2  # changed, still the photo (content loss)
    again = engine.stylize(x, "a dreamy pastel watercolor", backend="clip", options={"steps": 4, "encoder": "random", "crops": 4})
    assert torch.equal(again.tensor, result.tensor)  # seeded crops: deterministic


def test_clip_backend_picks_chinese_clip_for_a_chinese_prompt_and_checks_options(configured):
    engine = spokenstyle.Engine(device="cpu")  # the lexicon encoder: the backend finds its own model
    x = photo(48)
    result = engine.stylize(x, "梦幻的粉彩水彩", backend="clip", options={"steps": 2, "encoder": "random", "crops": 2})
    assert result.backends == ["clip"]
    assert engine.backend("clip").last_model == ("chinese-clip", str(configured_paths()["chinese-clip"]))
    with pytest.raises(UsageError, match="clip: steps=0 must be an integer >= 1"):
        engine.stylize(x, "watercolor", backend="clip", options={"steps": 0})
    with pytest.raises(UsageError, match="needs a style prompt"):
        engine.stylize(x, "", backend="clip", options={"steps": 1})
    text = "\n".join(f"{k}: {v}" for k, v in engine.backend_options("clip").items())
    assert "steps: optimisation steps (Adam on the pixels) (default: 60)" in text


def test_backend_options_are_declared_once():
    import inspect

    sig = inspect.signature(inspect.unwrap(ClipBackend.stylize))
    assert all(sig.parameters[name].default is inspect.Parameter.empty for name in ClipBackend.options)
    assert ClipBackend.options.defaults["steps"] == 60


# ------------------------------------------------------------------------ light import
def test_importing_the_plugin_module_imports_no_transformers():
    code = "import sys, spokenstyle_clip.plugin, spokenstyle.plugins as p; p.get_plugin_manager().names('text_encoder'); print('transformers' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False"


def test_readme_lists_every_backend_option_as_declared():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for name, text in ClipBackend.options.items():
        assert f"| `{name}` | {text} |" in readme, name


@pytest.mark.parametrize("encoder, prompt", [("clip", "a dreamy pastel watercolor"), ("chinese-clip", "梦幻的粉彩水彩")])
def test_the_command_line_of_the_issue(configured, tmp_path, encoder, prompt, capsys):
    out = tmp_path / f"{encoder}.png"
    args = ["stylize", str(COFFEE), "-p", prompt, "--text-encoder", encoder, "--backend", "clip", "--max-size", "48",
            "-O", "steps=2", "-O", "crops=2", "-O", "encoder=random", "-o", str(out), "--json"]
    assert main(args) == 0, capsys.readouterr().err
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["backends"] == ["clip"] and record["intent"]["encoder"] == encoder
    styled = imageio.load(out)[0].pixels
    assert styled.shape[-2:] == photo(48).shape[-2:] and float((styled - photo(48)[0]).abs().mean()) > 0.001
