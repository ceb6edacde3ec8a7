"""Tiny models and synthetic datasets, built once per test run (seconds each, fully offline)."""

import os

import pytest

from core.numerics import PINNED  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Pinned CPU numerics before torch loads (conftest is imported before any test module): the suite, and the
# learning check above all, computes the same numbers on every machine of the kind and under any load.
os.environ.update(PINNED)

FAMILIES = ["qwen2_vl", "qwen2_5_vl", "llava", "internvl"]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    from core.tiny import build

    root = tmp_path_factory.mktemp("tiny")
    return {family: build(family, str(root / family), seed=0) for family in FAMILIES}


@pytest.fixture(scope="session")
def angles_dataset(tmp_path_factory):
    from data_prep.__main__ import main

    out = str(tmp_path_factory.mktemp("data") / "angles")
    main(["synthetic", "--task", "angles", "--n", "16", "--n-eval", "8", "--out", out])
    return out


@pytest.fixture(scope="session")
def pairs_dataset(tmp_path_factory, tiny_models, angles_dataset):
    """Preference pairs sampled from the tiny Qwen2-VL; 'right' is an even-length response (a random model's
    answers are never right, so the accuracy reward would give no pair)."""
    from recipes.dpo_geo.pairs import main

    out = str(tmp_path_factory.mktemp("data") / "pairs")
    main(["--model", tiny_models["qwen2_vl"], "--dataset", angles_dataset, "--k", "4", "--max-new-tokens", "8",
          "--reward", "tests.helpers.even_length_reward", "--no-require-eos", "--out", out])  # it never ends
    return out
