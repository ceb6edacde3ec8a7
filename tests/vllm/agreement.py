"""Does vLLM hold the weights an HF model has? Teacher-force vLLM's greedy tokens through the HF model."""

import torch


@torch.no_grad()
def agreement(model, ids: list[int], tokens: list[int], logps: list[float]) -> tuple[float, bool]:
    """(largest |vLLM - HF| log-prob of vLLM's greedy `tokens`, whether each is HF's greedy choice up to bf16
    near-ties). vLLM may run a float32 checkpoint in bfloat16 (it downcasts on some platforms), HF in float32."""
    hf = torch.log_softmax(model(input_ids=torch.tensor([ids + tokens])).logits[0, len(ids) - 1:-1].float(), -1)
    diff = max(abs(lp - hf[i, t].item()) for i, (t, lp) in enumerate(zip(tokens, logps, strict=True)))
    greedy = all(hf[i].max() - hf[i, t] <= 0.1 for i, t in enumerate(tokens))
    return diff, greedy
