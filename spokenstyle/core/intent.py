"""StyleIntent: the one contract between words and images.

Every text encoder produces a :class:`StyleIntent`; every style backend consumes one. It is a
plain dataclass that round-trips through JSON (``to_json`` / ``from_json``) and explains itself
to humans (``describe``, printed by ``spokenstyle explain``).

Look attributes are signed amounts in [-1, 1]; 0 means "leave it alone". The plain word ("warmer",
"暖") is about 0.4, "a bit" about half of that, "very" about 1.6 times, "super" about twice.

=============  ==========================================  ==========================================
attribute      positive                                    negative
=============  ==========================================  ==========================================
warmth         warmer (towards yellow/orange)              cooler (towards blue)
tint           towards magenta / pink                      towards green
saturation     more colourful                              less colourful; -1 is black and white
vibrance       boosts muted colours, spares vivid ones     mutes muted colours
contrast       S-curve around mid-grey                     flatter tones
brightness     lighter mid-tones (black and white fixed)   darker mid-tones
exposure       more light (linear gain, in stops)          less light
shadows        lifts the shadows                           deepens the shadows
fade           lifted blacks, matte film look              (no effect)
grain          film grain (seeded)                         (no effect)
vignette       darker corners                              lighter corners
sharpness      crisper detail                              softer, dreamier
=============  ==========================================  ==========================================

The ``embedding`` is a fixed-size vector (:data:`EMBEDDING_DIM` = 64 floats) for generators,
computed deterministically by :func:`intent_embedding` from the attributes, the medium, the
flags and a hashed bag of the understood words. Layout (version 1):

* ``[0:12]``  the attributes, in :data:`ATTRIBUTES` order;
* ``[12:24]`` one-hot medium, in :data:`MEDIA` order (all zero without a medium); the last slot
  is "another medium" for media this version does not list;
* ``[24]`` preserve_color (0/1), ``[25]`` strength, ``[26:29]`` mean palette colour (0 without);
* ``[29:64]`` a signed hashed bag of the understood words (35 buckets, L2-normalised).

An encoder with its own embedding (a neural one) may fill ``embedding`` with anything of
length :data:`EMBEDDING_DIM`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

ATTRIBUTES: tuple[str, ...] = (
    "warmth",
    "tint",
    "saturation",
    "vibrance",
    "contrast",
    "brightness",
    "exposure",
    "shadows",
    "fade",
    "grain",
    "vignette",
    "sharpness",
)

#: Artistic media the lexicon knows. A style backend declares which of them it renders.
MEDIA: tuple[str, ...] = (
    "oil_painting",
    "watercolor",
    "pencil_sketch",
    "ink_wash",
    "mosaic",
    "pixel_art",
    "comic",
    "neon",
    "vintage_film",
    "impressionist",
    "stained_glass",
)

EMBEDDING_DIM = 64
_HASH_START = len(ATTRIBUTES) + len(MEDIA) + 1 + 5  # 29
_HASH_BUCKETS = EMBEDDING_DIM - _HASH_START  # 35

#: What a prompt can ask the grade to protect ("keep the highlights", 别过曝, 保留肤色): the
#: look still applies, but these regions are not pushed into clipping or off their colour.
PROTECT: tuple[str, ...] = ("highlights", "shadows", "skin")

SCHEMA_VERSION = 1


def check_strength(value: Any) -> float:
    """``strength=`` as a float in [0, 1]: the one check, for StyleIntent, the engine's
    argument, the CLI's ``--strength`` and look files."""
    if isinstance(value, str):  # float("0.5") would pass; a strength is a number, not text
        raise UsageError(f"strength={value!r} is text; use a number between 0 and 1 (0 = unchanged, 1 = the full look)")
    try:
        strength = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"strength={value!r} is not a number; use a number between 0 and 1") from None
    if not 0.0 <= strength <= 1.0:  # NaN fails too
        raise UsageError(f"strength={strength:g} is out of range; use a number between 0 and 1 (0 = unchanged, 1 = the full look)")
    return strength


def _is_hex_colour(value: str) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 7
        and value[0] == "#"
        and all(c in "0123456789abcdefABCDEF" for c in value[1:])
    )


