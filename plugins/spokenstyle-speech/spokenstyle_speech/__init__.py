"""spokenstyle-speech: the look said aloud.

``spokenstyle stylize photo.jpg --say look.wav`` and ``spokenstyle explain --say look.wav``
transcribe the recording with a Whisper checkpoint the user already has (transformers
``WhisperForConditionalGeneration``; a local folder or the Hugging Face cache, never
downloaded) and hand the transcript to the text encoder. :mod:`.audio` reads and resamples the
file (soundfile; WAV, FLAC, MP3, OGG), :mod:`.whisper` finds, loads and runs the model,
:mod:`.plugin` registers the transcriber ``whisper`` and the command ``spokenstyle transcribe``,
:mod:`.testing` writes tiny Whisper checkpoints that say a chosen sentence."""

__version__ = "0.1.0"
