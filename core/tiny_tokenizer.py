"""A byte-level BPE tokenizer trained locally with `tokenizers`, so tiny models need nothing from a hub."""

from __future__ import annotations

import random

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

_WORDS = (
    "how many are there in the image what is the angle measure of triangle find degrees answer think "
    "red green blue yellow purple gray circles squares triangles shapes objects count choose option "
    "question solution therefore so the sum of angles is 180 first then so we get reason step "
    "A B C D yes no cm units value length area side right left top bottom"
).split()


def _corpus(seed: int) -> list[str]:
    """Text shaped like the prompts and answers the recipes use (tags, digits, degrees, options)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(3000):
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 14)))
        n = rng.randint(0, 360)
        lines.append(f"<think> {words} {n} </think> <answer> {n}° </answer>")
        lines.append(f"{words}? ({rng.choice('ABCD')}) {n}° \\boxed{{{n}}} $\\frac{{{n}}}{{2}}$")
    return lines


def train_tokenizer(
    special_tokens: list[str], chat_template: str, roles: dict[str, str], vocab_size: int = 1024, seed: int = 0
) -> PreTrainedTokenizerFast:
    """`roles` maps eos_token / pad_token / bos_token / unk_token / extra attribute names to special tokens."""
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(seed), trainer=trainer)
    standard = {k: v for k, v in roles.items() if k in ("eos_token", "pad_token", "bos_token", "unk_token")}
    extra = {k: v for k, v in roles.items() if k not in standard}
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        chat_template=chat_template,
        extra_special_tokens=extra or None,
        clean_up_tokenization_spaces=False,
        **standard,
    )
    return fast