def hex_to_rgb(value: str) -> tuple[float, float, float]:
    """'#rrggbb' -> (r, g, b) floats in [0, 1] (sRGB)."""
    if not _is_hex_colour(value):
        raise UsageError(f"palette colour {value!r} is not a '#rrggbb' hex string")
    return tuple(int(value[i : i + 2], 16) / 255.0 for i in (1, 3, 5))  # type: ignore[return-value]


@dataclass
class StyleIntent:
    """What a prompt asks for. Build one with a text encoder (``Engine.encode``) or by hand.

    attributes:      signed amounts in [-1, 1] for every name in :data:`ATTRIBUTES` (missing
                     names are filled with 0; unknown names are an error).
    palette:         optional '#rrggbb' colours for split toning: the first tints the shadows,
                     the last the highlights.
    medium:          optional artistic medium (one of :data:`MEDIA`, or a plugin's own name).
    strength:        0 = return the photo unchanged, 1 = the look as described.
    preserve_color:  keep the photo's own colours (hue and chroma); only tones change.
    protect:         regions the look must not spoil, from :data:`PROTECT`: "highlights" (no
                     new clipped whites), "shadows" (no new crushed blacks), "skin" (skin
                     tones keep their colour).
    understood:      the phrases of the prompt that had an effect, in order.
    ignored:         words that were not understood (never an error).
    suggestions:     for ignored words, known words they may have meant ("did you mean"):
                     ``{"fillmic": ["filmic"]}``.
    notes:           every decision, in words ("'有点暖' -> warmth +0.20 (有点 x0.5)").
    embedding:       :data:`EMBEDDING_DIM` floats for generators (computed when left empty).
    prompt:          the text the intent came from; encoder: the text encoder's name.
    """

    attributes: dict[str, float] = field(default_factory=dict)
    palette: list[str] | None = None
    medium: str | None = None
    strength: float = 1.0
    preserve_color: bool = False
    protect: list[str] = field(default_factory=list)
    understood: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    embedding: list[float] = field(default_factory=list)
    prompt: str = ""
    encoder: str = ""

    def __post_init__(self) -> None:
        attrs = dict(self.attributes or {})
        unknown = sorted(set(attrs) - set(ATTRIBUTES))
        if unknown:
            raise UsageError(
                f"StyleIntent(attributes=...) has unknown attribute(s) {unknown}; "
                f"the attributes are {', '.join(ATTRIBUTES)}"
            )
        clean = {}
        for name in ATTRIBUTES:
            value = float(attrs.get(name, 0.0))
            if not math.isfinite(value):
                raise UsageError(f"StyleIntent attribute {name!r} is {value}; use a number in [-1, 1]")
            clean[name] = round(max(-1.0, min(1.0, value)), 4) + 0.0  # +0.0 turns -0.0 into 0.0
        self.attributes = clean
        if self.palette is not None:
            palette = [str(c).lower() for c in self.palette]
            for c in palette:
                hex_to_rgb(c)  # validates
            self.palette = palette or None
        self.strength = check_strength(self.strength)
        self.preserve_color = bool(self.preserve_color)
        self.medium = str(self.medium) if self.medium else None
        self.understood = [str(s) for s in self.understood]
        self.ignored = [str(s) for s in self.ignored]
        protect = [str(p) for p in (self.protect or [])]
        bad = sorted(set(protect) - set(PROTECT))
        if bad:
            raise UsageError(f"StyleIntent(protect=...) has unknown region(s) {bad}; use some of {', '.join(PROTECT)}")
        self.protect = [p for p in PROTECT if p in protect]  # canonical order, no repeats
        if not isinstance(self.suggestions or {}, dict):
            raise UsageError("StyleIntent(suggestions=...) must map an ignored word to a list of known words")
        self.suggestions = {str(k): [str(w) for w in v] for k, v in (self.suggestions or {}).items()}
        self.notes = [str(s) for s in self.notes]
        if self.embedding:
            emb = [float(v) for v in self.embedding]
            if len(emb) != EMBEDDING_DIM:
                raise UsageError(
                    f"StyleIntent(embedding=...) has {len(emb)} values; it must have {EMBEDDING_DIM}"
                )
            self.embedding = emb
        else:
            self.embedding = intent_embedding(self)

    # ----------------------------------------------------------------------------- queries
    def __getitem__(self, name: str) -> float:
        """``intent["warmth"]``: the amount of one attribute."""
        return self.attributes[name]

    @property
    def changed(self) -> dict[str, float]:
        """The attributes that are not 0."""
        return {k: v for k, v in self.attributes.items() if v != 0.0}

    @property
    def is_identity(self) -> bool:
        """True when applying this intent cannot change a photo."""
        return self.strength == 0.0 or (
            not self.changed and not self.palette and self.medium is None
        )

    def replace(self, **changes: Any) -> "StyleIntent":
        """A copy with some fields changed (the embedding is recomputed unless given)."""
        if "embedding" not in changes:
            changes["embedding"] = []
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["version"] = SCHEMA_VERSION
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StyleIntent":
        data = dict(data)
        version = data.pop("version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise UsageError(f"StyleIntent version {version} is not supported (this spokenstyle reads {SCHEMA_VERSION})")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise UsageError(f"StyleIntent JSON has unknown field(s) {unknown}")
        return cls(**data)

    def to_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> "StyleIntent":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"StyleIntent JSON is malformed: {exc}") from None
        if not isinstance(data, dict):
            raise UsageError("StyleIntent JSON must be an object")
        return cls.from_dict(data)

    # ------------------------------------------------------------------------------ humans
    def describe(self) -> str:
        """A short explanation: what changes, the medium, the flags, and every decision."""
        lines = []
        if self.prompt:
            lines.append(f"prompt: {self.prompt}")
        changed = self.changed
        if changed:
            lines.append(
                "look: " + ", ".join(f"{k} {v:+.2f}" for k, v in changed.items())
            )
        else:
            lines.append("look: no change")
        if self.palette:
            lines.append("split toning: shadows " + self.palette[0] + ", highlights " + self.palette[-1])
        if self.medium:
            lines.append(f"medium: {self.medium.replace('_', ' ')}")
        if self.preserve_color:
            lines.append("keep the original colours: yes")
        if self.protect:
            lines.append("protect: " + ", ".join(self.protect))
        if self.strength != 1.0:
            lines.append(f"strength: {self.strength:g}")
        if self.understood:
            lines.append("understood: " + ", ".join(repr(s) for s in self.understood))
        if self.ignored:
            lines.append("ignored: " + ", ".join(repr(s) for s in self.ignored))
        for word, options in self.suggestions.items():
            lines.append(f"did you mean: {word!r} -> " + " or ".join(repr(o) for o in options) + "?")
        lines.extend("  - " + n for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()


def _bucket(token: str) -> tuple[int, float]:
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % _HASH_BUCKETS, (1.0 if (value >> 63) & 1 else -1.0)


def intent_embedding(intent: StyleIntent) -> list[float]:
    """The deterministic :data:`EMBEDDING_DIM`-vector of an intent (layout in the module doc)."""
    vec = [0.0] * EMBEDDING_DIM
    for i, name in enumerate(ATTRIBUTES):
        vec[i] = intent.attributes.get(name, 0.0)
    base = len(ATTRIBUTES)
    if intent.medium:
        idx = MEDIA.index(intent.medium) if intent.medium in MEDIA else len(MEDIA)
        vec[base + idx] = 1.0
    base += len(MEDIA) + 1
    vec[base] = 1.0 if intent.preserve_color else 0.0
    vec[base + 1] = intent.strength
    if intent.palette:
        rgb = [hex_to_rgb(c) for c in intent.palette]
        for ch in range(3):
            vec[base + 2 + ch] = sum(c[ch] for c in rgb) / len(rgb)
    bag = [0.0] * _HASH_BUCKETS
    for token in intent.understood:
        b, sign = _bucket(token.lower())
        bag[b] += sign
    norm = math.sqrt(sum(v * v for v in bag))
    if norm > 0:
        for i, v in enumerate(bag):
            vec[_HASH_START + i] = v / norm
    return [round(v, 6) for v in vec]
