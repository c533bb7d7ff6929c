"""The processes torchrun starts (``torch.distributed``): which one this is, and the few
collectives the commands need.

torchrun describes the job in the environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
the rendezvous address); :func:`setup` joins its process group (gloo: the tensors exchanged
here are a handful of CPU numbers, and gloo also runs where there is no GPU). Outside torchrun
everything is one process, :data:`SINGLE`, and nothing here imports ``torch.distributed``.
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


def setup() -> Ranks:
    """The process group torchrun describes (``WORLD_SIZE`` > 1), joined once; else SINGLE."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return SINGLE
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    return Ranks(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0") or 0))


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
