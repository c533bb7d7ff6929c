"""Data-parallel training under torchrun (``torch.distributed``: gloo on CPUs, NCCL on GPUs).

Every rank builds the same networks from the seed, draws its own batches (its data generator
is seeded with the seed and its rank) and, after each backward pass, averages the gradients
over the ranks with one ``all_reduce`` per network before the optimiser step, so every rank
takes the same step and the parameters stay identical (checked at every checkpoint). This is
StyleGAN2-ADA's scheme rather than a ``DistributedDataParallel`` wrapper: R1's gradient is a
double backward (``autograd.grad(..., create_graph=True)``), which DDP's reducer does not
support; averaging the finished gradients by hand does the same for every loss.

On GPUs every process trains on its own (``cuda:LOCAL_RANK``) and the gradients travel over
NCCL; the data generators and their states stay on the CPU (gloo), so a run's batches are the
same on any device. Rank 0 alone writes files and shows the progress bar. The effective batch is ``batch`` times
the number of ranks.
"""

from __future__ import annotations

from typing import Iterable

import torch

from ..core.distributed import SINGLE, Ranks, barrier, from_env, process_device, setup  # noqa: F401 - the training loop's names


def average_gradients(params: Iterable[torch.nn.Parameter], ranks: Ranks) -> None:
    """Replace every gradient by its mean over the ranks (a missing one counts as zero)."""
    if ranks.world == 1:
        return
    import torch.distributed as dist

    params = [p for p in params if p.requires_grad]
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= ranks.world
    start = 0
    for p, g in zip(params, grads):
        n = g.numel()
        p.grad = flat[start : start + n].view_as(p).clone()
        start += n


def check_in_sync(modules: Iterable[torch.nn.Module], ranks: Ranks) -> None:
    """RuntimeError unless every rank holds bit-identical parameters."""
    if ranks.world == 1:
        return
    import torch.distributed as dist

    flat = torch.cat([p.detach().reshape(-1).double() for m in modules for p in m.parameters()])
    low, high = flat.clone(), flat.clone()
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    if not torch.equal(low, high):
        raise RuntimeError("distributed training: the ranks' parameters diverged (a rank skipped a step?)")


def gather_states(gen: torch.Generator, ranks: Ranks) -> list[torch.Tensor]:
    """Every rank's data-generator state (rank order), for a resumable state file."""
    state = gen.get_state()
    if ranks.world == 1:
        return [state]
    import torch.distributed as dist

    out = [torch.empty_like(state) for _ in range(ranks.world)]
    dist.all_gather(out, state)
    return out

