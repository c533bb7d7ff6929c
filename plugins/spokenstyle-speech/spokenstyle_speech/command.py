"""``spokenstyle transcribe AUDIO [--model PATH] [--language LANG]``: the transcript alone, to try
a checkpoint and a recording before using them with ``--say``."""

from __future__ import annotations


def run_transcribe(args) -> int:
    from spokenstyle.errors import UsageError

    from .whisper import WhisperTranscriber

    language = None if args.language is None or args.language.strip().lower() in ("", "auto") else args.language
    text = WhisperTranscriber(model=args.model, device=args.device).transcribe(args.audio, language=language)
    text = " ".join(text.split())
    if not text:
        raise UsageError(f"'{args.audio}': no words were heard; record it again, closer and louder")
    print(text)
    return 0
