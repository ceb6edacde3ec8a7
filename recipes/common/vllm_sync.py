"""Weight sync into a colocated vLLM engine that also works on vLLM's CPU platform (`make test-vllm` runs it).

TRL 1.16 (trl/generation/vllm_generation.py, `VLLMGeneration.sync_weights`) pushes each parameter with the vLLM
model's in-place `load_weights`. On CPU, vLLM repacks every linear weight for its oneDNN/sgl kernels after loading
and leaves `layer.weight` empty (vllm/model_executor/layers/utils.py, `dispatch_cpu_unquantized_gemm`), so that
fails at step 0 with "Attempted to load weight (torch.Size([192, 64])) into parameter (torch.Size([0]))". The
model runner's `reload_weights` restores the checkpoint layout, loads and repacks again. GPUs keep TRL's own sync.
"""

from __future__ import annotations

from functools import partial


def reload_sync(generation) -> None:
    """TRL's colocate sync through `reload_weights`: every process walks the parameters (gathering is a collective
    under ZeRO-3), then the prefix cache and the encoder cache go. Cached image embeddings were computed with the
    old weights, and after a reload a stale entry fails the next request ("Encoder cache miss")."""
    llm = generation.llm
    runner = llm.llm_engine.model_executor.driver_worker.model_runner
    runner.reload_weights(weights_iterator=generation._iter_named_params())
    llm.reset_prefix_cache()
    llm.llm_engine.reset_encoder_cache()


def needs_reload_sync(generation) -> bool:
    if generation is None or generation.mode != "colocate":
        return False
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


def install(trainer) -> None:
    """Route a colocate trainer's weight sync through `reload_sync` where the running vLLM platform needs it."""
    generation = getattr(trainer, "vllm_generation", None)
    if needs_reload_sync(generation):
        generation.sync_weights = partial(reload_sync, generation)
