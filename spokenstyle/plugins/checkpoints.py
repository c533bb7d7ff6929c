"""Finding a transformers checkpoint that is already on this machine, for plugins that load one.

spokenstyle never downloads: a plugin's model is a folder written by ``save_pretrained``, or a
Hugging Face id already in the local cache. :func:`local_checkpoint` is that rule once, with its
one-line errors, for every plugin (spokenstyle-clip, spokenstyle-speech). Imports nothing heavy:
``huggingface_hub`` only when an id has to be looked up in the cache.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from ..errors import WeightsError

__all__ = ["local_checkpoint"]


def local_checkpoint(model: str | os.PathLike | None, *, env_var: str, words: str, example_id: str, saved_by: str,
                     pass_model: str = "", cache_fix: str | None = None,
                     env: Mapping[str, str] | None = None) -> tuple[Path, Any]:
    """``(folder, config.json's model_type)`` for ``model``, or ``$env_var`` when it is unset.

    words:      what the model is called in messages ("CLIP", "Whisper").
    example_id: a Hugging Face id to show as an example.
    saved_by:   what writes such a folder ("CLIPModel.save_pretrained (config.json, ...)").
    pass_model: added to the "none configured" message (", or pass model=...").
    cache_fix:  how to give a local folder instead, when an id is not in the cache
                (default: "set ``env_var`` to a local folder").

    Raises :class:`~spokenstyle.errors.WeightsError` (one line) when no model is configured, the
    folder is missing and the name is not a Hugging Face id, the id is not cached, or the folder
    has no readable config.json. Checking the model_type is the caller's: it knows what it wants.
    """
    env = os.environ if env is None else env
    if model is None or str(model).strip() == "":
        model = env.get(env_var, "").strip() or None
    if model is None:
        raise WeightsError(
            f"no {words} model is configured: set {env_var}=/path/to/model (a directory written by save_pretrained, "
            f"or a Hugging Face id already in the local cache, e.g. {example_id}){pass_model}; nothing is downloaded"
        )
    text = str(model)
    path = Path(text).expanduser()
    if not path.is_dir():
        hub_id = text.count("/") == 1 and not text.startswith((".", "/", "~")) and "\\" not in text
        if not hub_id:
            raise WeightsError(
                f"{words} model {text!r} was not found: no such directory (and it is not a Hugging Face id such as "
                f"{example_id}); pass the folder save_pretrained wrote, or set {env_var}"
            )
        path = _from_hf_cache(text, words, cache_fix or f"set {env_var} to a local folder")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise WeightsError(
            f"{words} model directory '{path}' has no config.json; it must be a folder written by {saved_by}"
        )
    try:
        model_type = json.loads(config_file.read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError) as exc:
        raise WeightsError(f"{words} model '{path}': config.json is unreadable ({exc})") from None
    return path, model_type


def _from_hf_cache(repo_id: str, words: str, fix: str) -> Path:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - LocalEntryNotFoundError and friends across versions
        raise WeightsError(
            f"{words} model '{repo_id}' is not in the local Hugging Face cache ({type(exc).__name__}); nothing is "
            f"downloaded: fetch it once where there is network (`hf download {repo_id}`), or {fix}"
        ) from None
