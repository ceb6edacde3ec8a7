"""The one image resize that data prep, training and rollout share, so a model trains on what it sampled on."""

from __future__ import annotations

from PIL import Image
from qwen_vl_utils import smart_resize

# Qwen-VL's defaults (qwen-vl-utils): 4..16384 visual tokens of 28x28 pixels.
MIN_PIXELS = 4 * 28 * 28
MAX_PIXELS = 16384 * 28 * 28
FACTOR = 28


def resize_for_vlm(image: Image.Image, min_pixels: int = MIN_PIXELS, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """RGB, both sides a multiple of 28, area within [min_pixels, max_pixels], aspect ratio kept."""
    image = image.convert("RGB")
    height, width = smart_resize(image.height, image.width, FACTOR, min_pixels=min_pixels, max_pixels=max_pixels)
    if (height, width) == (image.height, image.width):
        return image
    return image.resize((width, height), Image.Resampling.BICUBIC)
