"""Batched sampling with per-token recording: `model.generate` over prompts × samples, in chunks.

Capture point: a LogitsProcessor placed by transformers before its sampling warpers (temperature,
top-k, top-p are added after user processors, GenerationMixin._get_logits_processor), so it sees
the model's logits of every step. Per step it keeps log_softmax(logits / T) over the full vocabulary
for one step only: the entropy is taken at once, and the log-probability of the sampled token at
the next call (whose `input_ids` end with that token) or, for the last step, from the returned
sequences. Memory is O(batch × vocabulary) instead of the O(batch × length × vocabulary) that
`output_logits=True` would hold — that is what keeps n = 256 samples of a 150k-vocabulary model
bounded; `batch_size` bounds the KV cache.

The sampling distribution is exactly softmax(logits / T): top_k 0, top_p 1, no repetition penalty,
whatever the model's own generation_config says, so the recorded log-probabilities are those of
the tokens' actual sampling distribution (the rollout shards' convention).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList


class RecordingProcessor(LogitsProcessor):
    def __init__(self, temperature: float):
        self.temperature = temperature
        self.logprobs: list[torch.Tensor] = []  # per step, (B,)
        self.entropies: list[torch.Tensor] = []  # per step, (B,)
        self._last: torch.Tensor | None = None  # (B, V) float32 log-probs of the previous step

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._last is not None:
            self.logprobs.append(self._last.gather(-1, input_ids[:, -1:]).squeeze(-1))
        logp = torch.log_softmax(scores.float() / self.temperature, dim=-1)
        self.entropies.append(-(logp.exp() * logp).nansum(-1))  # nansum: 0 · log 0
        self._last = logp
        return scores

    def finish(self, sequences: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logprobs, entropies), each (B, generated steps)."""
        if self._last is not None:
            self.logprobs.append(self._last.gather(-1, sequences[:, -1:]).squeeze(-1))
            self._last = None
        return torch.stack(self.logprobs, 1), torch.stack(self.entropies, 1)


def sampling_config(tokenizer, temperature: float, max_new_tokens: int) -> GenerationConfig:
    return GenerationConfig(
        max_new_tokens=max_new_tokens, do_sample=True, temperature=temperature, top_k=0, top_p=1.0,
        typical_p=1.0, repetition_penalty=1.0, no_repeat_ngram_size=0, min_length=0,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id, disable_compile=True,
    )


def left_padded(prompts: list[list[int]], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask) of prompts left-padded to the longest, as TRL pads them."""
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts], device=device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=device)
    return ids, mask


@torch.no_grad()
def sample_chunk(model, tokenizer, prompts: list[list[int]], temperature: float, max_new_tokens: int,
                 record: bool = True) -> list[dict[str, Any]]:
    """One generate call: per prompt `token_ids` (through the EOS token), `logprobs`, `entropies`, `truncated`."""
    device = next(model.parameters()).device
    ids, mask = left_padded(prompts, tokenizer.pad_token_id, device)
    processor = RecordingProcessor(temperature) if record else None
    sequences = model.generate(
        input_ids=ids, attention_mask=mask, generation_config=sampling_config(tokenizer, temperature, max_new_tokens),
        logits_processor=LogitsProcessorList([processor] if processor else []),
    )
    completions = sequences[:, ids.size(1):]
    if processor is None:
        logps = ents = torch.zeros(completions.shape)
    else:
        logps, ents = processor.finish(sequences)
    completions, logps, ents = completions.cpu(), logps.float().cpu(), ents.float().cpu()  # one transfer each
    eos = tokenizer.eos_token_id
    out = []
    for b in range(completions.size(0)):
        row = completions[b].tolist()
        end = row.index(eos) + 1 if eos in row else len(row)
        out.append({"token_ids": row[:end], "logprobs": logps[b, :end].tolist(),
                    "entropies": ents[b, :end].tolist(), "truncated": eos not in row})
    return out


def generate_samples(model, tokenizer, prompts: list[list[int]], samples: int, temperature: float,
                     max_new_tokens: int, batch_size: int, seed: int,
                     on_progress: Callable[[int], None] | None = None,
                     should_stop: Callable[[], bool] | None = None) -> list[dict[str, Any]] | None:
    """`samples` samples of every prompt, prompt-major, in chunks of `batch_size` sequences.

    Each row: prompt_id, sample_index, token_ids, logprobs, entropies, truncated. Returns None when
    `should_stop` said so between two chunks.
    """
    jobs = [(p, s) for p in range(len(prompts)) for s in range(samples)]
    torch.manual_seed(seed)  # the same stream for every checkpoint
    rows: list[dict[str, Any]] = []
    for start in range(0, len(jobs), batch_size):
        if should_stop is not None and should_stop():
            return None
        chunk = jobs[start:start + batch_size]
        results = sample_chunk(model, tokenizer, [prompts[p] for p, _ in chunk], temperature, max_new_tokens)
        rows.extend({"prompt_id": p, "sample_index": s, **r} for (p, s), r in zip(chunk, results, strict=True))
        if on_progress is not None:
            on_progress(len(rows))
    return rows
