"""Rewards see each completion next to its own row's columns, and groups are G consecutive completions."""

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from core.families import load_model
from core.prompts import to_prompt_rows
from data_prep.synthetic import generate


def test_reward_kwargs_align_with_completions_when_batch_exceeds_group(tiny_models, tmp_path):
    model, processor, family = load_model(tiny_models["qwen2_vl"])
    rows = list(generate("counting", 12, seed=3, split="train"))
    for row in rows:  # the id is written into the prompt so the reward can check what it was paired with
        row["problem"] = f"[{row['id']}] {row['problem']}"
    data, _ = to_prompt_rows(Dataset.from_list(rows), family, processor, None, "{problem}", 4096)
    seen = []

    def probe_reward(prompts, completions, id, answer, **kwargs):
        for prompt, row_id in zip(prompts, id, strict=True):
            assert f"[{row_id}]" in prompt[-1]["content"][-1]["text"]
        seen.append(list(id))
        return [0.0] * len(completions)

    G = 2
    args = GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=G, max_steps=2,
                      max_completion_length=4, report_to="none", use_cpu=True, bf16=False, logging_steps=1,
                      save_strategy="no", gradient_checkpointing=False)
    GRPOTrainer(model=model, processing_class=processor, reward_funcs=[probe_reward], args=args,
                train_dataset=data).train()
    assert seen
    for batch in seen:
        assert len(batch) == 8
        groups = [batch[i:i + G] for i in range(0, len(batch), G)]
        assert all(len(set(g)) == 1 for g in groups)  # one prompt -> G consecutive completions
        assert len({g[0] for g in groups}) == len(groups)  # 8 / G distinct prompts per batch
