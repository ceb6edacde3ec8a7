"""Every GRPO-family recipe with vLLM rollouts in colocate mode, and the weight sync those rollouts depend on."""

import functools
import json
import os
from types import SimpleNamespace

import pytest
import torch

from core.families import get_family, load_model
from recipes.common import run_recipe
from tests.test_recipe_runs import small_config
from tests.vllm.agreement import agreement


@pytest.mark.parametrize("recipe", ["grpo_geo", "dapo_qwen2vl", "reinforcepp_geo", "ppo_geo"])
def test_colocate_rollouts_train_two_steps(recipe, small_qwen2_vl, angles_dataset, tmp_path):
    out = str(tmp_path / "out")
    cfg = small_config(recipe, tmp_path / "c.yaml", use_vllm=True, vllm_mode="colocate", vllm_max_model_length=1024)
    result = run_recipe.launch(recipe, ["--config", cfg, "--model_name_or_path", small_qwen2_vl,
                                        "--dataset_name", angles_dataset, "--output_dir", out])
    assert result.returncode == 0, result.stderr[-3000:]
    logs = json.load(open(os.path.join(out, "checkpoint-2", "trainer_state.json")))["log_history"]
    assert [h["completions/mean_length"] for h in logs if "completions/mean_length" in h], logs
    before = dict(load_model(small_qwen2_vl)[0].named_parameters())
    changed = [n for n, p in load_model(out)[0].named_parameters() if not torch.equal(p, before[n])]
    assert [n for n in changed if n.startswith(get_family("qwen2_vl").language_model)], "no weight changed"


def _agreement(llm, model, ids) -> tuple[float, bool]:
    from vllm import SamplingParams

    out = llm.generate([{"prompt_token_ids": ids}], SamplingParams(temperature=0, max_tokens=8, logprobs=0),
                       use_tqdm=False)[0].outputs[0]
    return agreement(model, ids, list(out.token_ids),
                     [lp[t].logprob for lp, t in zip(out.logprobs, out.token_ids, strict=True)])


@pytest.fixture(scope="module")
def colocated(small_qwen2_vl):
    """TRL's colocated vLLM engine beside the HF model it serves, once for the module (an engine starts slowly)."""
    from accelerate import Accelerator
    from trl.generation.vllm_generation import VLLMGeneration

    model, processor, _ = load_model(small_qwen2_vl)
    generation = VLLMGeneration(model=model, accelerator=Accelerator(cpu=True), processing_class=processor,
                                mode="colocate", max_model_length=512, max_num_seqs=2)
    return generation, model, processor


def test_sync_makes_vllm_generate_what_hf_generates(colocated):
    """A training step's worth of change in the HF weights, then the sync our trainers install: before it vLLM
    still answers with the old weights, after it with the new ones. TRL's in-place sync fails on CPU (the cause
    recipes/common/vllm_sync.py fixes); if it ever passes, the workaround can go."""
    from trl.generation.vllm_generation import VLLMGeneration

    from recipes.common.vllm_sync import needs_reload_sync, reload_sync

    generation, model, processor = colocated
    assert needs_reload_sync(generation)
    ids = processor.tokenizer("<|im_start|>user\nWhat is the angle?<|im_end|>\n<|im_start|>assistant\n")["input_ids"]
    diff, greedy = _agreement(generation.llm, model, ids)
    assert diff < 0.25 and greedy, diff

    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if name.startswith(get_family("qwen2_vl").language_model) or name.startswith("lm_head"):
            p.data.add_(torch.randn_like(p) * 0.05)
    stale, _ = _agreement(generation.llm, model, ids)
    reload_sync(generation)
    diff, greedy = _agreement(generation.llm, model, ids)
    assert stale > 1.0 and diff < 0.25 and greedy, (stale, diff)

    with pytest.raises(Exception, match="Attempted to load weight"):
        VLLMGeneration.sync_weights(generation)


def test_vllm_samples_from_the_prompt_the_policy_trains_on(colocated):
    """TRL 1.16 gives vLLM the processor's expanded prompt ids with the raw image, and vLLM expands them again
    (huggingface/trl#6294; if the first assertion ever fails, recipes/common/vllm_prompts.py can go). With our
    collapse, and with the image fitted into the recipe's pixel range (below the checkpoint's here: vLLM reads the
    checkpoint's), the prompt vLLM samples from is exactly the policy's."""
    from datasets import Dataset
    from PIL import Image, ImageDraw
    from trl.data_utils import prepare_multimodal_messages
    from trl.generation.vllm_generation import VLLMGeneration

    from core.families import set_pixel_range
    from core.images import fit_images
    from core.prompts import build_prompt
    from recipes.common.vllm_prompts import install

    generation, model, _ = colocated
    _, processor, _ = load_model(model.name_or_path)
    set_pixel_range(processor, 28 * 28, 56 * 56)
    raw = Image.new("RGB", (224, 168), "white")
    ImageDraw.Draw(raw).line((0, 0, 200, 120), fill="black", width=3)
    fitted = fit_images(Dataset.from_dict({"images": [[raw]]}), processor)[0]["images"][0]
    text = processor.apply_chat_template(prepare_multimodal_messages(
        build_prompt(get_family("qwen2_vl"), "What is the angle?"), images=[raw]), add_generation_prompt=True,
        tokenize=False)

    def samples_from_policys_prompt(image, generate) -> bool:
        ids = list(processor(text=[text], images=[image])["input_ids"][0])
        return list(generate(prompts=[ids], images=[[image]], num_generations=1)[0][0]) == ids

    stock = functools.partial(VLLMGeneration.generate, generation)
    install(SimpleNamespace(vllm_generation=generation, processing_class=processor))
    try:
        assert not samples_from_policys_prompt(fitted, stock)
        assert not samples_from_policys_prompt(raw, generation.generate)
        assert samples_from_policys_prompt(fitted, generation.generate)
    finally:
        del generation.generate  # the engine's own method again, for the other tests
