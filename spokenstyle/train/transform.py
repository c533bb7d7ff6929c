"""Training the ``transform`` generator: a GAN with perceptual losses (``spokenstyle train
transform``, or :func:`fit` from Python).

Each step draws a batch of augmented content views (:mod:`spokenstyle.train.data`) and, per
sample, a medium, a style target of that medium, a look and a strength:

* style targets are the built-in ``exemplar`` generator's images of the medium (a pool made
  once from the seed, ``exemplars`` per medium; a fraction graded with a random look, which
  the sample's intent then carries, so the network learns to follow the look words) and/or
  the user's style images for it (``styles = {medium: folder}``);
* the strength is 1 for most samples, uniform in (0, 1) for a quarter, 0 for
  ``recon_fraction`` of them (those reproduce the photo: an L1 pixel loss).

With a ``teacher`` (:mod:`spokenstyle.train.teacher`), a slower backend's renders of the
photos replace the exemplars: each sample is a view of a photo and the same view of its render
in the medium (graded with the sample's look, blended by its strength), which is then the
sample's style image and, through ``teacher_weight`` × (L1 of the pixels + the mean squared
distance of the scaled features at relu1_1..relu4_1), its paired target.

The generator's loss (per sample, then averaged): content (features at ``content_layer``) +
strength × (style_weight × Gram style loss at relu1_1..relu4_1 against the target +
adv_weight × non-saturating adversarial loss) + tv_weight × total variation + the pixel loss
of the strength-0 samples + a penalty on values outside [0, 1] (the losses see the clamped
output, straight-through, as the AdaIN trainer's do). The discriminator
(:class:`~spokenstyle.nn.PatchDiscriminator`, texture at several scales) sees the image with
the medium's one-hot as extra constant planes (a conditional discriminator at the cost of a
1×1 convolution), real = style targets, fake = outputs; logistic loss and lazy R1 every
``r1_every`` steps. Adam for both.

The output folder gets, as it goes: ``transform.safetensors`` (the generator, usable by the
``transform`` backend), ``state.safetensors`` (everything, for ``resume``: continuing gives the
same parameters, bit for bit on a CPU, as an uninterrupted run), ``losses.csv`` and
``samples/step_NNNNNN.png`` (fixed photos × media). With a fixed seed every run is the same.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from ..encoders import DEFAULT as DEFAULT_ENCODER
from ..errors import UsageError
from . import data, losses
from .config import TrainingConfig

STATE_FORMAT = "spokenstyle.transform_train_state/1"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
#: Look attributes an exemplar is graded with when a random look is drawn (colour and tone:
#: what a Gram style loss can see).
LOOK_ATTRIBUTES = ("warmth", "tint", "saturation", "contrast", "brightness", "fade")
#: Config fields that fix the networks' shapes: a resumed run must keep them.
ARCHITECTURE = ("media", "widths", "blocks", "mapping_layers", "w_dim", "d_channels", "d_heads", "encoder",
                "content_layer", "exemplars", "exemplar_size", "look_fraction", "styles", "seed", "batch",
                "teacher", "teacher_size")


def _default_media() -> tuple[str, ...]:
    from ..builtins.texture import TEXTURE_MEDIA

    return TEXTURE_MEDIA


@dataclass
class FitConfig(TrainingConfig):
    """Everything a training run needs; a JSON config file holds any subset of these fields.
    The fields both trainers share are :class:`~spokenstyle.train.config.TrainingConfig`'s
    (``precision``: the loss encoder under bfloat16 autocast where the CPU runs it natively;
    the generator, the discriminator and the losses stay float32)."""

    steps: int = 4000
    style_weight: float = 10.0
    recon_fraction: float = 0.1
    data: str = "data/photos/train"
    out: str = "runs/transform"
    media: tuple[str, ...] = field(default_factory=_default_media)
    #: Style images per medium: {"watercolor": "my/watercolours"}; added to the exemplars.
    styles: dict[str, str] = field(default_factory=dict)
    exemplars: int = 8
    exemplar_size: int = 256
    look_fraction: float = 0.5
    encoder: str = DEFAULT_ENCODER
    content_layer: str = "relu3_1"
    #: "auto" (CUDA when available, under torchrun each process its own GPU), "cpu", "cuda", "cuda:N".
    device: str = "auto"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    content_weight: float = 1.0
    tv_weight: float = 0.0
    adv_weight: float = 0.05
    #: A backend to distil (``"adain"``, :mod:`spokenstyle.train.teacher`): its renders of the
    #: photos become paired targets and the style images of the Gram and adversarial terms.
    teacher: str | None = None
    #: Weight of the paired term: L1 of the pixels plus the features' squared distance.
    teacher_weight: float = 1.0
    #: Long side the photos are rendered at by the teacher (and at 0.7 of it).
    teacher_size: int = 512
    r1_gamma: float = 1.0
    r1_every: int = 16
    d_channels: tuple[int, ...] = (32, 64, 128, 128)
    d_heads: int = 2
    widths: tuple[int, ...] = (16, 32, 64, 64)
    blocks: int = 4
    mapping_layers: int = 3
    w_dim: int = 128
    checkpoint_every: int = 250
    sample_every: int = 250
    #: A state file to continue from ("auto": OUT/state.safetensors).
    resume: str | None = None
    progress: bool = True

    # ------------------------------------------------------------------ building one
    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, what: str = "config") -> "FitConfig":
        """A config from a dict (e.g. a JSON file): unknown keys are an error naming them."""
        if not isinstance(values, Mapping):
            raise UsageError(f"{what} must be a JSON object of training options, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(f"{what} has unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        cfg = cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items()})
        return cfg

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "FitConfig":
        p = Path(path)
        try:
            values = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"--config '{path}' does not exist") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise UsageError(f"--config '{path}' is not a readable JSON file ({exc})") from None
        return cls.from_mapping(values, what=f"--config '{path}'")

    def check(self) -> None:
        from ..core.intent import MEDIA

        def positive(name: str, lo: int = 1) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise UsageError(f"--{name.replace('_', '-')} {v!r} must be an integer >= {lo}")

        def number(name: str, lo: float = 0.0, hi: float = math.inf) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= v <= hi) or not math.isfinite(v):
                raise UsageError(f"--{name.replace('_', '-')} {v!r} must be a number in [{lo:g}, {hi:g}]")

        for name in ("steps", "batch", "crop", "r1_every", "checkpoint_every", "sample_every", "d_heads", "blocks",
                     "mapping_layers", "w_dim"):
            positive(name, 0 if name == "blocks" else 1)
        positive("exemplars", 0)
        positive("exemplar_size", 16)
        positive("seed", 0)
        for name in ("lr_g", "lr_d"):
            number(name, 1e-8, 1.0)
        for name in ("content_weight", "style_weight", "tv_weight", "pixel_weight", "adv_weight", "r1_gamma",
                     "teacher_weight"):
            number(name)
        from . import teacher

        self.teacher = teacher.check(self.teacher)
        positive("teacher_size", 16)
        if self.teacher and self.styles:
            raise UsageError(f"--style with --teacher {self.teacher}: the teacher's renders are the style targets; "
                             "train on your style images without --teacher")
        if self.teacher and self.teacher_size < self.crop:
            raise UsageError(f"--teacher-size {self.teacher_size} must be at least --crop {self.crop}: views are cut "
                             "from the teacher's renders at their own scale")
        self._check_precision()
        if not isinstance(self.device, str) or not self.device.strip():
            raise UsageError(f"--device {self.device!r} must be auto, cpu, cuda or cuda:N")
        number("recon_fraction", 0.0, 1.0)
        number("look_fraction", 0.0, 1.0)
        if isinstance(self.media, str):
            self.media = tuple(m.strip() for m in self.media.split(",") if m.strip())
        self.media = tuple(self.media)
        if not self.media:
            raise UsageError("--media is empty; name at least one medium, e.g. --media watercolor,oil_painting")
        bad = [m for m in self.media if m not in MEDIA]
        if bad:
            raise UsageError(f"--media: unknown medium {bad[0]!r}; the built-in media are {', '.join(MEDIA)}")
        if len(set(self.media)) != len(self.media):
            raise UsageError(f"--media {','.join(self.media)} lists a medium twice")
        if not isinstance(self.styles, Mapping):
            raise UsageError("styles must map a medium to a folder of style images, e.g. {\"watercolor\": \"scans/\"}")
        for medium in self.styles:
            if medium not in self.media:
                raise UsageError(f"--style {medium}=...: {medium!r} is not one of the media trained (--media {','.join(self.media)})")
        if self.exemplars == 0:
            missing = [m for m in self.media if m not in self.styles]
            if missing:
                raise UsageError(f"--exemplars 0 leaves {missing[0]} without style images; give --style {missing[0]}=DIR or exemplars")
        self.widths = tuple(self.widths)
        self.d_channels = tuple(self.d_channels)
        multiple = 2 ** len(self.d_channels)
        if self.crop % multiple or self.crop < 4 * multiple:
            raise UsageError(f"--crop {self.crop} must be a multiple of {multiple} and at least {4 * multiple} "
                             f"(the discriminator halves it {len(self.d_channels)} times)")
        from ..nn.transform import TransformConfig

        try:
            TransformConfig(widths=self.widths, blocks=self.blocks, mapping_layers=self.mapping_layers,
                            w_dim=self.w_dim, media=",".join(self.media))
        except UsageError as exc:
            raise UsageError(f"generator architecture: {exc}") from None
        if self.resume is not None and not isinstance(self.resume, str):
            raise UsageError(f"--resume {self.resume!r} must be a path or 'auto'")

    def net_config(self):
        from ..nn.transform import TransformConfig

        return TransformConfig(widths=self.widths, blocks=self.blocks, mapping_layers=self.mapping_layers,
                               w_dim=self.w_dim, media=",".join(self.media))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


@dataclass
class FitResult:
    net: Any
    history: list[dict[str, float]]
    out: Path
    weights: Path
    state: Path
    rank: int = 0
    world_size: int = 1
    device: str = "cpu"


# ---------------------------------------------------------------------------- style pool
def style_pool(config: FitConfig, make: Callable[..., torch.Tensor] | None = None) -> dict[str, list[tuple[torch.Tensor, dict]]]:
    """Per medium, (image (3, H, W), look attributes) pairs: ``exemplars`` exemplars (a
    ``look_fraction`` of them graded with a random look) and the medium's style images. A
    function of the config alone (its own generators), so a resumed run rebuilds it exactly."""
    from ..core.intent import StyleIntent

    if make is None:
        from ..builtins.exemplar import ExemplarGenerator

        make = ExemplarGenerator()
    gen = torch.Generator().manual_seed(config.seed * 7919 + 17)
    pool: dict[str, list[tuple[torch.Tensor, dict]]] = {}
    for mi, medium in enumerate(config.media):
        items = []
        for i in range(config.exemplars):
            intent = StyleIntent(medium=medium, attributes=random_look(config.look_fraction, gen))
            img = make(intent, size=config.exemplar_size, seed=config.seed * 100003 + mi * 1009 + i)
            items.append((img[0].cpu().float(), dict(intent.changed)))
        if medium in config.styles:
            for img in data.load_folder(config.styles[medium], what=f"--style {medium}="):
                items.append((img, {}))
        pool[medium] = items
    return pool


def random_look(fraction: float, gen: torch.Generator) -> dict[str, float]:
    """With probability ``fraction``, one or two of :data:`LOOK_ATTRIBUTES` at a random amount
    and sign (fade only lifts); otherwise no look."""
    look: dict[str, float] = {}
    if float(torch.rand((), generator=gen)) < fraction:
        for _ in range(int(torch.randint(1, 3, (1,), generator=gen))):
            name = LOOK_ATTRIBUTES[int(torch.randint(len(LOOK_ATTRIBUTES), (1,), generator=gen))]
            amount = (0.2, 0.4, 0.7)[int(torch.randint(3, (1,), generator=gen))]
            sign = 1.0 if name == "fade" or float(torch.rand((), generator=gen)) < 0.5 else -1.0
            look[name] = sign * amount
    return look


def _embedding(medium: str, look: dict, strength: float) -> list[float]:
    from ..core.intent import StyleIntent

    return StyleIntent(medium=medium, attributes=look, strength=strength).embedding


def _draw_strength(config: FitConfig, gen: torch.Generator) -> float:
    r = float(torch.rand((), generator=gen))
    u = float(torch.rand((), generator=gen))
    return round(0.0 if r < config.recon_fraction else (u if r < config.recon_fraction + 0.25 else 1.0), 4)


def draw_batch(photos, pool, config: FitConfig, gen: torch.Generator, pairs=None) -> dict[str, torch.Tensor]:
    """One training batch: content views, style views, embeddings, strengths, media indices.

    With ``pairs`` (the teacher's renders, :func:`spokenstyle.train.teacher.render`) each
    sample is a view of a photo and its render's same view, graded and blended for the
    sample's look and strength: the "style" is then the sample's own target."""
    if pairs is not None:
        from . import teacher

        content, styles, embs, strengths, media = [], [], [], [], []
        for _ in range(config.batch):
            mi = int(torch.randint(len(config.media), (1,), generator=gen))
            medium = config.media[mi]
            photo, target = teacher.paired_view(pairs, medium, config.crop, gen)
            look = random_look(config.look_fraction, gen)
            strength = _draw_strength(config, gen)
            content.append(photo)
            styles.append(teacher.finish(photo, target, medium, look, strength))
            embs.append(_embedding(medium, look, strength))
            strengths.append(strength)
            media.append(mi)
        return {
            "content": torch.stack(content),
            "style": torch.stack(styles),
            "embedding": torch.tensor(embs, dtype=torch.float32),
            "strength": torch.tensor(strengths, dtype=torch.float32),
            "medium": torch.tensor(media, dtype=torch.long),
            "paired": torch.ones(config.batch, dtype=torch.bool),
        }
    content = data.batch(photos, config.batch, config.crop, gen)
    styles, embs, strengths, media = [], [], [], []
    for _ in range(config.batch):
        mi = int(torch.randint(len(config.media), (1,), generator=gen))
        items = pool[config.media[mi]]
        img, look = items[int(torch.randint(len(items), (1,), generator=gen))]
        # Style views keep their colours (the colours are the style): no jitter.
        styles.append(data.random_view([img], config.crop, gen, jitter=False))
        strength = _draw_strength(config, gen)
        embs.append(_embedding(config.media[mi], look, strength))
        strengths.append(strength)
        media.append(mi)
    return {
        "content": content,
        "style": torch.stack(styles),
        "embedding": torch.tensor(embs, dtype=torch.float32),
        "strength": torch.tensor(strengths, dtype=torch.float32),
        "medium": torch.tensor(media, dtype=torch.long),
    }


def _planes(x: torch.Tensor, medium: torch.Tensor, count: int) -> torch.Tensor:
    """x with the medium's one-hot appended as constant planes (the discriminator's condition)."""
    onehot = torch.nn.functional.one_hot(medium, count).to(x.dtype)
    return torch.cat([x, onehot[:, :, None, None].expand(-1, -1, *x.shape[-2:])], dim=1)


def generator_losses(net, encoder, disc, batch: dict[str, torch.Tensor], config: FitConfig,
                     scales: Mapping[str, float]) -> dict[str, torch.Tensor]:
    """Per-sample generator losses and the (clamped) output; ``total`` is what is minimised."""
    content, strength = batch["content"], batch["strength"]
    raw = net(content, batch["embedding"])
    out = raw + (raw.clamp(0.0, 1.0) - raw).detach()  # the losses see what users get; the gradient passes
    out_of_range = (torch.relu(raw - 1.0) + torch.relu(-raw)).mean(dim=(1, 2, 3))
    layers = tuple(dict.fromkeys(STYLE_LAYERS + (config.content_layer,)))
    fo = encoder(out, layers)  # ``encoder``: already at the run's precision (fit wraps it)
    with torch.no_grad():
        fc = encoder(content, (config.content_layer,))[config.content_layer]
        fs = encoder(batch["style"], STYLE_LAYERS)
    targets = losses.grams(fs, STYLE_LAYERS, scales)
    style = losses.style_loss(fo, targets, scales)
    paired = torch.zeros_like(style)
    if "paired" in batch:  # the style image is this sample's own target: match it pixel and feature for feature
        paired = (out - batch["style"]).abs().mean(dim=(1, 2, 3)) + sum(
            losses.content_loss(fo[name], fs[name], scales.get(name, 1.0)) for name in STYLE_LAYERS) / len(STYLE_LAYERS)
    content_l = losses.content_loss(fo[config.content_layer], fc, scales.get(config.content_layer, 1.0))
    tv = losses.total_variation(out)
    recon = (strength == 0).to(out.dtype)
    pixel = (out - content).abs().mean(dim=(1, 2, 3)) * recon
    adv = torch.zeros_like(style)
    if disc is not None and config.adv_weight > 0:
        adv = losses.g_nonsaturating(disc.score(_planes(out, batch["medium"], len(config.media))))
    total = (config.content_weight * content_l + strength * (config.style_weight * style + config.adv_weight * adv)
             + config.tv_weight * tv + config.pixel_weight * pixel + config.teacher_weight * paired + 10.0 * out_of_range)
    return {"total": total, "content": content_l, "style": style, "tv": tv, "adv": adv, "pixel": pixel, "paired": paired,
            "output": out.detach()}


def discriminator_losses(disc, fake: torch.Tensor, batch: dict[str, torch.Tensor], config: FitConfig,
                         r1: bool) -> dict[str, torch.Tensor]:
    m, count = batch["medium"], len(config.media)
    real_logits = disc.score(_planes(batch["style"], m, count))
    fake_logits = disc.score(_planes(fake.detach(), m, count))
    loss = losses.d_logistic(real_logits, fake_logits)
    out = {"logistic": loss, "real": real_logits.detach(), "fake": fake_logits.detach()}
    if r1 and config.r1_gamma > 0:
        penalty = losses.r1_penalty(lambda x: disc.score(_planes(x, m, count)), batch["style"])
        loss = loss + (config.r1_gamma / 2) * penalty * config.r1_every  # lazy: every r1_every steps, scaled up
        out["r1"] = penalty.detach()
    out["total"] = loss
    return out


def _mbstd_group(batch: int) -> int:
    return max(g for g in (4, 3, 2, 1) if batch % g == 0)


def make_networks(config: FitConfig):
    """The generator and the discriminator, initialised from the seed."""
    from ..nn import PatchDiscriminator
    from ..nn.transform import TransformNet

    torch.manual_seed(config.seed)
    net = TransformNet(config.net_config())
    disc = PatchDiscriminator(config.d_channels, num_heads=config.d_heads, in_channels=3 + len(config.media),
                              mbstd_group=_mbstd_group(config.batch))
    return net, disc


# ----------------------------------------------------------------------------- the state
def save_state(path, net, disc, opt_g, opt_d, gen, step: int, history, config: FitConfig, scales,
               rank_states: list[torch.Tensor] | None = None) -> None:
    """The whole state; ``rank_states``: every rank's data-generator state under torchrun."""
    from . import state

    tensors = {**state.module_tensors("g", net), **state.module_tensors("d", disc),
               **state.optimizer_tensors("adam_g", opt_g), **state.optimizer_tensors("adam_d", opt_d),
               **state.rng_tensors(gen)}
    for r, st in enumerate(rank_states or []):
        if r > 0:  # rank 0's is "rng.generator", as in a single process's state
            tensors[f"rng.generator.{r}"] = st.clone()
    metadata = {
        "format": STATE_FORMAT,
        "world_size": str(len(rank_states) if rank_states else 1),
        "step": str(step),
        "config": json.dumps(config.to_dict()),
        "param_groups_g": json.dumps(opt_g.state_dict()["param_groups"]),
        "param_groups_d": json.dumps(opt_d.state_dict()["param_groups"]),
        "history": json.dumps(history),
        "scales": json.dumps(dict(scales)),
    }
    state.write(path, tensors, metadata)


