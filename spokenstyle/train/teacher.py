"""Distillation targets for the ``transform`` generator: what a slower backend draws.

A perceptual GAN on a dozen photos learns the media slowly and in its own way (the format-2 run
of benchmarks/RESULTS.md laid stripes after 2,300 steps); the ``adain`` backend already paints
every medium well, three times slower. With ``teacher="adain"`` the trainer renders each
training photo in each medium once, with the backend exactly as ``spokenstyle stylize -p MEDIUM
--backend adain`` runs it, and the generator learns to draw the same picture in one pass: a
paired target per crop, on top of the Gram and adversarial terms (which then use these targets
as their style images, so the discriminator judges the teacher's texture, not an exemplar's).

The targets are rendered whole (the teacher's AdaIN normalises over the photo, so a crop's
target is the whole photo's render, cropped) at a few sizes, and views are cut from them at
their own scale: a brush stroke is as many pixels wide in training as in use. The look is
applied to a view's target by the ``grade`` backend (per-pixel, so grading a crop equals
cropping the graded photo), the strength as a blend with the photo.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from ..errors import UsageError

#: Backends a generator may be distilled from: feed-forward texture backends that paint a
#: medium from the prompt alone.
TEACHERS = ("adain",)
#: The long sides the photos are rendered at, as fractions of ``teacher_size``.
SCALES = (1.0, 0.7)


def check(name: Any) -> str | None:
    if name is None or name == "":
        return None
    if name not in TEACHERS:
        raise UsageError(f"--teacher {name!r} is not a teacher backend; choose one of {', '.join(TEACHERS)} (or none)")
    return name


@torch.no_grad()
def render(engine, photos: Sequence[torch.Tensor], media: Sequence[str], backend: str, size: int, crop: int,
           progress: bool = False) -> list[tuple[torch.Tensor, dict[str, torch.Tensor]]]:
    """(photo, {medium: the backend's render}) at each of :data:`SCALES` of ``size``, for every
    photo whose short side there is at least ``crop``: the pairs views are cut from (CPU floats)."""
    from tqdm import tqdm

    from ..builtins.texture import resize_long
    from ..core.intent import StyleIntent

    scaled = []
    for photo in photos:
        for s in SCALES:
            x = resize_long(photo.unsqueeze(0).float(), max(crop, round(size * s)))
            if min(x.shape[-2:]) >= crop:
                scaled.append(x)
    if not scaled:
        raise UsageError(f"--teacher: no photo has a short side of --crop {crop} px at --teacher-size {size}; "
                         "lower --crop or raise --teacher-size")
    pairs = []
    bar = tqdm(total=len(scaled) * len(media), desc=f"rendering {backend} targets", unit="image", disable=not progress)
    for x in scaled:
        targets = {}
        for medium in media:
            out = engine.stylize(x.to(engine.device), intent=StyleIntent(medium=medium), backend=backend)
            targets[medium] = out.tensor.reshape(x.shape[1:]).float().cpu().clamp(0.0, 1.0)
            bar.update(1)
        pairs.append((x[0], targets))
    bar.close()
    return pairs


def paired_view(pairs, medium: str, crop: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One (photo, target) view: the same random crop box, flip and quarter turn of both, at the
    render's own scale (no resampling)."""
    photo, targets = pairs[int(torch.randint(len(pairs), (1,), generator=gen))]
    target = targets[medium]
    h, w = photo.shape[-2:]
    y = int(torch.randint(h - crop + 1, (1,), generator=gen))
    x = int(torch.randint(w - crop + 1, (1,), generator=gen))
    both = torch.stack([photo[:, y : y + crop, x : x + crop], target[:, y : y + crop, x : x + crop]])
    if float(torch.rand((), generator=gen)) < 0.5:
        both = both.flip(-1)
    both = torch.rot90(both, int(torch.randint(4, (1,), generator=gen)), dims=(-2, -1))
    return both[0].contiguous(), both[1].contiguous()


def finish(photo: torch.Tensor, target: torch.Tensor, medium: str, look: dict, strength: float) -> torch.Tensor:
    """The target for an intent: the render graded with ``look``, blended with the photo by
    ``strength`` (what the planner's backend-then-grade pipeline does at that strength)."""
    from ..builtins.grade import grade
    from ..core.intent import StyleIntent

    if look:
        target = grade(target.unsqueeze(0), StyleIntent(medium=medium, attributes=look))[0]
    if strength != 1.0:
        target = torch.lerp(photo, target, strength)
    return target.clamp(0.0, 1.0)
