"""The pinned numerics reach torch (conftest sets them before torch loads)."""

import platform

import pytest
import torch


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or "avx2" not in open("/proc/cpuinfo").read(),
                    reason="the pins name x86-64 AVX2 code paths")
def test_torch_runs_the_pinned_avx2_kernels():
    # (the thread count is pinned for child processes; accelerate may re-set this process's own)
    assert torch.backends.cpu.get_cpu_capability() == "AVX2"