def load_state(path) -> dict[str, Any]:
    from ..errors import WeightsError
    from . import state

    meta, tensors = state.read(path, STATE_FORMAT)
    try:
        return {
            "step": int(meta["step"]),
            "world_size": int(meta.get("world_size", "1")),
            "config": json.loads(meta["config"]),
            "param_groups_g": json.loads(meta["param_groups_g"]),
            "param_groups_d": json.loads(meta["param_groups_d"]),
            "history": json.loads(meta["history"]),
            "scales": json.loads(meta["scales"]),
            "tensors": tensors,
        }
    except (KeyError, ValueError) as exc:
        raise WeightsError(f"--resume '{path}': damaged metadata ({exc})") from None


def _check_resumable(saved: dict[str, Any], config: FitConfig, path) -> None:
    before = FitConfig.from_mapping(saved["config"])
    before.check()
    for name in ARCHITECTURE:
        if getattr(before, name) != getattr(config, name):
            raise UsageError(f"--resume '{path}' was trained with {name} = {getattr(before, name)!r}, not "
                             f"{getattr(config, name)!r}; use the run's own settings (or start a new --out)")
    if saved["step"] > config.steps:
        raise UsageError(f"--resume '{path}' is at step {saved['step']}, past --steps {config.steps}")


# ------------------------------------------------------------------------------ outputs
def _write_csv(path: Path, history: list[dict[str, float]]) -> None:
    from ..image.imageio import write_atomically

    names = list(dict.fromkeys(k for h in history for k in h))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    text = buf.getvalue().encode("utf-8")
    write_atomically(path, lambda fh: fh.write(text))


