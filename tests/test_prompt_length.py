"""The fast prompt length (text tokens + a measured expansion per image size) equals the processor's own count."""

import pytest
from PIL import Image

from core.families import family_of, load_processor
from core.prompts import _full_length, build_prompt, prompt_length
from tests.conftest import FAMILIES


@pytest.mark.parametrize("family", FAMILIES)
def test_fast_prompt_length_equals_the_processors_count(tiny_models, family):
    processor, fam = load_processor(tiny_models[family]), family_of(tiny_models[family])
    for text, system, sizes in [("How many shapes?", None, [(112, 112)]),
                                ("Find x. " * 20, "Think first.", [(56, 84)]),
                                ("Compare the two pictures.", "sys", [(112, 56), (200, 140)]),
                                ("No picture here.", None, [])]:
        prompt = build_prompt(fam, text, system)
        images = [Image.new("RGB", s) for s in sizes]
        assert prompt_length(processor, prompt, images) == _full_length(processor, prompt, images), (text, sizes)
