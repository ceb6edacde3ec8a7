"""Tiny models and synthetic datasets, built once per test run (seconds each, fully offline)."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

FAMILIES = ["qwen2_vl", "qwen2_5_vl", "llava", "internvl"]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    from recipes.common.tiny import build

    root = tmp_path_factory.mktemp("tiny")
    return {family: build(family, str(root / family), seed=0) for family in FAMILIES}


@pytest.fixture(scope="session")
def angles_dataset(tmp_path_factory):
    from data_prep.__main__ import main

    out = str(tmp_path_factory.mktemp("data") / "angles")
    main(["synthetic", "--task", "angles", "--n", "16", "--n-eval", "8", "--out", out])
    return out
