"""vLLM on CPU, for real (`make test-vllm`, in .venv-vllm). Collected only where vllm is installed, so the default
`make test` environment leaves this folder out instead of reporting it skipped."""

import importlib.util
import os

import pytest

collect_ignore_glob = [] if importlib.util.find_spec("vllm") else ["test_*.py"]
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache; vLLM's CPU default takes far more
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def small_qwen2_vl(tmp_path_factory):
    """vLLM's CPU attention needs head_dim >= 32: the `small` size (the `tiny` one has 16)."""
    from core.tiny import build

    return build("qwen2_vl", str(tmp_path_factory.mktemp("small") / "qwen2_vl"), seed=0, size="small")
