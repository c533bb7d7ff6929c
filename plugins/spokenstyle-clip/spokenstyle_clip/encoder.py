"""The ``clip`` and ``chinese-clip`` text encoders: a prompt's CLIP text feature, mapped to the
nearest built-in medium and look so the planner and ``grade`` keep working.

For each medium and look of spokenstyle's vocabulary, :mod:`.prototypes` gives a few English
and Chinese texts; a prototype's similarity to the prompt is the largest cosine similarity of
the prompt's CLIP text feature to one of its texts. The best medium, and the best look, are
taken when they beat the neutral texts ("a photo", 一张照片) by ``margin``; their lexicon
amounts and palette fill the intent. ``notes`` list the similarities (``spokenstyle explain``).

``StyleIntent.embedding`` keeps layout version 1 (attributes, medium, flags) with the CLIP
feature in the word slots ``[29:64]``: a fixed random projection (seed 0, Gaussian, the same
for every model of a width) of the normalised feature, L2-normalised, so generators see the
prompt's CLIP meaning in :data:`spokenstyle.EMBEDDING_DIM` floats.
"""

from __future__ import annotations

import math
import os
import unicodedata
from typing import Any

from spokenstyle.errors import UsageError
from spokenstyle.core.intent import EMBEDDING_DIM, StyleIntent, intent_embedding

from . import models
from .prototypes import NEUTRAL, prototypes

#: Where the CLIP feature goes in the embedding (layout version 1's word slots).
EMBED_START = 29
DEFAULT_MARGIN = 0.02


def _projection(width: int, rows: int):
    """A (rows, width) Gaussian projection, the same on every machine (numpy's PCG64, seed 0)."""
    import numpy as np
    import torch

    return torch.from_numpy(np.random.default_rng(0).standard_normal((rows, width)).astype("float32") / math.sqrt(rows))


class _ClipTextEncoder:
    """The shared implementation; ``family`` picks CLIP or Chinese-CLIP."""

    family = "clip"
    name = "clip"

    def __init__(self, model: str | os.PathLike | None = None, *, device: Any = "cpu", margin: float | None = None) -> None:
        self.bundle = models.load(model, self.family, device)
        if margin is None:
            env_margin = os.environ.get("SPOKENSTYLE_CLIP_MARGIN", "").strip()
            try:
                margin = float(env_margin) if env_margin else DEFAULT_MARGIN
            except ValueError:
                raise UsageError(f"SPOKENSTYLE_CLIP_MARGIN={env_margin!r} is not a number; use e.g. 0.02") from None
        self.margin = float(margin)
        self.prototypes = prototypes()
        texts = [t for p in self.prototypes for t in p.texts]
        feats = self.bundle.text_features(texts + list(NEUTRAL))
        self._proto_feats, self._neutral = feats[: len(texts)], feats[len(texts):]
        self._owner = [i for i, p in enumerate(self.prototypes) for _ in p.texts]
        self._proj = _projection(feats.shape[-1], EMBEDDING_DIM - EMBED_START)

    def similarities(self, prompt: str) -> tuple[dict[str, float], dict[str, float], float, Any]:
        """(medium -> similarity, look -> similarity, neutral similarity, the prompt's feature)."""
        import torch

        q = self.bundle.text_features([prompt])[0].cpu()
        sims = self._proto_feats.cpu() @ q
        best = torch.full((len(self.prototypes),), -2.0)
        best.scatter_reduce_(0, torch.tensor(self._owner), sims, reduce="amax")
        media = {p.name: float(best[i]) for i, p in enumerate(self.prototypes) if p.kind == "medium"}
        looks = {p.name: float(best[i]) for i, p in enumerate(self.prototypes) if p.kind == "look"}
        neutral = float((self._neutral.cpu() @ q).max())
        return media, looks, neutral, q

    def encode(self, prompt: str) -> StyleIntent:
        prompt = unicodedata.normalize("NFKC", prompt or "").strip()
        if not prompt:
            return StyleIntent(prompt="", encoder=self.name)
        media, looks, neutral, q = self.similarities(prompt)
        amounts: dict[str, float] = {}
        palette = None
        medium = None
        understood: list[str] = []
        notes = []
        for kind, table in (("medium", media), ("look", looks)):
            ranked = sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))
            name, sim = ranked[0]
            runners = ", ".join(f"{n} {s:.3f}" for n, s in ranked[1:4])
            taken = sim - neutral >= self.margin
            notes.append(
                f"clip: nearest {kind} {name} {sim:.3f} (next: {runners}; 'a photo' {neutral:.3f}) -> "
                + ("taken" if taken else f"not taken: not {self.margin:g} above 'a photo'")
            )
            if not taken:
                continue
            proto = next(p for p in self.prototypes if p.kind == kind and p.name == name)
            if kind == "medium":
                medium = name
            for attr, value in proto.amounts:
                amounts[attr] = max(-1.0, min(1.0, amounts.get(attr, 0.0) + value))
            palette = list(proto.palette) if proto.palette else palette
            understood.append(name)
        intent = StyleIntent(attributes=amounts, palette=palette, medium=medium, understood=understood,
                             notes=notes, prompt=prompt, encoder=self.name)
        emb = intent_embedding(intent)
        words = self._proj @ q.float()
        norm = float(words.norm())
        emb[EMBED_START:] = [round(float(v) / norm, 6) if norm > 0 else 0.0 for v in words]
        return intent.replace(embedding=emb)


class ClipTextEncoder(_ClipTextEncoder):
    """CLIP (``CLIPModel``); model from ``model=`` or ``SPOKENSTYLE_CLIP_MODEL``."""

    family = "clip"
    name = "clip"


class ChineseClipTextEncoder(_ClipTextEncoder):
    """Chinese-CLIP (``ChineseCLIPModel``, BERT text tower); model from ``model=`` or
    ``SPOKENSTYLE_CHINESE_CLIP_MODEL``."""

    family = "chinese-clip"
    name = "chinese-clip"
