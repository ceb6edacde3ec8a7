"""`python -m eval --backend vllm` on CPU: every prompt gets its k samples from the vLLM engine."""

import json
import os

from eval.__main__ import main as eval_main


def test_vllm_backend_scores_every_prompt(small_qwen2_vl, angles_dataset, tmp_path):
    out = str(tmp_path / "out")
    eval_main(["--model", small_qwen2_vl, "--dataset", angles_dataset, "--out", out, "--limit", "3",
               "--max-new-tokens", "6", "--backend", "vllm"])
    lines = [json.loads(x) for x in open(os.path.join(out, "base", "pass8_t1", "test.jsonl"))]
    assert len(lines) == 3 and all(len(x["completions"]) == 8 for x in lines)
