"""The exported graphs. The scoring graph: a causal LM plus the per-token numbers scoring needs, in one ONNX model.

The full logits of 512 tokens of a 49k-token vocabulary are 100 MB; the scoring graph computes the
log-softmax, the given next tokens' logprobs, the full-vocabulary entropy and the top-k alternatives
inside the model, so only a few numbers per token leave onnxruntime. Logits are divided by the
temperature input first, as TRL does for the loss (`logits / temperature`, then log-softmax).

    inputs   input_ids       int64   (B, T)
             attention_mask  int64   (B, T)   1 = token, 0 = right padding
             temperature     float32 ()       1.0 reproduces a run trained at temperature 1
    outputs  token_logprobs  float32 (B, T-1) log p(input_ids[:, t+1] | input_ids[:, :t+1])
             entropies       float32 (B, T-1) full-vocabulary entropy of position t's distribution
             top_ids         int64   (B, T-1, K)
             top_logprobs    float32 (B, T-1, K)
             logits          float32 (B, T, V) raw logits (fetch only when needed: it is large)

The reward graph (a sequence-classification model, e.g. a reward model):

    inputs   input_ids, attention_mask   as above
    outputs  scores          float32 (B, L)   the head's logits at each text's last token (L labels; 1 for a reward)
"""

from __future__ import annotations

import torch

INPUT_NAMES = ["input_ids", "attention_mask", "temperature"]
OUTPUT_NAMES = ["token_logprobs", "entropies", "top_ids", "top_logprobs", "logits"]
TOP_K = 5
REWARD_INPUT_NAMES = ["input_ids", "attention_mask"]
REWARD_OUTPUT_NAMES = ["scores"]


class ScoringGraph(torch.nn.Module):
    def __init__(self, model: torch.nn.Module, top_k: int = TOP_K):
        super().__init__()
        self.model = model
        self.top_k = top_k

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, temperature: torch.Tensor):
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits  # (B, T, V)
        logp = torch.log_softmax(logits[:, :-1, :].float() / temperature, dim=-1)  # (B, T-1, V)
        token_logprobs = logp.gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)  # (B, T-1)
        entropies = -(logp.exp() * logp).sum(-1)  # (B, T-1)
        top_logprobs, top_ids = logp.topk(self.top_k, dim=-1)  # (B, T-1, K)
        return token_logprobs, entropies, top_ids, top_logprobs, logits


class RewardGraph(torch.nn.Module):
    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits.float()  # (B, L)
