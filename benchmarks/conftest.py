"""Shared benchmark setup: every kernel is timed against the eager PyTorch composite and
torch.compile of that composite, in the same process on the same inputs. `report.py` turns the
saved JSON into the ratio tables of RESULTS.md."""

import pytest
import torch

import spokenstyle.ops as ops


def pytest_report_header(config):
    facts = ops.info()
    return f"spokenstyle benchmarks: torch {torch.__version__}, threads {torch.get_num_threads()}, cuda {torch.cuda.is_available()}, extension {facts['extension_loaded']}"


@pytest.fixture
def sync():
    """Returns a function that waits for queued GPU work, so timings measure the kernels."""
    return torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU available")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
