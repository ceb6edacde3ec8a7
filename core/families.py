"""The model-family registry: everything that differs between Qwen2-VL, Qwen2.5-VL, LLaVA and InternVL.

A family is picked from `config.model_type`, so a real hub checkpoint and a tiny local build of the same
architecture take exactly the same path.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch
from transformers import (
    AutoConfig,
    AutoProcessor,
    InternVLForConditionalGeneration,
    LlavaForConditionalGeneration,
    PreTrainedModel,
    ProcessorMixin,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2VLForConditionalGeneration,
)

from core.errors import UserError
from core.images import pixel_range

logger = logging.getLogger(__name__)

# Language-model projections only: the vision tower has layers with the same names, and MAYE-style training
# leaves it alone. peft treats a string as a full-match regex over module names.
_LLM_LINEAR = r"(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"


@dataclass(frozen=True)
class Family:
    name: str
    model_class: type[PreTrainedModel]
    vision_tower: str  # attribute path from the ConditionalGeneration model
    connector: str
    language_model: str
    supports_system_role: bool = True

    @property
    def lora_target_modules(self) -> str:
        return rf".*{self.language_model.split('.')[-1]}\..*\.{_LLM_LINEAR}"


FAMILIES: dict[str, Family] = {
    "qwen2_vl": Family(
        "qwen2_vl", Qwen2VLForConditionalGeneration, "model.visual", "model.visual.merger", "model.language_model"
    ),
    "qwen2_5_vl": Family(
        "qwen2_5_vl", Qwen2_5_VLForConditionalGeneration, "model.visual", "model.visual.merger", "model.language_model"
    ),
    "llava": Family(
        "llava",
        LlavaForConditionalGeneration,
        "model.vision_tower",
        "model.multi_modal_projector",
        "model.language_model",
        supports_system_role=False,
    ),
    "internvl": Family(
        "internvl",
        InternVLForConditionalGeneration,
        "model.vision_tower",
        "model.multi_modal_projector",
        "model.language_model",
    ),
}


class FamilyError(UserError):
    """A model or processor that the recipes cannot train; the message says how to fix it."""


def get_family(model_type: str) -> Family:
    if model_type not in FAMILIES:
        raise FamilyError(
            f"model_type {model_type!r} is not a supported family; supported: {', '.join(sorted(FAMILIES))}"
        )
    return FAMILIES[model_type]


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def load_config(name_or_path: str, revision: str = "main"):
    """AutoConfig with a one-line error for missing paths and uncached hub ids. Remote code never runs: every
    supported family is transformers-native."""
    try:
        return AutoConfig.from_pretrained(name_or_path, revision=revision)
    except OSError as err:
        if os.path.isdir(name_or_path):
            hint = f"{name_or_path!r} is a directory without a model config.json"
        elif name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1:
            hint = f"model path {name_or_path!r} does not exist"
        elif _offline() or "offline" in str(err).lower() or "connect" in str(err).lower():
            hint = f"offline and {name_or_path!r} is not cached"
        else:
            hint = f"cannot load {name_or_path!r}: {str(err).splitlines()[0]}"
        raise FamilyError(
            f"{hint}: build a tiny model with `python -m core.tiny --family qwen2_vl --out DIR` "
            "or set HF_HOME to a cache that holds it"
        ) from None


def family_of(name_or_path: str, revision: str = "main") -> Family:
    return get_family(load_config(name_or_path, revision).model_type)


def load_processor(name_or_path: str, revision: str = "main") -> ProcessorMixin:
    """The real multimodal processor, left-padded (TRL corrupts image context with right padding, TRL #5785)."""
    try:
        processor = AutoProcessor.from_pretrained(
            name_or_path, padding_side="left", truncation_side="left", revision=revision
        )
    except OSError as err:
        raise FamilyError(f"no processor for {name_or_path!r}: {str(err).splitlines()[0][:200]}") from None
    # Without torchvision AutoProcessor can return the bare tokenizer, and training silently runs text-only.
    if not isinstance(processor, ProcessorMixin) or getattr(processor, "image_processor", None) is None:
        raise FamilyError(
            f"{name_or_path!r} loaded as {type(processor).__name__}, not a processor with an image processor: "
            "install torchvision (`make install`) or check the checkpoint's preprocessor_config.json"
        )
    processor.tokenizer.padding_side = "left"
    return processor


def load_model(
    name_or_path: str, dtype: str | torch.dtype = "auto", revision: str = "main",
    attn_implementation: str | None = None, **kwargs,
) -> tuple[PreTrainedModel, ProcessorMixin, Family]:
    """Model (safetensors only) + processor + family for a local directory or hub id."""
    family = family_of(name_or_path, revision)
    check_attn_implementation(attn_implementation)
    model = family.model_class.from_pretrained(
        name_or_path, dtype=dtype, use_safetensors=True, revision=revision, attn_implementation=attn_implementation,
        **kwargs,
    )
    return model, load_processor(name_or_path, revision), family


def check_attn_implementation(name: str | None) -> None:
    """One line before any weights load: transformers' registry of attention kernels (plus 'eager', and hub
    kernels named 'org/repo', which transformers fetches itself)."""
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    known = ["eager", *ALL_ATTENTION_FUNCTIONS.valid_keys()]
    if name is None or name in known or "/" in name:
        return
    raise FamilyError(f"unknown attn_implementation {name!r}: use one of {', '.join(known)} "
                      "(or a hub kernel 'org/repo')")


def _submodule(model: torch.nn.Module, path: str) -> torch.nn.Module:
    # PEFT wraps the model; its base model keeps the original attribute paths.
    if hasattr(model, "get_base_model"):
        model = model.get_base_model()
    return model.get_submodule(path)


def parts(model: PreTrainedModel, family: Family) -> dict[str, torch.nn.Module]:
    """The vision tower (without connector), the connector, and the language model + head."""
    return {
        "vision_tower": _submodule(model, family.vision_tower),
        "connector": _submodule(model, family.connector),
        "language_model": _submodule(model, family.language_model),
        "lm_head": _submodule(model, "lm_head"),
    }


def set_trainable(
    model: PreTrainedModel, family: Family, train_vit: bool = False, train_connector: bool = False,
    train_llm: bool = True,
) -> dict[str, int]:
    """MAYE's freeze flags. The connector may sit inside the vision tower (Qwen's merger), so it is set last."""
    p = parts(model, family)
    for module, flag in (
        (p["vision_tower"], train_vit),
        (p["language_model"], train_llm),
        (p["lm_head"], train_llm),
        (p["connector"], train_connector),
    ):
        for param in module.parameters():
            if param.is_floating_point():  # quantized (QLoRA) weights are integers and never train themselves
                param.requires_grad_(flag)
    return {
        name: sum(x.numel() for x in module.parameters() if x.requires_grad) for name, module in p.items()
    }


def lora_config(model_args, family: Family):
    """TRL's LoraConfig from the ModelConfig flags; with no lora_target_modules/parameters it targets the language
    model's projections only (MAYE-style), since peft's default would also adapt the vision tower's."""
    from trl import get_peft_config

    config = get_peft_config(model_args)
    if config is not None and not model_args.lora_target_modules and not model_args.lora_target_parameters:
        config.target_modules = family.lora_target_modules
    return config


def quantization_config(model_args, family: Family):
    """QLoRA: TRL's bitsandbytes config from the ModelConfig flags (load_in_4bit / load_in_8bit), with the vision
    tower, connector and output head kept in full precision. TRL's helper quantizes every Linear, the ViT included,
    which costs image understanding for little memory (the tower is a tenth of a 2B model)."""
    if not (model_args.load_in_4bit or model_args.load_in_8bit):
        return None
    from trl import get_quantization_config

    config = get_quantization_config(model_args)
    config.llm_int8_skip_modules = [family.vision_tower, family.connector, "lm_head"]
    return config


def check_quantization(model_args) -> None:
    """One line, before anything loads, when a quantized (QLoRA) run cannot work here."""
    import importlib.util

    if not (model_args.load_in_4bit or model_args.load_in_8bit):
        return
    if not model_args.use_peft:
        raise FamilyError("load_in_4bit/load_in_8bit freeze the quantized weights: add --use_peft true to train "
                          "LoRA adapters on them (QLoRA)")
    if not torch.cuda.is_available() or importlib.util.find_spec("bitsandbytes") is None:
        raise FamilyError("load_in_4bit/load_in_8bit need a CUDA GPU and bitsandbytes (pip install bitsandbytes); "
                          "drop the flag to train in full precision")


def set_pixel_range(processor: ProcessorMixin, min_pixels: int | None, max_pixels: int | None) -> None:
    """Qwen-VL processors take their image resolution range from min/max pixels; others ignore this."""
    current = pixel_range(processor)
    if current is None:
        if min_pixels or max_pixels:  # one config serves every family; fixed-size processors have no range
            name = type(processor.image_processor).__name__
            logger.warning(f"{name} resizes to a fixed size: min/max_pixels ignored")
        return
    # transformers 5 keeps Qwen-VL's pixel range in size = {shortest_edge: min_pixels, longest_edge: max_pixels}
    processor.image_processor.size = {"shortest_edge": min_pixels or current[0],
                                      "longest_edge": max_pixels or current[1]}
