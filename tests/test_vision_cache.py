"""Frozen-vision cache: the same features, log-probs, losses and trained weights as without it, with each
distinct image encoded once."""

import torch
from trl import GRPOConfig, GRPOTrainer

from core.families import load_model, set_trainable
from recipes.common.vision_cache import FrozenVisionCache, install
from tests.trainers import make_trainer


def _encoded(tiny_models, angles_dataset):
    from core.datasets import load_split

    model, processor, family = load_model(tiny_models["qwen2_vl"])
    set_trainable(model, family)  # the default: vision tower and connector frozen
    rows = load_split(angles_dataset, "train")
    images = [rows[i]["images"][0] for i in (0, 1, 0, 0, 1, 2)]  # repeats, as G rollouts of a prompt are
    enc = processor.image_processor(images, return_tensors="pt")
    return model, enc


def test_cached_features_equal_uncached_and_each_image_is_encoded_once(tiny_models, angles_dataset):
    model, enc = _encoded(tiny_models, angles_dataset)
    with torch.no_grad():
        plain = model.model.get_image_features(enc["pixel_values"], enc["image_grid_thw"]).pooler_output
        cache = install(model, "qwen2_vl")
        assert isinstance(cache, FrozenVisionCache)
        first = model.model.get_image_features(enc["pixel_values"], enc["image_grid_thw"]).pooler_output
        again = model.model.get_image_features(enc["pixel_values"], enc["image_grid_thw"]).pooler_output
    assert (cache.misses, cache.hits) == (3, 9)  # 3 distinct images of 6, then 6 hits
    for a, b, c in zip(plain, first, again, strict=True):
        assert torch.allclose(a, b, atol=1e-6) and torch.equal(b, c)


def test_no_cache_when_the_vision_tower_trains(tiny_models):
    model, _, _ = load_model(tiny_models["qwen2_vl"])  # every parameter trainable
    assert install(model, "qwen2_vl") is None
    assert install(load_model(tiny_models["llava"])[0], "llava") is None  # not a Qwen-VL family


def test_grpo_with_and_without_the_cache_trains_the_same(tiny_models, angles_dataset, tmp_path):
    def run(cache, sub):
        trainer = make_trainer(GRPOTrainer, GRPOConfig, tiny_models["qwen2_vl"], angles_dataset, tmp_path / sub,
                               ["tests.helpers.text_length_reward"], vision_cache=cache, num_generations=4,
                               per_device_train_batch_size=8, beta=0.04, max_steps=2)
        trainer.train()
        losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
        return losses, dict(trainer.model.named_parameters()), trainer.model.model.get_image_features

    plain_losses, plain, _ = run(False, "plain")
    cached_losses, cached, cache = run(True, "cached")
    assert isinstance(cache, FrozenVisionCache) and cache.hits > cache.misses > 0
    assert len(plain_losses) == 2 and torch.allclose(torch.tensor(plain_losses), torch.tensor(cached_losses),
                                                     atol=1e-6)
    for name, p in cached.items():
        assert torch.allclose(p, plain[name], atol=1e-6), name
