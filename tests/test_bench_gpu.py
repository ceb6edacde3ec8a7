"""The real-size GPU benchmark's arithmetic, and its whole path on a tiny model on CPU (the GPU numbers need a GPU)."""

import json
import sys

import pytest
import torch

from benchmarks.bench_gpu import main, parameter_counts, peak_tflops, step_flops
from core.families import get_family, load_model


def test_step_flops_by_hand():
    # language: 2*10*5 per forward pass x 2 passes + 6*10*5 training; vision: 2*3*4 per pass x (2 + training)
    assert step_flops(llm_params=10, vision_params=3, tokens=5, image_patches=4, forward_passes=2) == 200 + 300 + 72


def test_parameter_counts_leave_out_vision_and_the_embedding_lookup(tiny_models):
    model, _, _ = load_model(tiny_models["qwen2_vl"])
    llm, vision = parameter_counts(model, get_family("qwen2_vl"))
    named = dict(model.named_parameters())
    assert vision == sum(p.numel() for n, p in named.items() if ".visual." in n)
    assert llm == sum(p.numel() for n, p in named.items() if ".visual." not in n and "embed_tokens" not in n)


def test_real_size_architecture_is_qwen2_vl_2b():
    from transformers import Qwen2VLForConditionalGeneration

    from core import tiny

    config, _, _ = tiny._qwen("qwen2_vl", tiny.SIZES["qwen2_vl_2b"], 0)
    with torch.device("meta"):
        model = Qwen2VLForConditionalGeneration(config)
    llm, vision = parameter_counts(model, get_family("qwen2_vl"))
    assert config.text_config.vocab_size == 151936
    assert round(sum(p.numel() for p in model.parameters()) / 1e9, 2) == 2.21  # Qwen2-VL-2B: 2,208,985,600
    assert round(vision / 1e9, 3) == 0.665
    total = sum(p.numel() for p in model.parameters())
    assert llm == total - vision  # tied head: the shared matrix is counted once, as the head's matmul


@pytest.mark.parametrize("name,peak", [("NVIDIA H100 80GB HBM3", 989.4), ("NVIDIA H100 PCIe", 756.0),
                                       ("NVIDIA H200", 989.4), ("NVIDIA A100-SXM4-80GB", 312.0), ("Tesla T4", None)])
def test_peak_table(name, peak):
    assert peak_tflops(name) == peak


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU smoke run")
def test_tiny_run_on_cpu_writes_numbers_and_says_why_vllm_did_not_run(tmp_path):
    """In `make test`'s environment, which has no vllm; tests/vllm/test_bench_gpu.py runs both generators."""
    main(["--size", "tiny", "--steps", "2", "--warmup", "1", "--peak-tflops", "0.5", "--out", str(tmp_path)])
    report = json.load(open(tmp_path / "bench_gpu.json"))
    hf = report["results"]["hf"]
    assert report["skipped"]["vllm"].startswith("vllm is not installed") and set(report["results"]) == {"hf"}
    assert hf["step"] > 0 and hf["tokens_per_s"] > 0 and hf["generated_tokens_per_s"] > 0
    assert hf["step"] >= hf["generation"] + hf["train fwd+bwd"]
    assert hf["mfu_pct"] == pytest.approx(100 * hf["achieved_tflops"] / 0.5)
    assert hf["achieved_tflops"] == pytest.approx(hf["tflops_per_step"] / hf["step"])
    assert "| hf |" in (tmp_path / "bench_gpu.md").read_text()


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU refusal")
def test_vllm_on_without_vllm_installed_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["bench_gpu"])
    with pytest.raises(SystemExit, match="--vllm on, but vllm is not installed"):
        main(["--size", "tiny", "--vllm", "on", "--out", str(tmp_path)])
