"""Build spokenstyle._C ahead of time with torch.utils.cpp_extension.

CPU kernels are always built. CUDA kernels are built whenever torch is a CUDA build and nvcc is
found, even on a machine without a GPU (so CI proves the .cu files compile).

Environment:
  SPOKENSTYLE_CPU_ONLY=1   skip the CUDA kernels
  FORCE_CUDA=1             a missing CUDA toolkit (or a CPU-only torch) is an error
  TORCH_CUDA_ARCH_LIST     CUDA archs; defaults to "8.0;9.0" when no GPU is visible
  MAX_JOBS                 parallel compile jobs (ninja)
  SPOKENSTYLE_DEBUG=1      -O0 -g
"""

import glob
import os
import shutil

from setuptools import setup

# A toolkit in the standard place beats a wrapper script found first on PATH (whose parent dir
# torch would take as CUDA_HOME and then miss lib64/libcudart).
if not (os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")) and os.path.exists("/usr/local/cuda/bin/nvcc"):
    os.environ["CUDA_HOME"] = "/usr/local/cuda"

import torch  # noqa: E402
from torch.utils.cpp_extension import CUDA_HOME, BuildExtension, CppExtension, CUDAExtension  # noqa: E402

ROOT = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ARCHS = "8.0;9.0"  # Ampere and Hopper


def _flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _want_cuda():
    if _flag("SPOKENSTYLE_CPU_ONLY"):
        if _flag("FORCE_CUDA"):
            raise RuntimeError("FORCE_CUDA=1 and SPOKENSTYLE_CPU_ONLY=1 contradict each other; unset one.")
        return False
    nvcc = None
    if CUDA_HOME is not None:
        candidate = os.path.join(CUDA_HOME, "bin", "nvcc")
        nvcc = candidate if os.path.exists(candidate) else shutil.which("nvcc")
    problems = []
    if torch.version.cuda is None:
        problems.append(f"torch {torch.__version__} is a CPU-only build")
    if nvcc is None:
        problems.append("no CUDA toolkit (nvcc) was found; set CUDA_HOME")
    if problems:
        if _flag("FORCE_CUDA"):
            raise RuntimeError("FORCE_CUDA=1 but the CUDA kernels cannot be built: " + "; ".join(problems))
        print("spokenstyle: building CPU kernels only (" + "; ".join(problems) + ")")
        return False
    return True


def _cuda_library_includes():
    """cuBLAS/cuSPARSE headers (pulled in by ATen/cuda/CUDAContext.h) ship with CUDA builds of torch
    as nvidia-* wheels rather than with a minimal toolkit; add them when the toolkit lacks them."""
    if CUDA_HOME and os.path.exists(os.path.join(CUDA_HOME, "include", "cusparse.h")):
        return []
    site = os.path.dirname(os.path.dirname(torch.__file__))
    return sorted(p for p in glob.glob(os.path.join(site, "nvidia", "*", "include")) if os.path.exists(os.path.join(p, "cusparse.h")))


def _extension():
    debug = _flag("SPOKENSTYLE_DEBUG")
    opt = ["-O0", "-g"] if debug else ["-O3"]
    # Python's own CFLAGS carry -g; release builds drop the debug info (it quadruples the .so).
    host_opt = opt if debug else ["-O3", "-g0"]
    include_dirs = [os.path.join(ROOT, "csrc")]
    # *_avx2.cpp link last, so inline helpers shared with baseline code resolve to baseline copies.
    cpu_sources = sorted(glob.glob(os.path.join("csrc", "cpu", "*.cpp")), key=lambda s: (s.endswith("_avx2.cpp"), s))
    sources = [os.path.join("csrc", "ops.cpp")] + cpu_sources
    cxx = host_opt + ["-fopenmp", "-fvisibility=hidden", "-Wall", "-Wno-unused-function"]
    define_macros = [("SPOKENSTYLE_TORCH_VERSION", f'"{torch.__version__}"')]
    if not debug:
        define_macros.append(("NDEBUG", None))
    extra = {"cxx": cxx}
    if _want_cuda():
        if not os.environ.get("TORCH_CUDA_ARCH_LIST") and not torch.cuda.is_available():
            os.environ["TORCH_CUDA_ARCH_LIST"] = DEFAULT_ARCHS
        sources += sorted(glob.glob(os.path.join("csrc", "cuda", "*.cu")))
        include_dirs += _cuda_library_includes()
        define_macros.append(("WITH_CUDA", None))
        extra["nvcc"] = opt + ["--expt-relaxed-constexpr", "-lineinfo"]
        print(f"spokenstyle: building CPU and CUDA kernels for archs {os.environ['TORCH_CUDA_ARCH_LIST']}")
        cls = CUDAExtension
    else:
        cls = CppExtension
    return cls(
        name="spokenstyle._C",
        sources=sources,
        include_dirs=include_dirs,
        define_macros=define_macros,
        extra_compile_args=extra,
        extra_link_args=["-fopenmp"],
    )


setup(
    ext_modules=[_extension()],
    cmdclass={"build_ext": BuildExtension.with_options(use_ninja=True)},
)
