"""SFT on gold chain-of-thought: the baseline of MAYE's RL-vs-SFT comparison and the demo's warm start.

Each row's target is `completion_template` filled with its `rationale` and `answer` (R1 format by default); the
loss covers the completion only. Same families, schema, freeze flags and prompts as the RL recipes.

    accelerate launch recipes/sft_geo/train.py --model_name_or_path DIR --dataset_name DIR --output_dir OUT
"""

from dataclasses import dataclass

from trl import SFTConfig, SFTTrainer

from core.cli import run
from recipes.common.launch import train_on_rows


@dataclass
class SFTTarget:
    completion_template: str = "<think>{rationale}</think><answer>{answer}</answer>"


CONFIG = (SFTConfig, SFTTarget)


def completion(row: dict, target: SFTTarget) -> dict:
    return {"completion": [{"role": "assistant", "content": target.completion_template.format(**row)}]}


def main(argv: list[str] | None = None) -> None:
    train_on_rows(__file__, SFTTrainer, CONFIG, completion, argv)


if __name__ == "__main__":
    run(main)
