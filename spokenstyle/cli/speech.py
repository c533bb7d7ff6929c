"""``--say AUDIO`` for ``spokenstyle stylize`` and ``explain``: the look said aloud.

The core transcribes nothing itself: it asks the first registered *transcriber*
(:class:`spokenstyle.plugins.protocols.Transcriber`, hook ``register_transcribers``; the
first-party plugin ``spokenstyle-speech`` registers ``whisper``) for the transcript, then hands
that text to the configured text encoder as if it had been typed. Without a transcriber,
``--say`` is a one-line error (exit 2) saying what to install. Nothing here imports an audio or
speech library.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SpokenstyleError, UsageError
from ..plugins.protocols import PluginError

INSTALL_HINT = "install spokenstyle-speech (pip install plugins/spokenstyle-speech, or pip install spokenstyle-speech)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The two flags, the same on every command that takes a prompt."""
    p.add_argument("--say", metavar="AUDIO", default=None,
                   help="the look said aloud: a WAV/FLAC/MP3 recording, transcribed by a speech plugin "
                   "(spokenstyle-speech) and read like a typed prompt")
    p.add_argument("--language", metavar="LANG", default=None,
                   help="the language spoken in --say AUDIO: auto (default) or a code such as en, zh, yue")


def language_of(args: argparse.Namespace) -> str | None:
    """``--language`` as the transcriber takes it: None for auto."""
    lang = getattr(args, "language", None)
    if lang is None or lang.strip().lower() in ("", "auto"):
        return None
    if getattr(args, "say", None) is None:
        raise UsageError(f"--language {lang} is the language of --say AUDIO; pass --say too, or drop --language")
    return lang.strip().lower()


def transcriber(plugins=None):
    """The first registered transcriber, created: ``(its Component, the transcriber)``; a UsageError naming the
    plugin to install when there is none."""
    from ..plugins.manager import get_plugin_manager

    pm = plugins if plugins is not None else get_plugin_manager()
    found = pm.loadable("transcriber")
    if not found:
        raise UsageError(f"--say needs a speech transcriber and none is installed; {INSTALL_HINT}")
    comp, _factory = found[0]
    return comp, comp.create()


def heard(args: argparse.Namespace) -> str | None:
    """The transcript of ``--say AUDIO`` (None without ``--say``), checked: the file exists, a
    transcriber is installed, and it heard words."""
    language = language_of(args)
    if args.say is None:
        return None
    path = Path(args.say)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise UsageError(f"--say '{path}' {what}; pass an audio file (WAV, FLAC or MP3)")
    comp, component = transcriber()
    who = f"transcriber '{comp.name}' from plugin '{comp.plugin}'"
    try:
        text = component.transcribe(str(path), language=language)
    except (SpokenstyleError, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin's bug: one line naming it, not a traceback
        detail = " ".join(str(exc).split())[:200]
        raise PluginError(f"{who} failed on --say '{path}': {type(exc).__name__}: {detail}") from exc
    if not isinstance(text, str):
        raise PluginError(f"{who} returned {type(text).__name__}, not text, for --say '{path}'")
    text = " ".join(text.split())
    if not text:
        raise UsageError(f"--say '{path}': no words were heard; record the look again, closer and louder, or type it with -p")
    return text
