import os
import tempfile

import pytest
import torch

CUDA = torch.cuda.is_available()


def pytest_configure(config):
    """The tests never write to the user's cache: the VGG-19 conversion goes to a temporary one."""
    if not os.environ.get("SPOKENSTYLE_TEST_KEEP_CACHE"):
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="spokenstyle-test-cache-")


def pytest_collection_modifyitems(config, items):
    """Tests marked `cuda` run only where a GPU is present; elsewhere they are skipped, not failed."""
    if CUDA:
        return
    skip = pytest.mark.skip(reason="no CUDA GPU available")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    import spokenstyle.ops as ops

    facts = ops.info()
    return (
        f"spokenstyle: extension={'loaded' if facts['extension_loaded'] else 'MISSING'} "
        f"cuda_kernels={facts['cuda_kernels']} archs={','.join(facts['cuda_archs']) or '-'} "
        f"gpu={'yes' if CUDA else 'no'}"
    )


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