def sample_photos(photos, size: int, count: int = 2) -> torch.Tensor:
    """The first ``count`` photos, centre-cropped square and resized to ``size``: (N, 3, size, size)."""
    import torch.nn.functional as F

    out = []
    for p in photos[:count]:
        h, w = p.shape[-2:]
        s = min(h, w)
        y, x = (h - s) // 2, (w - s) // 2
        crop = p[:, y : y + s, x : x + s].unsqueeze(0)
        out.append(F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=s > size)[0])
    return torch.stack(out).clamp(0.0, 1.0)


@torch.no_grad()
def sample_grid(net, fixed: torch.Tensor, media) -> torch.Tensor:
    """Rows: the fixed photos; columns: the photo, then each medium at full strength."""
    from ..core.intent import StyleIntent
    from ..nn.transform import embedding_of

    was = net.training
    net.eval()
    rows = []
    for photo in fixed:
        cells = [photo]
        for medium in media:
            cells.append(net(photo.unsqueeze(0), embedding_of([StyleIntent(medium=medium)]))[0])
        rows.append(torch.cat(cells, dim=-1))
    net.train(was)
    return torch.cat(rows, dim=-2)


def _save_png(path: Path, image: torch.Tensor) -> None:
    from ..image import imageio

    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.save(imageio.tensor_to_pil(image.clamp(0.0, 1.0)), path)


