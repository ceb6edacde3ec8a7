"""SFT on gold chain-of-thought: the baseline of MAYE's RL-vs-SFT comparison and the demo's warm start.

Each row's target is `completion_template` filled with its `rationale` and `answer` (R1 format by default); the
loss covers the completion only. Same families, schema, freeze flags and prompts as the RL recipes.

    accelerate launch recipes/sft_geo/train.py --model_name_or_path DIR --dataset DIR --output_dir OUT
"""

from dataclasses import dataclass

from trl import SFTConfig, SFTTrainer

from recipes.common.cli import resume_point, run
from recipes.common.config import parse_args
from recipes.common.families import lora_config
from recipes.common.launch import load_policy_and_prompts


@dataclass
class SFTTarget:
    completion_template: str = "<think>{rationale}</think><answer>{answer}</answer>"


CONFIG = (SFTConfig, SFTTarget)


def main():
    recipe, args, target, model_args = parse_args(__file__, *CONFIG)
    model, processor, family, train, evaluation = load_policy_and_prompts(recipe, args, model_args)

    def with_completion(row):
        return {"completion": [{"role": "assistant", "content": target.completion_template.format(**row)}]}

    trainer = SFTTrainer(model=model, processing_class=processor, args=args, train_dataset=train.map(with_completion),
                         eval_dataset=evaluation.map(with_completion) if evaluation is not None else None,
                         peft_config=lora_config(model_args, family))
    trainer.train(resume_from_checkpoint=resume_point(args.resume_from_checkpoint, args.output_dir))
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    run(main)
