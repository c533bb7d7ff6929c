"""The hooks spokenstyle finds through the entry point ``speech`` (group ``spokenstyle``).

Light on purpose: listing plugins imports neither transformers nor soundfile; the transcriber
is a lazy ``"module:attr"`` factory, imported when ``--say`` first needs it."""

import spokenstyle


@spokenstyle.hookimpl
def register_transcribers(register):
    register("whisper", "spokenstyle_speech.whisper:WhisperTranscriber",
             description="Whisper speech to text (transformers; SPOKENSTYLE_WHISPER_MODEL), for --say AUDIO")


@spokenstyle.hookimpl
def register_commands(cli):
    from .command import run_transcribe

    p = cli.add_command("transcribe", run_transcribe,
                        help="speech-to-text for --say: print what a Whisper checkpoint hears in an audio file")
    p.add_argument("audio", metavar="AUDIO", help="a WAV, FLAC or MP3 file")
    p.add_argument("--model", default=None, metavar="PATH_OR_ID",
                   help="Whisper checkpoint: a save_pretrained folder or a Hugging Face id already in the local cache "
                   "(default: $SPOKENSTYLE_WHISPER_MODEL)")
    p.add_argument("--language", default=None, metavar="LANG", help="auto (default) or a code such as en, zh, yue")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N")