# ---------------------------------------------------------------------------------- fit
def fit(config: FitConfig | Mapping[str, Any] | str | os.PathLike, *, engine: Any = None,
        on_step: Callable[[int, dict[str, float]], None] | None = None) -> FitResult:
    """Train a transform generator as ``config`` says (a :class:`FitConfig`, a dict of its
    fields, or the path of a JSON file of them); returns the network and the loss history.

    ``on_step(step, record)`` is called after each step (after that step's files are written).
    """
    from tqdm import tqdm

    from . import distributed

    config = _as_config(config)
    device = _run_device(config, engine)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    ranks = distributed.setup(device)
    out = _output_folder(config)
    saved = _saved_state(config, out / "state.safetensors", ranks)
    run = _prepare(config, engine, device, ranks, saved, out)
    bar = tqdm(range(run.start, config.steps), desc="training transform", unit="step",
               disable=not (config.progress and ranks.main), dynamic_ncols=True, initial=run.start,
               total=config.steps)
    for step in bar:
        record = _train_step(run, step)
        _write_outputs(run, step + 1)
        if config.progress:
            bar.set_postfix({k: f"{record[k]:.3f}" for k in ("loss_g", "style", "loss_d") if k in record})
        if on_step:
            on_step(step, record)
    distributed.barrier(ranks)  # the files are complete before any rank returns
    run.net.eval()
    return FitResult(run.net, run.history, out, run.weights_path, run.state_path, ranks.rank, ranks.world,
                     str(device))


