"""The processes torchrun starts (``torch.distributed``): which one this is, and the few
collectives the commands need.

torchrun describes the job in the environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
the rendezvous address); :func:`setup` joins its process group. The group's backend follows
the device the process computes on (:func:`backend_for`): gloo for CPU tensors always (the
counts and generator states exchanged here are a handful of CPU numbers, and gloo runs where
there is no GPU), and NCCL for CUDA tensors when the process trains on a GPU. Each process
under torchrun takes its own GPU, ``cuda:LOCAL_RANK`` (:func:`process_device`). Outside
torchrun everything is one process, :data:`SINGLE`, and nothing here imports
``torch.distributed``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence, TypeVar

import torch

T = TypeVar("T")


@dataclass(frozen=True)
class Ranks:
    rank: int   # this process, 0 .. world-1 over every machine
    world: int  # processes in the job
    local: int = 0  # this process on its machine (its GPU under torchrun)

    @property
    def main(self) -> bool:
        """Process 0: it alone writes shared files and prints the job's summary."""
        return self.rank == 0


SINGLE = Ranks(0, 1)


def from_env() -> Ranks:
    """The job as torchrun's environment describes it, without joining anything."""
    def read(name: str, default: int) -> int:
        return int(os.environ.get(name, "") or default)

    world = read("WORLD_SIZE", 1)
    return SINGLE if world <= 1 else Ranks(read("RANK", 0), world, read("LOCAL_RANK", 0))


def backend_for(device: str | torch.device | None) -> str:
    """The process group's backend for a process computing on ``device``: ``"gloo"``, or gloo
    for CPU tensors and NCCL for CUDA ones (``"cpu:gloo,cuda:nccl"``) on a GPU."""
    if device is not None and torch.device(device).type == "cuda":
        return "cpu:gloo,cuda:nccl"
    return "gloo"


def process_device(device: str, ranks: Ranks) -> str:
    """The device this process computes on: ``device`` as asked, except that under torchrun
    ``"auto"`` and ``"cuda"`` mean this process's own GPU (``cuda:LOCAL_RANK``, wrapping round
    the machine's GPUs) when there is one."""
    if ranks.world > 1 and str(device).strip().lower() in ("auto", "cuda") and torch.cuda.is_available():
        return f"cuda:{ranks.local % torch.cuda.device_count()}"
    return device


def setup(device: str | torch.device | None = None) -> Ranks:
    """The process group torchrun describes (``WORLD_SIZE`` > 1), joined once, with the
    backend for ``device`` (:func:`backend_for`); else SINGLE."""
    env = from_env()
    if env.world <= 1:
        return SINGLE
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend=backend_for(device))
    return Ranks(dist.get_rank(), dist.get_world_size(), env.local)


def shard(items: Sequence[T], ranks: Ranks) -> list[T]:
    """This process's share of ``items``: every ``world``-th one from ``rank`` on.

    Deterministic (the order of ``items`` alone decides), disjoint between processes and
    together the whole sequence, so a sharded job does exactly what one process does."""
    return list(items[ranks.rank :: ranks.world])


def sum_counts(counts: Sequence[int], ranks: Ranks) -> list[int]:
    """Each count summed over every process (every process must call it, once per use)."""
    if ranks.world == 1:
        return list(counts)
    import torch.distributed as dist

    t = torch.tensor(list(counts), dtype=torch.int64)
    dist.all_reduce(t)
    return [int(v) for v in t]


def barrier(ranks: Ranks) -> None:
    if ranks.world > 1:
        import torch.distributed as dist

        dist.barrier()


def end() -> None:
    """Leave the process group (if one was joined), so the process exits cleanly."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
