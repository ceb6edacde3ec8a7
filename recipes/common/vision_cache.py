"""Frozen-vision cache: while the vision tower and connector are frozen, an image's features never change, so each
distinct image is encoded once and its features reused by the G rollouts of its prompt (generation's prefill),
the old-policy and reference log-prob passes, and the training forward.

transformers re-encodes the image on every forward; with G = 8 that is 8 encodings per pass and several passes per
step. Qwen-VL families only (their `get_image_features` takes flattened patches plus a grid per image); other
families run uncached. Keys are a hash of each image's exact pixel values and grid, so a hit is the same input.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import torch
from transformers.modeling_outputs import BaseModelOutputWithPooling


class FrozenVisionCache:
    # Enough for a generation batch's distinct images (the reuse happens within a step); at Qwen2-VL-2B's 1024 visual
    # tokens x 1536 dims in bf16 an image's features take 3 MB, so 256 images cost about 0.8 GB.
    def __init__(self, inner_model, max_images: int = 256):
        self.encode = inner_model.get_image_features  # the bound method this instance stands in for
        self.max_images, self.store = max_images, OrderedDict()
        self.hits = self.misses = 0

    def __call__(self, pixel_values: torch.Tensor, image_grid_thw: torch.Tensor | None = None, **kwargs):
        if image_grid_thw is None:
            return self.encode(pixel_values, image_grid_thw, **kwargs)
        chunks = torch.split(pixel_values, image_grid_thw.prod(-1).tolist())
        keys = [_key(chunk, grid) for chunk, grid in zip(chunks, image_grid_thw, strict=True)]
        todo = list(dict.fromkeys(k for k in keys if k not in self.store))  # each distinct new image once
        self.misses += len(todo)
        self.hits += len(keys) - len(todo)
        if todo:
            index = {k: i for i, k in enumerate(keys)}
            with torch.no_grad():
                out = self.encode(torch.cat([chunks[index[k]] for k in todo]),
                                  torch.stack([image_grid_thw[index[k]] for k in todo]), **kwargs)
            for k, features in zip(todo, out.pooler_output, strict=True):
                self.store[k] = features.detach()
        for k in keys:
            self.store.move_to_end(k)
        while len(self.store) > self.max_images:
            self.store.popitem(last=False)
        return BaseModelOutputWithPooling(pooler_output=tuple(self.store[k] for k in keys))


def _key(chunk: torch.Tensor, grid: torch.Tensor) -> str:
    data = chunk.detach().contiguous().cpu()
    digest = hashlib.blake2b(data.view(torch.uint8).numpy().tobytes(), digest_size=16)
    digest.update(str((tuple(grid.tolist()), str(data.dtype))).encode())
    return digest.hexdigest()


def install(model, family_name: str, never_trained: bool = False) -> FrozenVisionCache | None:
    """Put a cache on `model` (unwrapped) when it is a Qwen-VL model whose vision tower and connector are frozen
    (`never_trained`: a reference model, frozen whatever its flags say)."""
    inner = getattr(model, "model", None)
    visual = getattr(inner, "visual", None)
    if family_name not in ("qwen2_vl", "qwen2_5_vl") or visual is None:
        return None
    if not never_trained and any(p.requires_grad for p in visual.parameters()):
        return None  # a trained tower's features change every step
    cache = FrozenVisionCache(inner)
    inner.get_image_features = cache
    return cache