@dataclass
class _Run:
    """One training run's working set, from :func:`_prepare` to the last step."""

    config: FitConfig
    ranks: Any
    device: torch.device
    out: Path
    photos: list[torch.Tensor]
    encoder: Any
    scales: dict[str, float]
    pool: dict[str, list[tuple[torch.Tensor, dict]]]
    pairs: Any
    net: Any
    disc: Any
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    gen: torch.Generator
    history: list[dict[str, float]]
    start: int
    fixed: torch.Tensor
    t_offset: float
    t_start: float = 0.0

    @property
    def state_path(self) -> Path:
        return self.out / "state.safetensors"

    @property
    def weights_path(self) -> Path:
        return self.out / "transform.safetensors"


def _as_config(config: Any) -> FitConfig:
    """``fit``'s config argument as a checked :class:`FitConfig`."""
    if isinstance(config, (str, os.PathLike)):
        config = FitConfig.from_json(config)
    elif isinstance(config, Mapping):
        config = FitConfig.from_mapping(config)
    elif not isinstance(config, FitConfig):
        raise UsageError(f"fit(config): config must be a FitConfig, a dict or a JSON path, got {type(config).__name__}")
    config.check()
    return config


def _run_device(config: FitConfig, engine: Any) -> torch.device:
    """Where this process computes: the engine's device under ``device = "auto"`` when an engine
    is given, else ``config.device`` (under torchrun, each process its own GPU)."""
    from ..core.device import resolve_device
    from . import distributed

    try:
        if engine is not None and config.device.strip().lower() == "auto":
            device = engine.device  # the engine's encoders decide where the run computes
        else:
            device = resolve_device(distributed.process_device(config.device, distributed.from_env()))
    except UsageError as exc:
        raise UsageError(f"--{exc}") from None
    if engine is not None and engine.device != device:
        raise UsageError(f"--device {config.device}: fit(engine=...) computes on {engine.device}; give the same "
                         "device to both, or leave --device auto")
    return device


