"""FSDP2 pieces that run on CPU. Accelerate 1.15 applies FSDP only on GPU device types, so a CPU run never shards;
these check our parts on real sharded DTensors from a 2-process gloo `fully_shard`."""

import os
import socket
from collections import defaultdict
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import yaml

from recipes.common.callbacks import ReplicaCheckCallback


class _Gloo:
    """What ReplicaCheckCallback uses of an Accelerator, over the gloo group."""

    device = torch.device("cpu")

    def unwrap_model(self, model):
        return model

    def gather(self, tensor):
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor)
        return torch.cat(parts)


def _checksum_on_sharded_params(rank: int, port: int, out: dict):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        from torch.distributed.fsdp import fully_shard

        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.Linear(6, 4))
        fully_shard(model)
        trainer = SimpleNamespace(model=model, accelerator=_Gloo(), _metrics={"train": defaultdict(list)})
        args = SimpleNamespace(save_strategy="steps", save_steps=1)
        ReplicaCheckCallback(trainer).on_step_end(args, SimpleNamespace(global_step=1, max_steps=1), None)
        out[rank] = (type(next(model.parameters())).__name__, trainer._metrics["train"]["replicas/checksum_spread"])
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # two spawned processes: ~30 s
def test_replica_checksum_takes_fsdp2_dtensors():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = mp.Manager().dict()
    mp.spawn(_checksum_on_sharded_params, args=(port, out), nprocs=2)
    assert [out[r][0] for r in (0, 1)] == ["DTensor", "DTensor"]  # really sharded
    assert [out[r][1] for r in (0, 1)] == [[0.0], [0.0]]


def test_fsdp2_config_saves_a_full_model():
    """SHARDED_STATE_DICT leaves trainer.save_model without a final model; a full state dict is gathered on save."""
    path = os.path.join(os.path.dirname(__file__), "..", "recipes", "common", "accelerate", "fsdp2.yaml")
    config = yaml.safe_load(open(path))["fsdp_config"]
    assert config["fsdp_version"] == 2 and config["fsdp_state_dict_type"] == "FULL_STATE_DICT"
