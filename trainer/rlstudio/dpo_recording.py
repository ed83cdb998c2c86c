"""RecordingDPOTrainer: TRL's DPOTrainer (loss_type sigmoid, robust, ipo, …) plus capture, pair by pair.

Capture points. TRL's `DPOTrainer._compute_loss` runs two forwards over one batch of
`[chosen rows; rejected rows]` (prompt + completion, right-padded; `completion_mask` marks the
completion): the policy (gradients on) and then the reference under `torch.no_grad()` — the
reference model, or the same PEFT model with its adapters disabled (`use_adapter(model, None)`):
the reference is the initial policy either way (train.py passes a frozen copy of the initial
weights for full fine-tuning). It reduces each to per-token logps with `selective_log_softmax`
and keeps only their sums. So:

- a forward hook on the policy module and on the reference module (`register_forward_hook`,
  with kwargs) sees the logits of each of those two forwards while `_compute_loss` runs on a
  recorded step. The hook applies TRL's own `selective_log_softmax` to the same shifted logits
  and labels at the completion positions (what TRL computes next for every position, then
  masks) and, for the policy forward only, TRL's `entropy_from_logits` (what TRL averages into
  the `entropy` metric). The forward with
  gradients enabled is the policy; the one without is the reference.
- `_compute_loss` (wrapped) stores, per pair, the prompt ids and for chosen and rejected: token
  ids, policy logps, reference logps, policy entropies (completion positions only). Values are
  those of the loss pass, i.e. of the weights before this step's update.
- At the step end `ShardRecorder.flush_step` gathers every rank's pairs; rank 0 writes a
  "preference" shard (runformat.PREFERENCE_COLUMNS): two rows per pair, and the per-token implicit
  reward beta * (logprobs - ref_logprobs), computed in float32 from the recorded columns.

TRL's own metrics (`rewards/chosen`, `rewards/rejected`, `rewards/margins`,
`rewards/accuracies`, `logps/chosen`, `logps/rejected`, `logits/*`, `entropy`, …) reach
metrics.jsonl through the usual `log` → RunCallback path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from trl import DPOTrainer
from trl.trainer.utils import entropy_from_logits, selective_log_softmax

from rlstudio import runformat
from rlstudio.config import RecordingConfig
from rlstudio.recording import ShardRecorder
from rlstudio.rollouts import token_pieces, write_shard


class RecordingDPOTrainer(ShardRecorder, DPOTrainer):
    shard_kind = runformat.PREFERENCE_KIND

    def __init__(self, *args, recording: RecordingConfig, rollouts_dir: Path | None, **kwargs):
        super().__init__(*args, **kwargs)
        self._start_recording(recording, rollouts_dir)
        self._forwards: list[tuple[bool, torch.Tensor, torch.Tensor | None]] | None = None
        self._positions: torch.Tensor | None = None
        self._batches = 0
        modules = [self.accelerator.unwrap_model(self.model)]
        if self.ref_model is not None:
            modules.append(self.accelerator.unwrap_model(self.ref_model))
        self._hooks = [m.register_forward_hook(self._on_forward, with_kwargs=True) for m in modules]

    def _shard_reward_names(self) -> list[str]:
        return [runformat.IMPLICIT_REWARD]

    # --- capture ----------------------------------------------------------------------------

    def _on_forward(self, module, args, kwargs, output) -> None:
        if self._forwards is None:
            return
        input_ids = kwargs.get("input_ids", args[0] if args else None)
        positions = self._positions.to(output.logits.device)  # (B, T-1): logits at t predict token t + 1
        with torch.no_grad():
            logits = output.logits[:, :-1][positions].detach()  # (N, V), the completion tokens only
            # One (1, N, V) row: TRL's function loops over its first dimension (to bound memory).
            logps = selective_log_softmax(logits[None], input_ids[:, 1:][positions][None])[0]  # (N,)
            policy = torch.is_grad_enabled() or output.logits.requires_grad
            entropies = entropy_from_logits(logits) if policy else None
        self._forwards.append((policy, logps, entropies))

    def _compute_loss(self, model, inputs, return_outputs):
        if not (self.model.training and self._recording_this_step()):
            return super()._compute_loss(model, inputs, return_outputs)
        self._forwards = []
        self._positions = inputs["completion_mask"][:, 1:].bool()
        try:
            result = super()._compute_loss(model, inputs, return_outputs)
            self._store_pairs(inputs, self._forwards)
        finally:
            self._forwards = None
        return result

    def _store_pairs(self, inputs: dict[str, Any], forwards: list) -> None:
        policy = [f for f in forwards if f[0]]
        reference = [f for f in forwards if not f[0]]
        if not policy or not reference:
            raise RuntimeError("DPO recording saw no reference forward (precompute_ref_log_probs must be off)")
        _, logps, entropies = policy[0]
        _, ref_logps, _ = reference[0]
        input_ids = inputs["input_ids"].cpu()
        completion = inputs["completion_mask"].bool().cpu()
        attention = inputs["attention_mask"].bool().cpu()
        positions = self._positions.cpu()
        counts = positions.sum(1).tolist()
        # One transfer per tensor, then per row (chosen rows first, then rejected: TRL's batch layout).
        per_row = {name: torch.split(values.float().cpu(), counts)
                   for name, values in (("logprobs", logps), ("ref_logprobs", ref_logps), ("entropies", entropies))}
        pairs = input_ids.size(0) // 2
        batch = self._batches
        self._batches += 1
        for i in range(pairs):
            sides = {}
            for role, b in zip(runformat.PREFERENCE_ROLES, (i, pairs + i)):
                sides[role] = {"token_ids": input_ids[b, 1:][positions[b]].tolist(),
                               **{name: values[b].tolist() for name, values in per_row.items()}}
            prompt = attention[i] & ~completion[i]
            key = (batch, self.accelerator.process_index, i)
            self._rows[key] = {"prompt_ids": input_ids[i][prompt].tolist(), **sides}

    # --- shard ------------------------------------------------------------------------------

    def _write_shard(self, step: int, rows: list[dict[str, Any]], on_written) -> None:
        out = [self._finish_side(step, index, pair, role) for index, pair in enumerate(rows)
               for role in runformat.PREFERENCE_ROLES]
        shard = write_shard(self.rollouts_dir, step, out, self._shard_reward_names(), kind=self.shard_kind)
        on_written(step, shard, len(out))

    def _finish_side(self, step: int, index: int, pair: dict[str, Any], role: str) -> dict[str, Any]:
        tokenizer = self.processing_class
        side = pair[role]
        tokens = token_pieces(tokenizer, side["token_ids"])
        logprobs = np.asarray(side["logprobs"], dtype=np.float32)
        ref_logprobs = np.asarray(side["ref_logprobs"], dtype=np.float32)
        implicit = np.float32(self.beta) * (logprobs - ref_logprobs)
        sequence = float(self.beta * (logprobs.astype(np.float64).sum() - ref_logprobs.astype(np.float64).sum()))
        eos_ids = {tokenizer.eos_token_id, tokenizer.pad_token_id}
        return {
            "step": step,
            "prompt_index": index,
            "group_index": 0 if role == "chosen" else 1,
            "role": role,
            "prompt": tokenizer.decode(pair["prompt_ids"], skip_special_tokens=False),
            "completion": "".join(tokens),
            "token_ids": side["token_ids"],
            "tokens": tokens,
            "logprobs": side["logprobs"],
            "ref_logprobs": side["ref_logprobs"],
            "implicit_rewards": implicit.tolist(),
            "entropies": side["entropies"],
            "loss_mask": [1] * len(side["token_ids"]),
            "advantage": None,
            "reward": sequence,
            "rewards": {runformat.IMPLICIT_REWARD: sequence},
            "truncated": not side["token_ids"] or side["token_ids"][-1] not in eos_ids,
            "extras": json.dumps({}),
        }
