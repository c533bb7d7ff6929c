"""What the command line prints: library messages in the CLI's words, safe for a terminal.

A library message names API arguments (``max_size=``); the CLI shows the flag that sets it
(``--max-size``).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

def format_warning(message, category, filename, lineno, line=None):
    text = " ".join(str(message).split())  # one line, whatever a plugin's message holds
    return printable(f"spokenstyle: warning: {text}\n".replace("spokenstyle: warning: spokenstyle: ", "spokenstyle: warning: "))



#: API argument -> the flag that sets it, for messages raised by the library.
_FLAGS = {
    "max_size": "--max-size", "max_pixels": "--max-pixels", "mask_feather": "--mask-feather", "mask": "--mask",
    "strength": "--strength", "seed": "--seed", "style": "--style", "backend": "--backend", "options": "-O",
    "preserve_color": "--preserve-color", "device": "--device", "quality": "--quality", "text_encoder": "--text-encoder",
    "look": "--look", "cell": "--cell", "columns": "--columns", "font": "--font", "looks": "-p",
}

_API_ARG = re.compile(r"(?<![\w.-])(" + "|".join(sorted(_FLAGS, key=len, reverse=True)) + r""")=(?=([\w'"\[{(<-]?))""")

_CLI_ASIDE = re.compile(r" \(CLI: [^)]*\)")



def cli_words(message: str) -> str:
    """A library message in the CLI's words: ``max_size=`` becomes ``--max-size``."""
    message = _CLI_ASIDE.sub("", message)
    return _API_ARG.sub(lambda m: _FLAGS[m.group(1)] + (" " if m.group(2) else ""), message)



_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}



def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (ANSI escapes included) and bidi
    overrides are shown escaped (``\\x1b``), never sent raw; newlines and tabs stay."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\t" or not (code < 0x20 or 0x7F <= code < 0xA0 or code in _BIDI):
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)



def dumps(obj: Any, **kwargs: Any) -> str:
    """JSON for stdout: raw Unicode where stdout can encode it, \\u escapes where it cannot
    (PYTHONIOENCODING=ascii), so --json output is always complete, valid JSON."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    unicode_ok = encoding.startswith(("utf", "gb18030"))
    return json.dumps(obj, ensure_ascii=not unicode_ok, **kwargs)



def emit(record: Any) -> None:
    """One --json record as one line, written whole.

    Processes of a ``torchrun`` batch share one stdout pipe; ``print`` writes the record and its
    newline separately (two system calls when Python runs unbuffered), so two processes' records
    could land on one line. A single ``write`` of the whole line is atomic on a pipe up to
    PIPE_BUF (4096 bytes on Linux), longer than any record.
    """
    line = dumps(record) + "\n"
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # a test's capture, an io.StringIO
        sys.stdout.write(line)
        sys.stdout.flush()
        return
    sys.stdout.flush()  # whatever was printed before goes first
    data = line.encode(sys.stdout.encoding or "utf-8", errors="backslashreplace")
    while data:
        data = data[os.write(fd, data):]


def safe_streams() -> None:
    """Characters the terminal's encoding lacks are escaped instead of raising mid-run."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):  # not a TextIOWrapper (a test's capture)
            pass

