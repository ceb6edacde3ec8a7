"""The one image decoder: a datasets image cell, raw bytes, a path or a PIL image -> a loaded RGB image."""

from __future__ import annotations

import io

from PIL import Image


def decode_image(image) -> Image.Image:
    if isinstance(image, dict):  # datasets' undecoded Image cell: {"bytes": ..., "path": ...}
        image = image.get("bytes") or image["path"]
    if isinstance(image, bytes | bytearray):
        image = io.BytesIO(image)
    if not isinstance(image, Image.Image):
        image = Image.open(image)
    image.load()  # decode now, so a truncated file fails here and not later inside a batch
    return image.convert("RGB")
