"""What a colocated vLLM engine is given for an image prompt: one placeholder token per image (vLLM expands it
itself), read off each family's own processor. The engine side runs in tests/vllm/test_colocate.py."""

import pytest
from datasets import Dataset
from PIL import Image
from trl.data_utils import prepare_multimodal_messages

from core.families import FAMILIES, get_family, load_model, set_pixel_range
from core.images import fit_images, pixel_range
from core.prompts import build_prompt
from recipes.common.vllm_prompts import Expansion, collapse, expansion_of


@pytest.mark.parametrize("family", FAMILIES)
def test_collapsed_prompt_is_the_tokenizer_only_rendering(tiny_models, family):
    _, processor, _ = load_model(tiny_models[family])
    images = [Image.new("RGB", (56, 56)), Image.new("RGB", (112, 84))]
    text = processor.apply_chat_template(prepare_multimodal_messages(build_prompt(get_family(family), "What?"),
                                                                     images=images), add_generation_prompt=True,
                                         tokenize=False)
    expanded = list(processor(text=[text], images=images)["input_ids"][0])
    unexpanded = processor.tokenizer(text, add_special_tokens=False)["input_ids"]
    assert len(expanded) > len(unexpanded) + 2  # two images, several tokens each
    assert collapse(expanded, expansion_of(processor)) == unexpanded


def test_collapse_keeps_what_is_not_a_whole_expansion():
    wrapped = Expansion(placeholder=5, before=(3,), after=(4,))
    assert collapse([1, 3, 5, 5, 5, 4, 2], wrapped) == [1, 5, 2]
    assert collapse([1, 3, 5, 5, 2, 4], wrapped) == [1, 3, 5, 5, 2, 4]  # no closing token: left alone
    assert collapse([5, 5, 7, 5], Expansion(5, (), ())) == [5, 7, 5]


def test_fitted_images_need_no_resize_and_keep_the_policys_image_tokens(tiny_models):
    """Resized into the recipe's pixel range, an image gives the same image tokens under the recipe's processor
    and under the checkpoint's (which vLLM uses), where the raw image does not."""
    _, recipe_processor, _ = load_model(tiny_models["qwen2_vl"])
    _, checkpoint_processor, _ = load_model(tiny_models["qwen2_vl"])
    set_pixel_range(recipe_processor, 28 * 28, 28 * 28 * 2)
    raw = Image.new("RGB", (224, 168), "white")
    fitted = fit_images(Dataset.from_dict({"images": [[raw]]}), recipe_processor)[0]["images"][0]

    def grid(processor, image):
        return processor.image_processor(images=[image])["image_grid_thw"].tolist()

    assert grid(recipe_processor, fitted) == grid(recipe_processor, raw) == grid(checkpoint_processor, fitted)
    assert grid(checkpoint_processor, raw) != grid(recipe_processor, raw)
    assert fit_images(Dataset.from_dict({"images": [[fitted]]}), recipe_processor)[0]["images"][0].size == fitted.size


class _BosProcessor:
    """A processor whose tokenizer adds a BOS, as Llama-tokenizer LLaVA's does: <image> expands to 3 tokens."""
    image_token = "<image>"
    VOCAB = {"<s>": 1, "a": 2, "b": 3, "<image>": 9}

    class tokenizer:  # noqa: N801 - the attribute name processors use
        def __new__(cls, text, add_special_tokens=True):
            ids = [_BosProcessor.VOCAB[t] for t in text.replace("<image>", " <image> ").split()]
            return {"input_ids": ([1] if add_special_tokens else []) + ids}

        @staticmethod
        def convert_tokens_to_ids(token):
            return _BosProcessor.VOCAB[token]

    def __call__(self, text, images):
        return {"input_ids": [[1, 2, 9, 9, 9, 3]]}


def test_probe_reads_the_expansion_where_the_tokenizer_adds_a_bos():
    assert expansion_of(_BosProcessor()) == Expansion(placeholder=9, before=(), after=())


def test_pixel_range_beyond_the_checkpoints_is_a_warning(tiny_models, caplog):
    _, processor, _ = load_model(tiny_models["qwen2_vl"])
    checkpoint = pixel_range(processor)
    set_pixel_range(processor, 28 * 28, checkpoint[1] * 4)
    fit_images(Dataset.from_dict({"images": [[Image.new("RGB", (56, 56))]]}), processor, checkpoint)
    assert "vLLM resizes those images again" in caplog.text
