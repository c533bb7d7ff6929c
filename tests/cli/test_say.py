"""``--say AUDIO`` in the core: the transcript of the first registered transcriber (the hook
``register_transcribers``) is the prompt; without one, a one-line error saying what to install.
The speech plugin's own tests (plugins/spokenstyle-speech) run the real Whisper plumbing."""

import json

import pytest
import torch

from harness.helpers import PHOTOS, run_cli
from harness.plugins import fake_plugin
from spokenstyle.cli import main
from spokenstyle.image import imageio
from spokenstyle.plugins.protocols import ContractError, check
from spokenstyle.plugins.testing import isolated_plugins


class Heard:
    """Hears what the last call set, and records the language it was asked for."""

    said = "warmer"
    languages: list = []

    def transcribe(self, path, language=None):
        Heard.languages.append(language)
        return Heard.said


@pytest.fixture
def audio(tmp_path):
    path = tmp_path / "look.wav"
    path.write_bytes(b"RIFF....WAVE")  # the fake transcriber never opens it
    return path


def _run(argv, capsys, said="warmer"):
    Heard.said, Heard.languages = said, []
    with isolated_plugins(fake_plugin(transcribers={"heard": Heard})):
        code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_say_shows_the_transcript_and_reads_it(audio, capsys):
    code, out, err = _run(["explain", "--say", str(audio), "--language", "zh"], capsys, said="  暖一点  ")
    assert code == 0, err
    assert out.startswith("heard: '暖一点'") and "warmth +" in out
    assert Heard.languages == ["zh"]
    code, out, _ = _run(["explain", "--say", str(audio), "--json"], capsys)
    data = json.loads(out)
    assert data["transcript"] == "warmer" and data["intent"]["attributes"]["warmth"] > 0
    assert Heard.languages == [None]  # auto


def test_stylize_say_makes_the_look_of_the_transcript(audio, tmp_path, capsys):
    out_path = tmp_path / "out.png"
    code, out, err = _run(["stylize", str(PHOTOS["coffee"]), "--say", str(audio), "-o", str(out_path), "--json"], capsys)
    assert code == 0, err
    record = json.loads(out)
    assert record["transcript"] == "warmer" and record["intent"]["attributes"]["warmth"] > 0
    photo, styled = (imageio.pil_to_tensor(imageio.open_image(p).convert("RGB")) for p in (PHOTOS["coffee"], out_path))
    r_minus_b = lambda x: float(x[0].mean() - x[2].mean())  # noqa: E731  (3, H, W)
    assert r_minus_b(styled) > r_minus_b(photo) + 0.01


@pytest.mark.parametrize("argv, said, message", [
    (["explain", "--say", "{audio}", "warmer"], "warmer", "not both"),
    (["explain"], "warmer", "no prompt"),
    (["explain", "--say", "{missing}"], "warmer", "does not exist"),
    (["explain", "--say", "{audio}"], "   ", "no words were heard"),
    (["explain", "warmer", "--language", "zh"], "warmer", "--language zh is the language of --say"),
    (["stylize", "{photo}", "--say", "{audio}", "-p", "cooler", "-o", "{out}"], "warmer", "not both"),
    (["stylize", "{photo}", "--say", "{audio}", "-o", "{out}"], "", "no words were heard"),
])
def test_say_mistakes_are_one_line_and_write_nothing(argv, said, message, audio, tmp_path, capsys):
    names = {"audio": audio, "missing": tmp_path / "nope.wav", "photo": PHOTOS["coffee"], "out": tmp_path / "out.png"}
    code, out, err = _run([a.format(**names) for a in argv], capsys, said=said)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out.png").exists()


def test_without_a_transcriber_say_says_what_to_install(audio, tmp_path):
    run = run_cli("explain", "--say", str(audio), env={"SPOKENSTYLE_LOAD_PLUGINS": ""})
    assert run.returncode == 2 and run.stderr.count("\n") == 1
    assert "install spokenstyle-speech" in run.stderr
    out = tmp_path / "out.png"
    run = run_cli("stylize", str(PHOTOS["coffee"]), "--say", str(audio), "-o", str(out), env={"SPOKENSTYLE_LOAD_PLUGINS": ""})
    assert run.returncode == 2 and "install spokenstyle-speech" in run.stderr and not out.exists()


def test_a_transcriber_that_breaks_is_one_line_naming_it(audio, capsys):
    class Broken:
        def transcribe(self, path, language=None):
            raise RuntimeError("CUDA out of memory\nwhile decoding")

    class Mute:
        def transcribe(self, path, language=None):
            return None

    for factory, message in ((Broken, "failed on --say"), (Mute, "returned NoneType, not text")):
        with isolated_plugins(fake_plugin("SpeechPlugin", transcribers={"broken": factory})):
            code = main(["explain", "--say", str(audio)])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert "transcriber 'broken' from plugin 'SpeechPlugin'" in err and message in err


def test_look_fixes_the_prompt_so_say_is_refused(audio, tmp_path, capsys):
    look = tmp_path / "look.json"
    code, _, err = _run(["stylize", str(PHOTOS["coffee"]), "-p", "warmer", "-o", str(tmp_path / "a.png"), "--save-look", str(look)], capsys)
    assert code == 0, err
    code, _, err = _run(["stylize", str(PHOTOS["coffee"]), "--look", str(look), "--say", str(audio), "-o", str(tmp_path / "b.png")], capsys)
    assert code == 2 and "--look fixes the look; drop --say" in err


def test_the_transcriber_contract_is_checked():
    check(Heard, "transcriber", "test")
    check(Heard(), "transcriber", "test")

    class Deaf:
        def listen(self, path):
            return ""

    class Monolingual:
        def transcribe(self, path):
            return ""

    with pytest.raises(ContractError, match="has no transcribe"):
        check(Deaf, "transcriber", "test", name="deaf")
    with pytest.raises(ContractError, match="does not accept the keyword argument"):
        check(Monolingual(), "transcriber", "test", name="mono")