def _output_folder(config: FitConfig) -> Path:
    """``config.out``, made if need be and checked writable."""
    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out '{out}' is a file; give a folder for the run's weights, state, losses and samples")
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK):
        raise UsageError(f"--out '{out}' is not writable")
    return out


def _saved_state(config: FitConfig, state_path: Path, ranks: Any) -> dict[str, Any] | None:
    """The state ``config.resume`` names (``"auto"``: ``state_path``), checked to continue this
    run with this many processes; None without ``resume``."""
    if not config.resume:
        return None
    resume_path = state_path if config.resume == "auto" else Path(config.resume)
    if not resume_path.is_file():
        raise UsageError(f"--resume '{resume_path}' does not exist; a run writes OUT/state.safetensors every --checkpoint-every steps")
    saved = load_state(resume_path)
    _check_resumable(saved, config, resume_path)
    if saved["world_size"] != ranks.world:
        raise UsageError(f"--resume '{resume_path}' was written by {saved['world_size']} process(es), this run has "
                         f"{ranks.world}; resume with the same torchrun --nproc-per-node (and nodes)")
    return saved


def _prepare(config: FitConfig, engine: Any, device: torch.device, ranks: Any, saved: dict[str, Any] | None,
             out: Path) -> _Run:
    """Everything the steps need: the photos, the loss encoder and its feature scales, the style
    pool (or the teacher's pairs), the networks and their optimisers, the data generator, and,
    with ``saved``, all of them as the state left them."""
    from ..core.precision import at_precision
    from . import adain

    photos = data.load_folder(config.data, what="--data")
    if engine is None:
        from ..core.engine import Engine

        engine = Engine(device=device)
    feature_encoder = engine.feature_encoder(config.encoder)
    feature_encoder.channels(config.content_layer)  # an unknown layer fails here, before any work
    encoder = at_precision(feature_encoder, config.precision)
    layers = tuple(dict.fromkeys(STYLE_LAYERS + (config.content_layer,)))
    scales = dict(saved["scales"]) if saved else adain.feature_scales(feature_encoder, [p.to(device) for p in photos], layers)
    pool = style_pool(config, engine.generator("exemplar"))
    pairs = None
    if config.teacher:
        from . import teacher

        pairs = teacher.render(engine, photos, config.media, config.teacher, config.teacher_size, config.crop,
                               progress=config.progress and ranks.main)
    net, disc = make_networks(config)  # initialised on the CPU from the seed: the same on any device
    net, disc = net.to(device), disc.to(device)
    net.train()
    disc.train()
    opt_g = torch.optim.Adam(net.parameters(), lr=config.lr_g, betas=(0.5, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=config.lr_d, betas=(0.0, 0.99))
    # Each rank its own batches; rank 0 (and a single process) draws the seed's own.
    gen = torch.Generator().manual_seed(config.seed + 1_000_003 * ranks.rank)
    history: list[dict[str, float]] = []
    start = 0
    if saved is not None:
        start, history = _restore(saved, net, disc, opt_g, opt_d, gen, ranks.rank)
    fixed = sample_photos(photos, min(config.crop, 128)).to(device)
    t_offset = float(history[-1].get("t", 0.0)) if history else 0.0
    return _Run(config, ranks, device, out, photos, encoder, scales, pool, pairs, net, disc, opt_g, opt_d, gen,
                history, start, fixed, t_offset, time.perf_counter())


def _restore(saved: dict[str, Any], net, disc, opt_g, opt_d, gen: torch.Generator, rank: int) -> tuple[int, list]:
    """The networks, optimisers and this rank's data generator as ``saved`` left them; the step
    and the history to continue from."""
    from . import state

    tensors = saved["tensors"]
    state.load_module("g", net, tensors)
    state.load_module("d", disc, tensors)
    state.load_optimizer("adam_g", opt_g, tensors, saved["param_groups_g"])
    state.load_optimizer("adam_d", opt_d, tensors, saved["param_groups_d"])
    state.load_rng(gen, tensors)
    if rank > 0:
        gen.set_state(tensors[f"rng.generator.{rank}"])
    return saved["step"], list(saved["history"])


def _train_step(run: _Run, step: int) -> dict[str, float]:
    """One step: a batch drawn, the generator updated, then (with ``adv_weight`` > 0) the
    discriminator; the step's record is appended to the history and returned."""
    from . import distributed

    config, ranks = run.config, run.ranks
    use_adv = config.adv_weight > 0
    batch = {k: v.to(run.device) for k, v in draw_batch(run.photos, run.pool, config, run.gen, run.pairs).items()}
    run.disc.requires_grad_(False)
    g = generator_losses(run.net, run.encoder, run.disc if use_adv else None, batch, config, run.scales)
    loss_g = g["total"].mean()
    run.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    distributed.average_gradients(run.net.parameters(), ranks)
    run.opt_g.step()
    run.disc.requires_grad_(True)
    record = {"step": step, "loss_g": float(loss_g.detach())}
    record.update({k: float(g[k].detach().mean()) for k in ("content", "style", "tv", "adv")})
    if run.pairs is not None:
        record["paired"] = float(g["paired"].detach().mean())
    if use_adv:
        d = discriminator_losses(run.disc, g["output"], batch, config, r1=step % config.r1_every == 0)
        loss_d = d["total"].mean()
        run.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        distributed.average_gradients(run.disc.parameters(), ranks)
        run.opt_d.step()
        record["loss_d"] = float(d["logistic"].detach().mean())
        if "r1" in d:
            record["r1"] = float(d["r1"].mean())
    record["t"] = round(run.t_offset + time.perf_counter() - run.t_start, 2)
    run.history.append(record)
    return record


def _write_outputs(run: _Run, done: int) -> None:
    """After step ``done``: the weights and the state every ``checkpoint_every`` steps, a sample
    grid every ``sample_every``, losses.csv every 25 (and all of them after the last step)."""
    from ..nn import transform as T
    from . import distributed

    config, ranks = run.config, run.ranks
    last = done == config.steps
    if done % config.checkpoint_every == 0 or last:
        distributed.check_in_sync((run.net, run.disc), ranks)
        rank_states = distributed.gather_states(run.gen, ranks)
        if ranks.main:
            info = {"config": config.to_dict(), "scales": run.scales}
            T.save(run.net, run.weights_path, info={**info, "step": done, "partial": not last, "processes": ranks.world})
            save_state(run.state_path, run.net, run.disc, run.opt_g, run.opt_d, run.gen, done, run.history, config,
                       run.scales, rank_states)
    if ranks.main and (done % config.sample_every == 0 or last):
        _save_png(run.out / "samples" / f"step_{done:06d}.png", sample_grid(run.net, run.fixed, config.media))
    if ranks.main and (done % 25 == 0 or last or done % config.checkpoint_every == 0):
        _write_csv(run.out / "losses.csv", run.history)
