"""Prompts for a colocated vLLM engine with images: one placeholder token per image, as vLLM expects.

TRL 1.16 hands vLLM the processor's prompt ids, whose image placeholders are already expanded (N image tokens per
image), together with the raw images (trl/generation/vllm_generation.py, the colocate branch of `generate`). vLLM
runs its own multimodal processor and expands every placeholder token again, so N tokens become 2N - 1 and every
rollout is sampled from a corrupted prompt (Qwen2-VL, vLLM 0.31: 16 -> 31; tests/vllm/test_colocate.py). Known
upstream: huggingface/trl#6294, fix proposed in #6718. Server mode is not affected: TRL sends the server image
features and places them on the expanded runs itself. Training keeps the expanded ids; only vLLM's copy changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class Expansion:
    """What the processor puts where the prompt had one placeholder token: before + placeholder x N + after
    (Qwen-VL and LLaVA: nothing around the run; InternVL: <img> ... </img>)."""
    placeholder: int
    before: tuple[int, ...]
    after: tuple[int, ...]


def expansion_of(processor) -> Expansion | None:
    """Read off the processor itself: one image prompt rendered with and without the image expansion."""
    token = getattr(processor, "image_token", None)
    if token is None:
        return None
    text = f"a{token}b"
    plain = processor.tokenizer(text)["input_ids"]  # special tokens (a BOS) as the processor adds them
    full = list(processor(text=[text], images=[Image.new("RGB", (56, 56))])["input_ids"][0])
    placeholder = processor.tokenizer.convert_tokens_to_ids(token)
    head = plain.index(placeholder)
    segment = full[head:len(full) - (len(plain) - head - 1)]  # what replaced the one placeholder
    first, last = segment.index(placeholder), len(segment) - 1 - segment[::-1].index(placeholder)
    return Expansion(placeholder, tuple(segment[:first]), tuple(segment[last + 1:]))


def collapse(ids: list[int], expansion: Expansion) -> list[int]:
    """Each expanded image (before + placeholder run + after) becomes the single placeholder token."""
    out: list[int] = []
    i, before, after, p = 0, list(expansion.before), list(expansion.after), expansion.placeholder
    while i < len(ids):
        start = i + len(before)
        if ids[i:start] == before and start < len(ids) and ids[start] == p:
            end = start
            while end < len(ids) and ids[end] == p:
                end += 1
            if ids[end:end + len(after)] == after:
                out.append(p)
                i = end + len(after)
                continue
        out.append(ids[i])
        i += 1
    return out


def install(trainer) -> None:
    """Give a colocated engine collapsed prompts; the prompt ids it returns are vLLM's (TRL discards them)."""
    generation = getattr(trainer, "vllm_generation", None)
    if generation is None or generation.mode != "colocate":
        return
    expansion = expansion_of(trainer.processing_class)
    if expansion is None:
        return
    generate = generation.generate

    def generate_on_placeholders(prompts, images, *args, **kwargs):
        if images is not None:
            prompts = [collapse(list(ids), expansion) for ids in prompts]
        return generate(prompts, images, *args, **kwargs)

    generation.generate = generate_on_placeholders
