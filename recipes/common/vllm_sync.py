"""Weight sync into vLLM that also works where TRL's does not: vLLM's CPU platform (colocate) and a trainer without
CUDA (server). `make test-vllm` runs both. GPUs keep TRL's own sync.

Colocate: TRL 1.16 (trl/generation/vllm_generation.py, `VLLMGeneration.sync_weights`) pushes each parameter with the
vLLM model's in-place `load_weights`. On CPU, vLLM repacks every linear weight for its oneDNN/sgl kernels after
loading and leaves `layer.weight` empty (vllm/model_executor/layers/utils.py, `dispatch_cpu_unquantized_gemm`), so
that fails at step 0 with "Attempted to load weight (torch.Size([192, 64])) into parameter (torch.Size([0]))". The
model runner's `reload_weights` restores the checkpoint layout, loads and repacks again.

Server: TRL 1.16's client streams weights over vLLM's NCCL weight-transfer engine, which needs CUDA on both ends
(trl/generation/vllm_client.py, `init_communicator`). Without CUDA the trainer writes the weights to a folder and
asks the server's workers to reload from it through vLLM's dev-mode `/collective_rpc` (the same `reload_weights`),
so the server must see that folder: the same machine or a shared file system.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from functools import partial

import torch


def reload_sync(generation) -> None:
    """TRL's colocate sync through `reload_weights`: every process walks the parameters (gathering is a collective
    under ZeRO-3), then the prefix cache and the encoder cache go. Cached image embeddings were computed with the
    old weights, and after a reload a stale entry fails the next request ("Encoder cache miss")."""
    llm = generation.llm
    runner = llm.llm_engine.model_executor.driver_worker.model_runner
    runner.reload_weights(weights_iterator=generation._iter_named_params())
    llm.reset_prefix_cache()
    llm.llm_engine.reset_encoder_cache()


def file_sync(generation, folder: str) -> None:
    """Server mode without NCCL: every process walks the parameters (a collective under ZeRO-3); the main one writes
    them in checkpoint layout and has the server reload them, then drop its prefix and encoder caches."""
    from safetensors.torch import save_file

    accelerator = generation.accelerator
    if not accelerator.is_main_process:
        for _ in generation._iter_named_params():  # take part in the gather collectives
            pass
    else:
        save_file({name: param.detach().to("cpu", copy=True).contiguous()
                   for name, param in generation._iter_named_params()}, os.path.join(folder, "model.safetensors"))
        client = generation.vllm_client
        for endpoint, body in (("collective_rpc", {"method": "reload_weights", "kwargs": {"weights_path": folder}}),
                               ("reset_prefix_cache", None), ("reset_encoder_cache", None)):
            client.session.post(f"{client.base_url}/{endpoint}", json=body, timeout=600).raise_for_status()
    accelerator.wait_for_everyone()


def needs_reload_sync(generation) -> bool:
    if generation is None or generation.mode != "colocate":
        return False
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


def needs_file_sync(args) -> bool:
    return bool(getattr(args, "use_vllm", False)) and args.vllm_mode == "server" and not torch.cuda.is_available()


@contextlib.contextmanager
def server_without_nccl(args):
    """While the trainer is built: skip TRL's NCCL handshake with the server where there is no CUDA (it would
    refuse the device); `install` then gives the trainer `file_sync` instead."""
    if not needs_file_sync(args):
        yield
        return
    from trl.generation.vllm_client import VLLMClient

    handshake = VLLMClient.init_communicator
    VLLMClient.init_communicator = lambda self, *a, **k: None
    try:
        yield
    finally:
        VLLMClient.init_communicator = handshake


def install(trainer) -> None:
    """Route a trainer's weight sync through `reload_sync` or `file_sync` where TRL's cannot run."""
    generation = getattr(trainer, "vllm_generation", None)
    if needs_reload_sync(generation):
        generation.sync_weights = partial(reload_sync, generation)
    elif generation is not None and needs_file_sync(trainer.args):
        folder = tempfile.TemporaryDirectory(prefix="vllm_weights_")
        generation._weights_folder = folder  # removed with the trainer
        generation.sync_weights = partial(file_sync, generation, folder.name)
