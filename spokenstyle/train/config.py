"""The settings both of spokenstyle's trainers take, with one meaning: :class:`TrainingConfig`,
the base of the AdaIN decoder's :class:`~spokenstyle.train.adain.TrainConfig` and the transform
generator's :class:`~spokenstyle.train.transform.FitConfig`.

A default the two trainers share is written here; one they differ on (``steps``,
``style_weight``, ``recon_fraction``) is written by each trainer's config, which lists it again.
Each config checks its own fields (its messages name its CLI flags).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainingConfig:
    """What every spokenstyle training run is told (fields without a default here get one from
    each trainer's config)."""

    #: Optimisation steps of the whole run (a resumed run counts the steps done before).
    steps: int
    #: Weight of the style loss (each trainer's own style loss: see its module).
    style_weight: float
    #: Share of the samples that reproduce the photo (strength/alpha 0: an L1 pixel loss).
    recon_fraction: float
    #: Samples per step.
    batch: int = 4
    #: Side of the square training views, in pixels.
    crop: int = 128
    #: Seeds the initial weights and every random draw: one seed, one run, bit for bit on a CPU.
    seed: int = 0
    #: ``auto`` (bfloat16 autocast where the CPU runs it natively, see
    #: :mod:`spokenstyle.core.precision`), ``float32`` or ``bfloat16``; what runs at it is the
    #: trainer's to say.
    precision: str = "auto"
    #: Weight of the pixel loss of the samples that reproduce the photo.
    pixel_weight: float = 10.0

    def _check_precision(self) -> None:
        """``precision`` checked and written in its canonical spelling (``--precision`` errors)."""
        from ..core.precision import check

        self.precision = check(self.precision, "--precision")
