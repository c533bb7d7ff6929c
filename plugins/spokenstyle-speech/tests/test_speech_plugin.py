"""spokenstyle-speech with tiny Whisper checkpoints written by save_pretrained into a temporary
folder (spokenstyle_speech.testing: the model says a chosen sentence whatever it hears), loaded
through the plugin exactly like a user's local model. No network: HF_HUB_OFFLINE is set before
transformers is imported, and the plugin loads with local_files_only."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import soundfile  # noqa: E402

import spokenstyle  # noqa: E402
from spokenstyle.cli import main  # noqa: E402
from spokenstyle.errors import UsageError, WeightsError  # noqa: E402
from spokenstyle.image import imageio  # noqa: E402
from spokenstyle.plugins.protocols import check  # noqa: E402
from spokenstyle.plugins.testing import check_plugin, isolated_plugins  # noqa: E402

from spokenstyle_speech import audio, plugin, whisper  # noqa: E402
from spokenstyle_speech.testing import make_tiny_whisper  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
PHOTO = ROOT / "data" / "photos" / "heldout" / "coffee.jpg"
ENV = whisper.ENV


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    base = tmp_path_factory.mktemp("whisper")
    return {
        "warmer": make_tiny_whisper(base / "warmer", "warmer", "en"),
        "暖一点": make_tiny_whisper(base / "zh", "暖一点", "zh"),
        "silent": make_tiny_whisper(base / "silent", "", "en"),
        "no-yue": make_tiny_whisper(base / "no-yue", "cooler", "en", languages=("en", "zh")),
    }


def _tone(path, rate=44100, channels=2, seconds=1.0, **kwargs):
    t = np.arange(int(rate * seconds)) / rate
    x = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    soundfile.write(str(path), np.stack([x] * channels, axis=1), rate, **kwargs)
    return path


@pytest.fixture
def wav(tmp_path):
    return _tone(tmp_path / "look.wav")


@pytest.fixture
def model_env(monkeypatch, models):
    def use(name):
        monkeypatch.setenv(ENV, str(models[name]))
    return use


def _cli(argv, capsys):
    with isolated_plugins(plugin):
        code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _warmth(path):
    x = imageio.pil_to_tensor(imageio.open_image(path).convert("RGB"))  # (3, H, W)
    return float(x[0].mean() - x[2].mean())


# --------------------------------------------------------------------------------- audio
@pytest.mark.parametrize("suffix, kwargs", [(".wav", {}), (".flac", {}), (".mp3", {}), (".ogg", {"subtype": "VORBIS"})])
def test_audio_files_are_read_mono_at_16k(tmp_path, suffix, kwargs):
    path = _tone(tmp_path / f"a{suffix}", rate=44100, **kwargs)
    y = audio.load(path)
    assert y.dtype == np.float32 and abs(len(y) - 16000) <= 1200  # MP3 pads a frame or so
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    assert abs(np.fft.rfftfreq(len(y), 1 / 16000)[spectrum.argmax()] - 220) < 3
    assert 0.1 < np.abs(y).max() < 0.3


def test_channels_are_mixed_to_mono(tmp_path):
    t = np.arange(16000) / 16000
    left = 0.4 * np.sin(2 * np.pi * 300 * t)
    soundfile.write(str(tmp_path / "lr.wav"), np.stack([left, np.zeros_like(left)], 1).astype(np.float32), 16000)
    y = audio.load(tmp_path / "lr.wav")
    assert np.allclose(y, left / 2, atol=1e-4)


def test_bad_audio_files_are_one_line_errors(tmp_path):
    (tmp_path / "text.wav").write_text("not audio at all")
    with pytest.raises(UsageError, match="cannot read audio file .*text.wav.*WAV, FLAC, MP3"):
        audio.load(tmp_path / "text.wav")
    with pytest.raises(UsageError, match="does not exist"):
        audio.load(tmp_path / "missing.wav")
    soundfile.write(str(tmp_path / "empty.wav"), np.zeros((0, 1), np.float32), 16000)
    with pytest.raises(UsageError, match="holds no sound"):
        audio.load(tmp_path / "empty.wav")
    _tone(tmp_path / "long.flac", rate=8000, channels=1, seconds=31)
    with pytest.raises(UsageError, match="31.0 s long.*30 s or less"):
        audio.load(tmp_path / "long.flac")


# ------------------------------------------------------------------------- transcriber
def test_the_plugin_registers_a_transcriber_and_a_command():
    components = check_plugin(plugin, name="speech")
    assert [(c.kind, c.name) for c in components] == [("transcriber", "whisper")]
    check(whisper.WhisperTranscriber, "transcriber", "speech")


def test_the_tiny_model_says_its_sentence(models, wav):
    assert whisper.WhisperTranscriber(model=models["warmer"], device="cpu").transcribe(str(wav)) == "warmer"
    zh = whisper.WhisperTranscriber(model=models["暖一点"], device="cpu")
    assert zh.transcribe(str(wav)) == "暖一点"
    assert zh.transcribe(str(wav), language="yue") == "暖一点"
    bundle = whisper.load(models["暖一点"], "cpu")
    assert bundle.languages == ["en", "yue", "zh"] and bundle.multilingual


def test_languages_the_model_does_not_know_are_refused(models, wav):
    with pytest.raises(UsageError, match="does not know it.*large-v3"):
        whisper.WhisperTranscriber(model=models["no-yue"], device="cpu").transcribe(str(wav), language="yue")
    with pytest.raises(UsageError, match="--language fr"):
        whisper.WhisperTranscriber(model=models["warmer"], device="cpu").transcribe(str(wav), language="fr")


def test_missing_or_wrong_checkpoints_are_one_line_errors(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(WeightsError, match=f"no Whisper model is configured: set {ENV}"):
        whisper.WhisperTranscriber()
    with pytest.raises(WeightsError, match="was not found"):
        whisper.WhisperTranscriber(model=tmp_path / "nowhere")
    with pytest.raises(WeightsError, match="not in the local Hugging Face cache.*nothing is downloaded"):
        whisper.WhisperTranscriber(model="openai/whisper-nonexistent-size")
    (tmp_path / "clip").mkdir()
    (tmp_path / "clip" / "config.json").write_text('{"model_type": "clip"}')
    with pytest.raises(WeightsError, match="not Whisper"):
        whisper.WhisperTranscriber(model=tmp_path / "clip")


def test_a_checkpoint_without_its_processor_is_refused(models, tmp_path, wav):
    import shutil

    broken = tmp_path / "no-processor"
    shutil.copytree(models["warmer"], broken)
    (broken / "preprocessor_config.json").unlink()
    with pytest.raises(WeightsError, match="lacks its processor"):
        whisper.WhisperTranscriber(model=broken, device="cpu").transcribe(str(wav))


# ---------------------------------------------------------------------- the CLI, end to end
def test_stylize_say_gives_the_look_of_the_transcript(model_env, wav, tmp_path, capsys):
    model_env("warmer")
    out = tmp_path / "out.png"
    code, stdout, err = _cli(["stylize", PHOTO, "--say", wav, "-o", out], capsys)
    assert code == 0, err
    assert stdout.startswith("heard: 'warmer'")
    assert _warmth(out) > _warmth(PHOTO) + 0.02  # red minus blue, on the written image
    code, stdout, err = _cli(["stylize", PHOTO, "--say", wav, "-o", tmp_path / "j.png", "--json"], capsys)
    record = json.loads(stdout)
    assert record["transcript"] == "warmer" and record["intent"]["attributes"]["warmth"] > 0


def test_explain_say_shows_the_transcript(model_env, wav, capsys):
    model_env("暖一点")
    code, stdout, err = _cli(["explain", "--say", wav, "--language", "zh"], capsys)
    assert code == 0, err
    assert stdout.startswith("heard: '暖一点'") and "warmth +" in stdout
    code, stdout, _ = _cli(["explain", "--say", wav, "--json"], capsys)
    assert json.loads(stdout)["transcript"] == "暖一点"
    code, stdout, _ = _cli(["transcribe", wav], capsys)  # the plugin's own command
    assert code == 0 and stdout == "暖一点\n"


@pytest.mark.parametrize("case, message", [
    ("no model", f"no Whisper model is configured: set {ENV}"),
    ("bad audio", "cannot read audio file"),
    ("silent", "no words were heard"),
    ("unknown language", "does not know it"),
])
def test_say_errors_are_one_line_exit_2_and_write_nothing(case, message, model_env, wav, tmp_path, monkeypatch, capsys):
    say = wav
    language = []
    if case == "no model":
        monkeypatch.delenv(ENV, raising=False)
    else:
        model_env("silent" if case == "silent" else "no-yue")
    if case == "bad audio":
        say = tmp_path / "bad.mp3"
        say.write_bytes(b"\x00\x01 not an mp3" * 10)
    if case == "unknown language":
        language = ["--language", "yue"]
    out = tmp_path / "out.png"
    for argv in (["stylize", PHOTO, "--say", say, "-o", out, *language], ["explain", "--say", say, *language]):
        code, stdout, err = _cli(argv, capsys)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (argv, err)
        assert not out.exists()


def test_import_is_light():
    code = ("import importlib, sys, spokenstyle_speech.plugin; importlib.import_module('spokenstyle.cli.main').build_parser(); "
            "print(sorted(n for n in ('transformers', 'soundfile') if n in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


# --------------------------------------------------------------------------- installed
def _installed():
    try:
        metadata.distribution("spokenstyle-speech")
    except metadata.PackageNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("spokenstyle-speech is not installed; CI installs it (pip install --no-build-isolation -e plugins/spokenstyle-speech)")
        pytest.skip("spokenstyle-speech is not installed (pip install --no-build-isolation -e plugins/spokenstyle-speech)")


def test_installed_the_cli_hears_the_recording(models, tmp_path):
    _installed()
    env = {**os.environ, "SPOKENSTYLE_LOAD_PLUGINS": "speech", "SPOKENSTYLE_STRICT_PLUGINS": "1", ENV: str(models["warmer"])}
    listed = subprocess.run([sys.executable, "-m", "spokenstyle.cli", "plugins", "--json"], capture_output=True, text=True, env=env, timeout=300)
    entry = next(p for p in json.loads(listed.stdout)["plugins"] if p["name"] == "speech")
    assert entry["distribution"] == "spokenstyle-speech" and entry["status"] == "loaded"
    assert entry["components"] == [{"kind": "transcriber", "name": "whisper"}]
    mp3 = _tone(tmp_path / "look.mp3")
    out = tmp_path / "out.jpg"
    run = subprocess.run([sys.executable, "-m", "spokenstyle.cli", "stylize", str(PHOTO), "--say", str(mp3), "-o", str(out)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("heard: 'warmer'") and run.stderr == ""
    assert _warmth(out) > _warmth(PHOTO) + 0.02
