"""`make bench-gpu`'s CPU smoke run with both generators: HF and vLLM colocate, each timed by phase."""

import json

import pytest

from benchmarks.bench_gpu import main


def test_cpu_smoke_run_times_hf_and_vllm_generation(tmp_path):
    main(["--size", "small", "--steps", "2", "--warmup", "1", "--vllm", "on", "--peak-tflops", "0.5",
          "--out", str(tmp_path)])
    report = json.load(open(tmp_path / "bench_gpu.json"))
    assert report["skipped"] == {} and set(report["results"]) == {"hf", "vllm"}
    for r in report["results"].values():
        assert r["generation"] > 0 and r["generated_tokens_per_s"] > 0
        assert r["step"] >= r["generation"] + r["train fwd+bwd"]
        assert r["mfu_pct"] == pytest.approx(100 * r["achieved_tflops"] / 0.5)
    assert "| vllm |" in (tmp_path / "bench_gpu.md").read_text()


def test_tiny_size_skips_vllm_on_a_cpu_with_the_reason():
    from benchmarks.bench_gpu import vllm_skip_reason
    from core.tiny import SIZES

    assert "head_dim >= 32" in vllm_skip_reason("auto", SIZES["tiny"])
    assert vllm_skip_reason("auto", SIZES["small"]) is None
    with pytest.raises(SystemExit, match="head_dim"):
        vllm_skip_reason("on", SIZES["tiny"])
