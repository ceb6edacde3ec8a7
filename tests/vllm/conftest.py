"""vLLM on CPU, for real (`make test-vllm`, in .venv-vllm). Collected only where vllm is installed, so the default
`make test` environment leaves this folder out instead of reporting it skipped."""

import importlib.util
import os

import pytest

collect_ignore_glob = [] if importlib.util.find_spec("vllm") else ["test_*.py"]
# tests/conftest.py pins the CPU code paths to AVX2 for reproducible numbers (core/numerics.py); vLLM's CPU kernels
# need the machine's own ISA ("BFloat16 Brgemm VNNI format is only supported ... when `amx` is supported"). Torch
# has not loaded yet when this file is imported, so lifting the pins here reaches it and every child process.
# Only where vllm is installed: this file is imported in every session, and the main suite keeps its pins.
for name in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_CBWR") if not collect_ignore_glob else ():
    os.environ.pop(name, None)
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache; vLLM's CPU default takes far more
os.environ.setdefault("OMP_NUM_THREADS", "2")
# a forked engine worker inherits this process's OpenMP state and dies in its profiling run; spawn starts clean
os.environ.setdefault("VLLM_WORKER_MULTIPROC_METHOD", "spawn")


@pytest.fixture(scope="session")
def small_qwen2_vl(tmp_path_factory):
    """vLLM's CPU attention needs head_dim >= 32: the `small` size (the `tiny` one has 16)."""
    from core.tiny import build

    return build("qwen2_vl", str(tmp_path_factory.mktemp("small") / "qwen2_vl"), seed=0, size="small")
