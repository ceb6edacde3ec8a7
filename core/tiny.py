"""Build a tiny random-weight VLM of a real class with its real processor, fully offline.

    python -m core.tiny --family qwen2_vl --out /tmp/tiny-qwen2vl [--seed 0]

Tests, CI and `make demo` use these. The model class, processor class and chat format are the real ones, so
the recipes run the same code as on Qwen/Qwen2-VL-2B-Instruct; only sizes and the tokenizer's vocabulary shrink.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

import torch
from transformers import (
    CLIPImageProcessor,
    GenerationConfig,
    GotOcr2ImageProcessor,
    InternVLConfig,
    InternVLProcessor,
    InternVLVideoProcessor,
    LlavaConfig,
    LlavaProcessor,
    Qwen2_5_VLConfig,
    Qwen2_5_VLProcessor,
    Qwen2VLConfig,
    Qwen2VLImageProcessor,
    Qwen2VLProcessor,
    Qwen2VLVideoProcessor,
)

from core.families import FAMILIES
from core.tiny_tokenizer import train_tokenizer


@dataclass(frozen=True)
class Size:
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    vision_hidden: int = 32
    image_side: int = 56  # pixels per side the image processor resizes to (a multiple of 28)
    # HF's default init (std 0.02) leaves a random few-layer model nearly blind to image tokens: it settles on the
    # answer prior and takes thousands of steps to start looking. A wider init (the `demo` size) learns counting
    # from the image in a few hundred SFT steps, which is what a CPU demo needs.
    init_std: float = 0.02
    vision_depth: int = 2
    # Real-size shapes (benchmarks): the FFN width, the vocabulary the embedding and head are padded to (ids past
    # the tokenizer's are never produced by it and decode to nothing), the vision tower's heads and MLP ratio.
    intermediate: int | None = None
    vocab: int | None = None
    vision_heads: int = 2
    vision_mlp_ratio: int = 2
    tie_embeddings: bool = False
    dtype: str = "float32"  # what the weights are built and saved in


SIZES = {"tiny": Size(), "small": Size(hidden=128, layers=4, heads=4, kv_heads=2, vision_hidden=64, image_side=112),
         "demo": Size(hidden=128, layers=4, heads=4, kv_heads=2, vision_hidden=64, image_side=112, init_std=0.15),
         # vision about as costly next to the language model as in Qwen2-VL-2B, on large images (benchmarks)
         "vision_heavy": Size(hidden=64, layers=2, vision_hidden=128, vision_depth=8, image_side=448),
         # Qwen2-VL-2B's proportions at toy scale (benchmarks): vision ~27 % of the parameters and about half the
         # language model's trunk (the real model: 665M vision, 1.31B trunk), on 448-px images
         "qwen2_vl_2b_shape": Size(hidden=128, layers=4, heads=4, kv_heads=2, intermediate=256, vision_hidden=64,
                                   vision_depth=3, vision_mlp_ratio=4, image_side=448),
         # Qwen2-VL-2B-Instruct's architecture (its config.json) with random weights: GPU benchmarks, no download
         "qwen2_vl_2b": Size(hidden=1536, layers=28, heads=12, kv_heads=2, intermediate=8960, vocab=151936,
                             vision_hidden=1280, vision_depth=32, vision_heads=16, vision_mlp_ratio=4,
                             image_side=448, tie_embeddings=True, dtype="bfloat16")}


def _chat_template(turn_start: str, turn_end: str, image: str, gen_prompt: str) -> str:
    """A chat template in each family's wire format; `{role}` in turn_start is the message role.

    Assistant text sits in a generation block so SFT can train on completions only.
    """
    start = "{{ '" + turn_start.replace("{role}", "' + message['role'] + '") + "' }}"
    return (
        "{% for message in messages %}" + start
        + "{% if message['content'] is string %}"
        "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] }}{% endgeneration %}"
        "{% else %}{{ message['content'] }}{% endif %}"
        "{% else %}{% for part in message['content'] %}"
        "{% if part['type'] == 'image' %}{{ '" + image + "' }}"
        "{% elif part['type'] == 'text' %}"
        "{% if message['role'] == 'assistant' %}{% generation %}{{ part['text'] }}{% endgeneration %}"
        "{% else %}{{ part['text'] }}{% endif %}"
        "{% endif %}{% endfor %}{% endif %}"
        "{{ '" + turn_end + "' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '" + gen_prompt + "' }}{% endif %}"
    )


_QWEN_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                "<|image_pad|>", "<|video_pad|>"]
_QWEN_TEMPLATE = _chat_template(
    "<|im_start|>{role}\\n", "<|im_end|>\\n", "<|vision_start|><|image_pad|><|vision_end|>", "<|im_start|>assistant\\n"
)


def _text_config(size: Size, vocab: int, **extra) -> dict:
    return dict(
        vocab_size=max(vocab, size.vocab or 0), hidden_size=size.hidden,
        intermediate_size=size.intermediate or size.hidden * 2, num_hidden_layers=size.layers,
        num_attention_heads=size.heads, num_key_value_heads=size.kv_heads, max_position_embeddings=4096,
        tie_word_embeddings=size.tie_embeddings, initializer_range=size.init_std, **extra,
    )


def _qwen(family: str, size: Size, seed: int):
    tok = train_tokenizer(_QWEN_TOKENS, _QWEN_TEMPLATE,
                          {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "image_token": "<|image_pad|>",
                           "video_token": "<|video_pad|>"}, seed=seed)
    ids = {t: tok.convert_tokens_to_ids(t) for t in _QWEN_TOKENS}
    head_dim = size.hidden // size.heads
    # M-RoPE splits the head_dim/2 rotary pairs over (time, height, width).
    rope = {"rope_type": "default", "rope_theta": 1e6,
            "mrope_section": [head_dim // 2 - 2 * (head_dim // 2 // 3), head_dim // 2 // 3, head_dim // 2 // 3]}
    common = dict(
        text_config=_text_config(size, len(tok), rope_parameters=rope, bos_token_id=None,
                                 eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"]),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )
    pixels = dict(min_pixels=28 * 28, max_pixels=size.image_side * size.image_side)
    image_processor = Qwen2VLImageProcessor(
        size={"shortest_edge": pixels["min_pixels"], "longest_edge": pixels["max_pixels"]},
        patch_size=14, merge_size=2, temporal_patch_size=2,
    )
    if family == "qwen2_vl":
        vision = dict(depth=size.vision_depth, embed_dim=size.vision_hidden, hidden_size=size.hidden,
                      num_heads=size.vision_heads, mlp_ratio=size.vision_mlp_ratio, patch_size=14,
                      spatial_merge_size=2, temporal_patch_size=2)
        config = Qwen2VLConfig(vision_config=vision, **common)
        processor = Qwen2VLProcessor(image_processor=image_processor, tokenizer=tok,
                                     video_processor=Qwen2VLVideoProcessor(), chat_template=_QWEN_TEMPLATE)
    else:
        vision = dict(depth=size.vision_depth, hidden_size=size.vision_hidden,
                      intermediate_size=size.vision_hidden * size.vision_mlp_ratio, num_heads=size.vision_heads,
                      out_hidden_size=size.hidden, fullatt_block_indexes=[1], window_size=112,
                      patch_size=14, spatial_merge_size=2, temporal_patch_size=2)
        config = Qwen2_5_VLConfig(vision_config=vision, **common)
        processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tok,
                                        video_processor=Qwen2VLVideoProcessor(), chat_template=_QWEN_TEMPLATE)
    eos = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    return config, processor, GenerationConfig(eos_token_id=eos, pad_token_id=ids["<|endoftext|>"])


def _llava(size: Size, seed: int):
    tokens = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]
    # LLaVA-1.5 writes roles in capitals and ends assistant turns with </s>: USER: ... ASSISTANT: ...</s>
    template = _chat_template("{role}: ", " ", "<image>\\n", "ASSISTANT:")
    template = template.replace("message['role'] + '", "message['role'].upper() + '").replace(
        "{{ ' ' }}{% endfor %}", "{% if message['role'] == 'assistant' %}{{ '</s>' }}{% endif %}{{ ' ' }}{% endfor %}"
    )
    tok = train_tokenizer(tokens, template, {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>",
                                             "pad_token": "<pad>", "image_token": "<image>"}, seed=seed)
    side = size.image_side
    config = LlavaConfig(
        vision_config=dict(model_type="clip_vision_model", hidden_size=size.vision_hidden,
                           intermediate_size=size.vision_hidden * 2, num_hidden_layers=2, num_attention_heads=2,
                           image_size=side, patch_size=14, projection_dim=size.vision_hidden),
        text_config=dict(model_type="llama", **_text_config(size, len(tok), bos_token_id=tok.bos_token_id,
                                                             eos_token_id=tok.eos_token_id,
                                                             pad_token_id=tok.pad_token_id)),
        image_token_id=tok.convert_tokens_to_ids("<image>"), vision_feature_layer=-1,
        vision_feature_select_strategy="default",
    )
    image_processor = CLIPImageProcessor(size={"shortest_edge": side}, crop_size={"height": side, "width": side})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tok, patch_size=14,
                               vision_feature_select_strategy="default", num_additional_image_tokens=1,
                               chat_template=template)
    return config, processor, GenerationConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                               bos_token_id=tok.bos_token_id)


def _internvl(size: Size, seed: int):
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>", "<IMG_CONTEXT>", "<video>"]
    template = _chat_template("<|im_start|>{role}\\n", "<|im_end|>\\n", "<IMG_CONTEXT>\\n", "<|im_start|>assistant\\n")
    tok = train_tokenizer(tokens, template, {
        "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "start_image_token": "<img>",
        "end_image_token": "</img>", "context_image_token": "<IMG_CONTEXT>", "video_token": "<video>"}, seed=seed)
    side, patch = size.image_side, 14
    config = InternVLConfig(
        vision_config=dict(hidden_size=size.vision_hidden, intermediate_size=size.vision_hidden * 2,
                           num_hidden_layers=2, num_attention_heads=2, image_size=[side, side],
                           patch_size=[patch, patch]),
        text_config=dict(model_type="qwen2", **_text_config(size, len(tok), bos_token_id=None,
                                                            eos_token_id=tok.eos_token_id,
                                                            pad_token_id=tok.pad_token_id)),
        image_token_id=tok.context_image_token_id, downsample_ratio=0.5, vision_feature_layer=-1,
    )
    image_processor = GotOcr2ImageProcessor(size={"height": side, "width": side}, max_patches=1)
    seq = (side // patch) ** 2 // 4  # pixel shuffle with downsample_ratio 0.5 keeps a quarter of the patches
    processor = InternVLProcessor(image_processor=image_processor, tokenizer=tok,
                                  video_processor=InternVLVideoProcessor(), image_seq_length=seq,
                                  chat_template=template)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    return config, processor, GenerationConfig(eos_token_id=eos, pad_token_id=tok.pad_token_id)


def build(family: str, out: str, seed: int = 0, size: str = "tiny") -> str:
    """Write a loadable model directory (safetensors + processor + generation config) and return its path."""
    if family not in FAMILIES:
        raise SystemExit(f"error: unknown family {family!r}; supported: {', '.join(sorted(FAMILIES))}")
    spec = SIZES[size]
    config, processor, generation_config = (
        _qwen(family, spec, seed) if family.startswith("qwen") else _llava(spec, seed) if family == "llava"
        else _internvl(spec, seed)
    )
    torch.manual_seed(seed)
    model = FAMILIES[family].model_class._from_config(config, dtype=getattr(torch, spec.dtype))
    model.generation_config = generation_config
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    processor.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", required=True, choices=sorted(FAMILIES))
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    args = parser.parse_args(argv)
    path = build(args.family, args.out, args.seed, args.size)
    print(f"built tiny {args.family} ({args.size}, seed {args.seed}) in {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
