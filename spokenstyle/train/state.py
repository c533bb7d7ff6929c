"""Training states as one safetensors file: what every trainer's ``--resume`` reads and writes.

A state is everything a run needs to continue with the same bits as an uninterrupted one:
the networks' weights, each Adam's moments and step counts, the random generators (the data
generator and torch's global one) and, in the metadata, the step, the history and the JSON
the trainer needs (configs, optimiser hyper-parameters). No pickle: tensors and strings only.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from ..errors import WeightsError


def module_tensors(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v.detach().cpu().float().contiguous() for k, v in module.state_dict().items()}


def load_module(prefix: str, module: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    start = prefix + "."
    module.load_state_dict({k[len(start):]: v for k, v in tensors.items() if k.startswith(start)})


def optimizer_tensors(prefix: str, opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """``{prefix}.{param index}.{name}`` for every tensor of the optimiser's state."""
    out = {}
    for idx, st in opt.state_dict()["state"].items():
        for name, value in st.items():
            out[f"{prefix}.{idx}.{name}"] = torch.as_tensor(value).detach().cpu().float().contiguous().clone()
    return out


def load_optimizer(prefix: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], param_groups: Any) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    start = prefix + "."
    for key, value in tensors.items():
        if key.startswith(start):
            idx, name = key[len(start):].split(".", 1)
            state.setdefault(int(idx), {})[name] = value
    opt.load_state_dict({"state": state, "param_groups": param_groups})


def rng_tensors(gen: torch.Generator) -> dict[str, torch.Tensor]:
    return {"rng.generator": gen.get_state().clone(), "rng.global": torch.get_rng_state().clone()}


def load_rng(gen: torch.Generator, tensors: dict[str, torch.Tensor]) -> None:
    gen.set_state(tensors["rng.generator"])
    torch.set_rng_state(tensors["rng.global"])


def write(path: str | os.PathLike, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Write the state atomically (a reader never sees half a file)."""
    from safetensors.torch import save as to_bytes

    from ..image.imageio import write_atomically

    blob = to_bytes(tensors, metadata=metadata)
    write_atomically(path, lambda fh: fh.write(blob))


def read(path: str | os.PathLike, fmt: str) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """(metadata, tensors) of a state of format ``fmt``; WeightsError naming ``--resume`` if not one."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # noqa: BLE001 - not safetensors, truncated
        raise WeightsError(f"--resume '{path}': not a training state file ({exc})") from None
    if meta.get("format") != fmt:
        raise WeightsError(f"--resume '{path}' is not a spokenstyle training state of format {fmt} "
                           f"(format {meta.get('format')!r})")
    return meta, tensors
