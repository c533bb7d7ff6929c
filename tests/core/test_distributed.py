"""`torchrun -m spokenstyle stylize FOLDER`: each process a deterministic shard, the outputs
byte-identical to one process, a rerun keeps what was written, process 0 sums up."""

import json
import os
import shutil
import subprocess
import sys

from harness.helpers import PHOTOS, REPO
from spokenstyle.cli import main
import pytest
import torch

from spokenstyle.core.distributed import SINGLE, Ranks, backend_for, from_env, process_device, shard, sum_counts


def test_shards_are_disjoint_and_cover_everything_in_order():
    items = list(range(11))
    for world in (1, 2, 3, 4, 16):
        parts = [shard(items, Ranks(r, world)) for r in range(world)]
        assert sorted(sum(parts, [])) == items
        assert all(p == sorted(p) for p in parts)
        assert max(map(len, parts)) - min(map(len, parts)) <= 1  # balanced
    assert shard(range(5), SINGLE) == [0, 1, 2, 3, 4]
    assert sum_counts([3, 1], SINGLE) == [3, 1]


def test_the_backend_follows_the_device():
    assert backend_for(None) == backend_for("cpu") == "gloo"
    # on a GPU: NCCL for the gradients (CUDA tensors), gloo for the CPU-side counts and states
    assert backend_for("cuda") == backend_for(torch.device("cuda", 1)) == "cpu:gloo,cuda:nccl"


def test_each_process_takes_its_own_gpu(monkeypatch):
    assert process_device("auto", SINGLE) == "auto"  # one process: the engine decides
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert process_device("auto", Ranks(1, 2, 1)) == "auto"  # no GPU: as asked (the CPU)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert process_device("auto", Ranks(1, 4, 1)) == "cuda:1"
    assert process_device("cuda", Ranks(3, 4, 3)) == "cuda:1"  # wraps round the machine's GPUs
    assert process_device("cpu", Ranks(3, 4, 3)) == "cpu"
    assert process_device("cuda:0", Ranks(3, 4, 3)) == "cuda:0"  # an explicit GPU is kept


def test_the_job_is_read_from_torchruns_environment(monkeypatch):
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert from_env() == SINGLE
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert from_env() == Ranks(3, 4, 1)


def _folder(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(PHOTOS["chelsea"], src / "a.jpg")
    data = PHOTOS["coffee"].read_bytes()
    (src / "b_cut.jpg").write_bytes(data[: len(data) // 3])  # fails, in the other process's shard
    shutil.copy(PHOTOS["astronaut"], src / "c.jpg")
    shutil.copy(PHOTOS["coffee"], src / "d.png")
    return src


def _torchrun(*argv, tmp_path):
    # Unbuffered, as many launchers run Python: print() would write a record and its newline in
    # two system calls, and the two processes' records could share a line.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
         "-m", "spokenstyle", "stylize", *argv],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


def test_two_processes_write_what_one_writes_and_a_rerun_resumes(tmp_path, capsys):
    src = _folder(tmp_path)
    look = ["-p", "vintage film with grain, a bit warmer", "--max-size", "160"]
    assert main(["stylize", str(src), *look, "-o", str(tmp_path / "one"), "-q"]) == 1  # b_cut fails
    capsys.readouterr()
    one = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    assert sorted(one) == ["a.jpg", "c.jpg", "d.png"]

    proc = _torchrun(str(src), *look, "-o", str(tmp_path / "two"), "--json", tmp_path=tmp_path)
    assert proc.returncode != 0, proc.stderr[-3000:]  # a photo failed (torchrun reports the exit code 1)
    records = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    assert sorted(os.path.basename(r["input"]) for r in records) == ["a.jpg", "b_cut.jpg", "c.jpg", "d.png"]  # each once
    assert [os.path.basename(r["input"]) for r in records if "error" in r] == ["b_cut.jpg"]
    assert "3 written, 0 skipped, 1 failed, of 4 photos (2 processes)" in proc.stderr
    assert proc.stderr.count("of 4 photos") == 1  # process 0 alone sums up
    two = {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()}
    assert two == one  # byte for byte, grain (seeded) included; no temporary file left behind

    (tmp_path / "two" / "c.jpg").unlink()
    proc = _torchrun(str(src), *look, "-o", str(tmp_path / "two"), "--json", tmp_path=tmp_path)
    records = [json.loads(l) for l in proc.stdout.splitlines() if l.startswith("{")]
    assert sorted(os.path.basename(r["input"]) for r in records if "skipped" in r) == ["a.jpg", "d.png"]
    assert [os.path.basename(r["input"]) for r in records if "backend" in r] == ["c.jpg"]
    assert "1 written, 2 skipped, 1 failed, of 4 photos (2 processes)" in proc.stderr
    assert {p.name: p.read_bytes() for p in (tmp_path / "two").iterdir()} == one


def test_a_usage_error_under_torchrun_is_one_line_per_process_and_no_hang(tmp_path):
    src = _folder(tmp_path)
    proc = _torchrun(str(src), "-p", "warm", "--strength", "3", "-o", str(tmp_path / "x"), tmp_path=tmp_path)
    assert proc.returncode != 0
    # one line from each process (the two may interleave on the shared stderr, so count them)
    assert proc.stderr.count("spokenstyle stylize: error: --strength 3 is out of range") == 2, proc.stderr[-2000:]
    assert "spokenstyle/cli/" not in proc.stderr and "UsageError" not in proc.stderr  # no traceback of ours (torchrun prints its own)
    assert not (tmp_path / "x").exists()
