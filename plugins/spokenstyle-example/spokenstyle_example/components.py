"""The example's components, one per plugin kind, each following :mod:`spokenstyle.plugins.protocols`.

torch is imported inside the functions that need it, so the command (and ``--help``) stay fast.
"""

from __future__ import annotations

from typing import Any

import spokenstyle
from spokenstyle.plugins.protocols import Option, Options, StyleBackend

#: emoji -> (attribute amounts, what it is called in notes)
EMOJI = {
    "☀️": ({"warmth": 0.4, "brightness": 0.2}, "sunny"),
    "❄️": ({"warmth": -0.4}, "cold"),
    "🌙": ({"brightness": -0.3, "contrast": 0.2}, "night"),
    "🎞️": ({"fade": 0.3, "grain": 0.3}, "film"),
}


class EmojiEncoder:
    """Text encoder (:class:`spokenstyle.plugins.protocols.TextEncoder`): created once per engine with
    no arguments; ``encode`` never raises on text it does not understand, it reports it."""

    def encode(self, prompt: str) -> spokenstyle.StyleIntent:
        amounts: dict[str, float] = {}
        understood, notes = [], []
        rest = prompt
        for emoji, (effect, words) in EMOJI.items():
            if emoji in rest or emoji.rstrip("\ufe0f") in rest:
                rest = rest.replace(emoji, " ").replace(emoji.rstrip("\ufe0f"), " ")
                understood.append(emoji)
                for k, v in effect.items():
                    amounts[k] = max(-1.0, min(1.0, amounts.get(k, 0.0) + v))
                notes.append(f"{emoji} ({words}) -> " + ", ".join(f"{k} {v:+.2f}" for k, v in effect.items()))
        return spokenstyle.StyleIntent(attributes=amounts, understood=understood, ignored=rest.split(),
                                       notes=notes, prompt=prompt, encoder="example-emoji")


class Levels:
    """Generator (:class:`spokenstyle.plugins.protocols.Generator`): made by
    ``engine.generator("example-levels", levels=4)`` (the options are its factory's keyword
    arguments, one instance per set of options); called as ``levels(image)``."""

    def __init__(self, levels: int = 4) -> None:
        if isinstance(levels, bool) or not isinstance(levels, int) or not 2 <= levels <= 256:
            raise spokenstyle.UsageError(f"example-levels: levels={levels!r} must be a whole number from 2 to 256")
        self.levels = levels

    def __call__(self, image):
        n = self.levels - 1
        return (image * n).round() / n


class PosterizeBackend(StyleBackend):
    """Style backend (:class:`spokenstyle.plugins.protocols.StyleBackend`): no media, so the planner
    never picks it by itself; run it with ``backend="example-posterize"``. Its one option is
    declared once (name, default, help); ``@options.apply`` fills the default."""

    applies_look = False
    options = Options(Option("levels", 4, "colour levels per channel, 2-256"))

    @options.apply
    def stylize(self, content, intent, *, style=None, seed=None, engine=None, levels: int, **kwargs: Any):
        import torch

        make = engine.generator("example-levels", levels=levels) if engine is not None else Levels(levels)
        flat = make(content)
        return torch.lerp(content, flat, float(intent.strength)).clamp(0.0, 1.0)


def run_emoji(args) -> int:
    """CLI command (:class:`spokenstyle.plugins.protocols.Command`): ``func(args)`` returns the exit code."""
    intent = EmojiEncoder().encode(args.prompt)
    print(intent.to_json(indent=2) if args.json else intent.describe())
    return 0
