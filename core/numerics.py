"""Pinned CPU numerics: the same seed gives the same numbers on any x86-64 machine, under any load.

Two machines of the same kind can differ in SIMD width (AVX-512 here, AVX2 there), and PyTorch, MKL and oneDNN
then sum in a different order; a different thread count splits reductions differently. Pinning the code paths to
AVX2 (which every x86-64 server of the last decade has) and the thread count to 2 removes both. The variables are
read when torch loads, so they must be in the environment of the process that imports torch (a child's env, or
set before the first import). Other architectures ignore them."""

from __future__ import annotations

import os

PINNED = {
    "OMP_NUM_THREADS": "2",
    "MKL_NUM_THREADS": "2",
    "ATEN_CPU_CAPABILITY": "avx2",   # PyTorch's own vectorised kernels
    "MKL_CBWR": "AVX2,STRICT",       # MKL's conditional numerical reproducibility, thread-count independent
    "ONEDNN_MAX_CPU_ISA": "AVX2",    # oneDNN (convolutions: the vision patch embedding)
}


def is_pinned(env=os.environ) -> bool:
    return all(env.get(k) == v for k, v in PINNED.items())


def pinned_env(env=os.environ) -> dict:
    return {**env, **PINNED}
