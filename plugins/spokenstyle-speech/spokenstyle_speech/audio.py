"""Reading a recording for Whisper: decoded with soundfile (libsndfile: WAV, FLAC, OGG/Vorbis,
and MP3 from libsndfile 1.1), mixed to mono, resampled to 16 kHz with a windowed-sinc
polyphase filter (:func:`resample`; torchaudio is not needed).

Every failure is a :class:`~spokenstyle.errors.UsageError` naming the file: one line, exit 2.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from spokenstyle.errors import UsageError

#: What Whisper takes.
SAMPLE_RATE = 16_000
#: Whisper reads 30 s windows; a spoken look is a few seconds.
MAX_SECONDS = 30.0
#: The formats named in messages (soundfile reads whatever libsndfile can).
FORMATS = "WAV, FLAC, MP3 or OGG"
#: The finest phase step of the polyphase filter bank: rates whose ratio needs more phases
#: (e.g. 44 101 Hz) have each output instant rounded to 1/PHASES of an input sample.
PHASES = 1024


def _kaiser(t: np.ndarray, beta: float) -> np.ndarray:
    """The Kaiser window at ``t`` in [-1, 1] (0 outside)."""
    inside = np.abs(t) < 1.0
    out = np.zeros_like(t)
    out[inside] = np.i0(beta * np.sqrt(1.0 - t[inside] ** 2)) / np.i0(beta)
    return out


def resample(x: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE, *, zeros: int = 32,
             rolloff: float = 0.94, beta: float = 10.0) -> np.ndarray:
    """``x`` (1-D, float) sampled at ``rate_in`` Hz, band-limited and resampled to ``rate_out`` Hz.

    A windowed-sinc (Kaiser, ``beta``) low-pass at ``rolloff`` x the lower of the two Nyquist
    frequencies, ``zeros`` zero crossings each side, evaluated as a polyphase bank: output
    sample ``n`` lies at input time ``n * rate_in / rate_out``. Down-sampling removes what lies
    above the new Nyquist frequency (no aliasing); up-sampling interpolates. Length:
    ``ceil(len(x) * rate_out / rate_in)``. Samples beyond the ends are taken as zero.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"resample takes one channel (1-D), got shape {x.shape}")
    if not (isinstance(rate_in, int) and isinstance(rate_out, int)) or rate_in < 1 or rate_out < 1:
        raise ValueError(f"sample rates must be whole numbers of Hz >= 1, got {rate_in!r} -> {rate_out!r}")
    if rate_in == rate_out or x.size == 0:
        return x.astype(np.float32)
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    fc = rolloff * min(1.0, rate_out / rate_in)  # cutoff, as a fraction of the input Nyquist
    half = zeros / fc  # the kernel's half-width, in input samples
    width = int(math.ceil(half))
    taps = np.arange(-width + 1, width + 1)  # input offsets relative to floor(t)
    phases = min(up, PHASES)
    frac = np.arange(phases) / phases  # fractional part of t, per phase
    tau = frac[:, None] - taps[None, :]  # t - k, (phases, 2 * width)
    bank = fc * np.sinc(fc * tau) * _kaiser(tau / half, beta)
    n_out = int(math.ceil(x.size * up / down))
    padded = np.concatenate([np.zeros(width), x, np.zeros(width + 1)])
    out = np.empty(n_out, dtype=np.float64)
    step = 1 << 15
    for start in range(0, n_out, step):
        n = np.arange(start, min(n_out, start + step), dtype=np.int64)
        num = n * down  # t = num / up, exactly
        base = num // up
        phase = ((num % up) * phases) // up  # = num % up when phases == up
        idx = base[:, None] + taps[None, :] + width  # into padded
        out[start:start + n.size] = np.einsum("ij,ij->i", padded[idx], bank[phase])
    return out.astype(np.float32)


def load(path: str | Path, rate: int = SAMPLE_RATE, *, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """The recording at ``path``: mono float32 in [-1, 1] at ``rate`` Hz.

    A missing, unreadable or unsupported file, one with no samples, or one longer than
    ``max_seconds`` is a UsageError naming it."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"audio file '{path}' does not exist; pass a {FORMATS} recording")
    try:
        import soundfile
    except ImportError as exc:
        raise UsageError(f"spokenstyle-speech reads audio with soundfile, which is not importable ({exc}): pip install soundfile") from None
    try:
        data, rate_in = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # noqa: BLE001 - soundfile.LibsndfileError, RuntimeError, TypeError across versions
        detail = " ".join(str(exc).split())[:160]
        raise UsageError(f"cannot read audio file '{path}' ({detail}); pass a {FORMATS} recording") from None
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise UsageError(f"audio file '{path}' holds no sound (0 samples); record the look again")
    seconds = data.shape[0] / rate_in
    if seconds > max_seconds:
        raise UsageError(
            f"audio file '{path}' is {seconds:.1f} s long; a spoken look is a few words: trim it to {max_seconds:g} s or less"
        )
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not np.isfinite(mono).all():
        raise UsageError(f"audio file '{path}' has samples that are not numbers (NaN or infinite); export it again")
    return resample(mono, int(rate_in), rate)
