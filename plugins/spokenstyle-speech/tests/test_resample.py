"""The 16 kHz resampler, against known sines: the frequency and amplitude are kept, and what lies
above the new Nyquist frequency is removed, not folded back (aliased)."""

import numpy as np
import pytest

from spokenstyle_speech.audio import resample


def _sine(freq, rate, seconds=1.0, amp=0.5):
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def _peak(y, rate):
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / rate)[spectrum.argmax()]


EDGE = 1000  # output samples near each end, where the filter sees the zero padding


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 32000, 44100, 48000, 96000, 44101])
@pytest.mark.parametrize("freq", [220.0, 1000.0, 3000.0, 6000.0])
def test_a_sine_keeps_its_frequency_and_amplitude(rate, freq):
    """In the pass band (up to 0.8 of the lower Nyquist frequency) the sine comes out sample for
    sample; between 0.94 and 1 of it the filter rolls off."""
    if freq > 0.8 * min(rate, 16000) / 2:
        pytest.skip("outside the pass band at this rate")
    y = resample(_sine(freq, rate), rate, 16000)
    assert y.dtype == np.float32 and len(y) == int(np.ceil(rate * 16000 / rate))
    expected = _sine(freq, 16000)
    inner = slice(EDGE, -EDGE)
    assert abs(_peak(y[inner], 16000) - freq) <= 1.0
    assert np.max(np.abs(y[inner] - expected[inner])) < 1e-3  # phase and amplitude too


@pytest.mark.parametrize("rate, freq", [(44100, 11000.0), (48000, 9000.0), (48000, 20000.0), (22050, 10000.0)])
def test_what_lies_above_the_new_nyquist_is_removed_not_aliased(rate, freq):
    """A 11 kHz tone sampled at 16 kHz without filtering would fold to 5 kHz; it must vanish."""
    y = resample(_sine(freq, rate, amp=1.0), rate, 16000)[EDGE:-EDGE]
    assert np.sqrt(np.mean(y ** 2)) < 1e-3  # < -57 dB of the tone's 0.707 rms
    naive = _sine(freq, rate, amp=1.0)[np.round(np.arange(16000) * rate / 16000).astype(int)]
    assert np.sqrt(np.mean(naive ** 2)) > 0.5  # what decimation without the filter would keep


def test_a_mix_keeps_the_low_tone_and_drops_the_high_one():
    rate = 44100
    x = _sine(1000.0, rate) + _sine(12000.0, rate)
    y = resample(x, rate, 16000)[EDGE:-EDGE]
    assert np.max(np.abs(y - _sine(1000.0, 16000)[EDGE:-EDGE])) < 2e-3


def test_same_rate_is_a_copy_and_bad_input_is_refused():
    x = _sine(440.0, 16000)
    y = resample(x, 16000, 16000)
    assert np.array_equal(y, x.astype(np.float32)) and y is not x
    assert resample(np.zeros(0), 44100, 16000).size == 0
    with pytest.raises(ValueError, match="one channel"):
        resample(np.zeros((2, 10)), 44100, 16000)
    with pytest.raises(ValueError, match="whole numbers"):
        resample(x, 0, 16000)
