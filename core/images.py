"""The one image decoder (a datasets image cell, raw bytes, a path or a PIL image -> a loaded RGB image) and the one
resize that data prep, training and rollouts share, so a model trains on the image it sampled on."""

from __future__ import annotations

import io
import logging

from PIL import Image

# Qwen-VL's defaults (qwen-vl-utils): 4..16384 visual tokens of 28x28 pixels.
MIN_PIXELS = 4 * 28 * 28
MAX_PIXELS = 16384 * 28 * 28
FACTOR = 28

logger = logging.getLogger(__name__)


def decode_image(image) -> Image.Image:
    if isinstance(image, dict):  # datasets' undecoded Image cell: {"bytes": ..., "path": ...}
        image = image.get("bytes") or image["path"]
    if isinstance(image, bytes | bytearray):
        image = io.BytesIO(image)
    if not isinstance(image, Image.Image):
        image = Image.open(image)
    image.load()  # decode now, so a truncated file fails here and not later inside a batch
    return image.convert("RGB")


def resize_for_vlm(image: Image.Image, min_pixels: int = MIN_PIXELS, max_pixels: int = MAX_PIXELS,
                   factor: int = FACTOR) -> Image.Image:
    """RGB, both sides a multiple of `factor`, area within [min_pixels, max_pixels], aspect ratio kept: what a
    Qwen-VL processor resizes to (the same smart_resize), so that processor then leaves the image as it is."""
    from qwen_vl_utils import smart_resize  # imports torch and torchvision (~4 s): not for decode_image's users

    image = image.convert("RGB")
    height, width = smart_resize(image.height, image.width, factor, min_pixels=min_pixels, max_pixels=max_pixels)
    if (height, width) == (image.height, image.width):
        return image
    return image.resize((width, height), Image.Resampling.BICUBIC)


def pixel_range(processor) -> tuple[int, int, int] | None:
    """(min_pixels, max_pixels, factor) a Qwen-VL processor resizes into; None for fixed-size processors."""
    image_processor = processor.image_processor
    size = getattr(image_processor, "size", None) or {}
    if "longest_edge" not in size or not hasattr(image_processor, "merge_size"):
        return None
    return size["shortest_edge"], size["longest_edge"], image_processor.patch_size * image_processor.merge_size


def fit_images(data, processor, engine_range: tuple[int, int, int] | None = None):
    """Every row's images resized into `processor`'s pixel range, so that another processor with other settings
    gets the same image and the same number of image tokens. TRL's vLLM engine (colocate or server) loads the
    checkpoint's own processor config, not the recipe's min/max_pixels: without this it samples from a different
    view of the image than the policy is trained on (e.g. 16 image tokens against 4). That holds while the recipe's
    range lies inside the engine's (`engine_range`, the checkpoint's); outside it the engine resizes again."""
    fit = pixel_range(processor)
    if fit is None:
        return data
    low, high, factor = fit
    if engine_range and (low < engine_range[0] or high > engine_range[1]):
        logger.warning(f"min/max_pixels [{low}, {high}] reach outside the checkpoint's [{engine_range[0]}, "
                       f"{engine_range[1]}], which vLLM uses: vLLM resizes those images again. Keep the range "
                       "inside the checkpoint's (or edit its preprocessor config)")
    return data.map(lambda row: {"images": [resize_for_vlm(decode_image(im), low, high, factor)
                                            for im in row["images"]]}, desc="fitting images to the pixel range")
