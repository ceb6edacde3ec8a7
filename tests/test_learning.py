"""Learning check (#5, #19): from a briefly SFT-warm-started tiny Qwen2-VL, DAPO with dynamic sampling raises
held-out accuracy, and no batch it optimises holds an uninformative group. A few minutes on 2 CPU cores, so it runs
in `make test-slow`. Seeded, on pinned numerics (core/numerics.py: conftest pins this process, the demo pins its
training stages), so every machine of the kind computes the same numbers."""

import dataclasses

import pytest

from demo.pipeline import DemoConfig, run_seed

CHECK = DemoConfig(rl_steps=40, save_every=40, sizes=dataclasses.replace(DemoConfig().sizes, test=120, test_ood=8))


@pytest.mark.slow
def test_dapo_raises_held_out_accuracy_over_the_sft_warm_start(tmp_path):
    result = run_seed(str(tmp_path), seed=0, cfg=CHECK, log=lambda m: None, models=("dapo",))
    sft, dapo = (result["table"][m]["test_pass1_t001"] for m in ("sft", "dapo"))
    assert 20 < sft < 90, f"the warm start should be partly right, got {sft:.1f}%"
    assert dapo >= sft + 10, f"DAPO {dapo:.1f}% vs SFT warm start {sft:.1f}%"
    steps = [e for e in result["logs"]["dapo"] if "dynamic_sampling/uninformative_groups_trained" in e]
    assert len(steps) == CHECK.rl_steps
    assert all(e["dynamic_sampling/uninformative_groups_trained"] == 0 for e in steps)
    assert any(e["dynamic_sampling/groups_filtered_frac"] > 0 for e in steps), "the filter never removed a group"
