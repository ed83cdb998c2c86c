"""RecordingGRPOTrainer and RecordingRLOOTrainer: TRL's online trainers plus capture of what the loss used.

Both share `RolloutRecorder` (a mixin placed before the TRL class, so each hook below wraps TRL's
own method through `super()`); the DPO family records through `rlstudio.dpo_recording`, which shares
`ShardRecorder` (the end-of-step gathering and off-thread shard writing).

Capture points (all values are the tensors TRL computes, detached; nothing is recomputed):

- `_generate_and_score_completions`: tags each generated row with its global row index (rows of a
  GRPO group are consecutive: prompt_index = row // num_generations) so it can be found again
  after TRL shuffles and splits the generation batch, and keeps the per-function rewards that
  `_calculate_rewards` gathered across processes, plus reward errors and `log_extra` values.
- `_compute_loss`: while it runs, `_get_per_token_logps_and_entropies` (the policy forward of
  the loss) and `get_high_entropy_mask` (the forking mask) are captured. Per row we store:
    logprobs   = inputs["old_per_token_logps"] when TRL computed it at generation time (the
                 generating policy; num_iterations > 1 or steps_per_generation >
                 gradient_accumulation_steps), else the loss pass's per_token_logps — the
                 same weights that sampled the tokens, which TRL itself uses as "old" logps;
    entropies  = the loss pass's full-vocabulary entropies of logits / temperature;
    loss_mask  = completion_mask × tool_mask × the entropy mask TRL applied (when
                 top_entropy_quantile < 1);
    advantage  = inputs["advantages"].
  Each row is captured on the first optimization pass over its generation batch only. With rollout
  replay (`rlstudio.replay`) the batch also holds rows from the buffer: `rlstudio_replayed` and
  `rlstudio_born` (the step that generated them) give the shard's `replayed` and `age`; their
  `logprobs` are then the recorded behaviour-policy ones the loss used.
- RLOO (`RecordingRLOOTrainer`) differs in two places: TRL's RLOOTrainer always computes the
  generating policy's per-token logps in `_generate_and_score_completions` (the first
  `_get_per_token_logps_and_entropies` call there; a second one, when beta > 0, is the
  reference) but keeps only their sum (`old_logps`); the subclass keeps the per-token tensor as
  `old_per_token_logps`, which the loss ignores and the capture above records. RLOO has no
  forking mask (the loss mask is the completion mask) and its advantages are TRL's leave-one-out
  ones (reward minus the mean of the other completions of the group, KL penalty included).
- At the end of each optimizer step (`flush_step`, called on every rank) the rows of all ranks
  are gathered with accelerate's gather_object; rank 0 decodes the tokens and writes the shard in
  a background thread, off the training loop.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from accelerate.utils import gather_object
from trl import GRPOTrainer, RLOOTrainer

from rlstudio import runformat
from rlstudio.config import RecordingConfig
from rlstudio.data import INDEX_COLUMN
from rlstudio.rewards import RewardError
from rlstudio.rollouts import token_pieces, write_shard


@dataclass
class _Generation:
    """What one generation batch produced besides the tensors TRL hands to the loss."""

    rewards: torch.Tensor  # (N_global, F) float32, NaN where a function gave no value
    errors: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))  # global row -> messages
    extras: dict[int, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))  # global row -> values
    hint_ids: dict[int, list[str]] = field(default_factory=dict)  # global row -> knowledge points injected
    dataset_index: dict[int, int | None] = field(default_factory=dict)  # global row -> source data row


class ShardRecorder:
    """Mixin for a TRL trainer: the rows captured during a step become one shard at its end.

    A subclass fills `self._rows` (key -> row; keys sort in the shard's row order) and provides
    `_finish_row(step, row)` (the shard row).
    """

    shard_kind = runformat.ROLLOUTS_KIND

    def _start_recording(self, recording: RecordingConfig, rollouts_dir: Path | None) -> None:
        self.recording = recording
        self.rollouts_dir = rollouts_dir
        self._rows: dict[tuple, dict[str, Any]] = {}
        self._error_events: list[dict[str, Any]] = []
        self._shard_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rlstudio-shards")
        self._pending: list[Future] = []

    def _recording_this_step(self) -> bool:
        step = self.state.global_step + 1
        return self.recording.enabled and step % self.recording.every_n_steps == 0

    def _shard_reward_names(self) -> list[str]:
        return self.reward_func_names

    # --- end of step ------------------------------------------------------------------------

    def flush_step(self, step: int, on_written: Callable[[int, Path, int], None]) -> list[dict[str, Any]]:
        """Gather this step's rows and reward errors (every rank calls this at each step end).

        Rank 0 hands the rows to a background thread that decodes them and writes the shard, then
        calls `on_written(step, path, rows)`; the next step runs meanwhile. Returns the reward
        error events of the step.
        """
        self._raise_write_errors()
        rows = [{"key": key, **row} for key, row in sorted(self._rows.items())]
        self._rows.clear()
        errors, self._error_events = self._error_events, []
        if self.accelerator.num_processes > 1:
            rows = gather_object(rows)
            errors = gather_object(errors)
        if self.accelerator.is_main_process and rows and self.rollouts_dir is not None:
            rows.sort(key=lambda r: r["key"])
            if self.recording.max_rollouts is not None:
                rows = rows[: self.recording.max_rollouts]
            self._pending.append(self._shard_writer.submit(self._write_shard, step, rows, on_written))
        return errors

    def _write_shard(self, step: int, rows: list[dict[str, Any]], on_written) -> None:
        shard = write_shard(self.rollouts_dir, step, [self._finish_row(step, r) for r in rows],
                            self._shard_reward_names(), kind=self.shard_kind)
        on_written(step, shard, len(rows))

    def _raise_write_errors(self) -> None:
        done = [f for f in self._pending if f.done()]
        self._pending = [f for f in self._pending if not f.done()]
        for future in done:
            future.result()  # re-raises a failed write (e.g. a full disk) in the training thread

    def finish_recording(self) -> None:
        """Wait for the shards still being written; raise if one failed."""
        for future in self._pending:
            future.result()
        self._pending = []


class RolloutRecorder(ShardRecorder):
    """The capture hooks shared by the online trainers (GRPO, RLOO); see the module docstring."""

    def __init__(self, *args, recording: RecordingConfig, reward_errors: list[RewardError],
                 rollouts_dir: Path | None, **kwargs):
        super().__init__(*args, **kwargs)
        self._start_recording(recording, rollouts_dir)
        self._reward_errors = reward_errors  # filled by the reward wrappers (rlstudio.rewards.wrap_reward)
        self._generation_id = 0
        self._generations: dict[int, _Generation] = {}
        self._capture: dict[str, torch.Tensor] | None = None
        self._last_rewards: torch.Tensor | None = None
        self._last_extras: dict[str, list] = {}
        self._last_errors: list[RewardError] = []

    # --- generation ------------------------------------------------------------------------

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        self._reward_errors.clear()
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._last_rewards = rewards.detach().float().cpu()
        self._last_extras = {k: list(v) for k, v in self._pending_extra_logs.items()}  # local, before TRL flushes
        self._last_errors = list(self._reward_errors)
        return rewards

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if not self.model.training:
            return output
        n = output["completion_ids"].size(0)
        offset = self.accelerator.process_index * n
        device = output["completion_ids"].device
        gen_id = self._generation_id
        self._generation_id += 1
        output["rlstudio_row"] = torch.arange(offset, offset + n, device=device)
        output["rlstudio_generation"] = torch.full((n,), gen_id, device=device)

        generation = _Generation(rewards=self._last_rewards)
        for failure in self._last_errors:
            rows = [offset + i for i in failure.indices]
            for row in rows:
                error = failure.error
                generation.errors[row].append(f"{failure.function}: {error['type']}: {error['message']}")
            self._error_events.append(
                {"step": self.state.global_step + 1, "function": failure.function, "indices": rows,
                 "error": failure.error}
            )
        for column, values in self._last_extras.items():
            for i, value in enumerate(values[:n]):
                generation.extras[offset + i][column] = value
        for i, example in enumerate(inputs[:n]):  # one input per completion (prompts repeated per group)
            generation.hint_ids[offset + i] = list(example.get("hint_ids") or [])
            generation.dataset_index[offset + i] = example.get(INDEX_COLUMN)
        self._generations[gen_id] = generation
        for old in [g for g in self._generations if g < gen_id - 1]:
            del self._generations[old]
        return output

    # --- loss capture ----------------------------------------------------------------------

    def _get_per_token_logps_and_entropies(self, *args, **kwargs):
        logps, entropies, aux_loss = super()._get_per_token_logps_and_entropies(*args, **kwargs)
        if self._capture is not None and "logps" not in self._capture:
            self._capture["logps"] = logps.detach()
            if entropies is not None:
                self._capture["entropies"] = entropies.detach()
        return logps, entropies, aux_loss

    def _compute_loss(self, model, inputs):
        generate_every = self.args.steps_per_generation * self.num_iterations
        first_pass = self._step % generate_every < self.args.steps_per_generation
        if not (self.model.training and first_pass and "rlstudio_row" in inputs and self._recording_this_step()):
            return super()._compute_loss(model, inputs)
        self._capture = {}
        try:
            loss = super()._compute_loss(model, inputs)
            self._store_rows(inputs, self._capture)
        finally:
            self._capture = None
        return loss

    def _store_rows(self, inputs: dict[str, Any], captured: dict[str, torch.Tensor]) -> None:
        completion_mask = inputs["completion_mask"]
        mask = completion_mask if "tool_mask" not in inputs else completion_mask * inputs["tool_mask"]
        entropy_mask = captured.get("entropy_mask")
        loss_mask = mask.bool() if entropy_mask is None else (mask.bool() & entropy_mask)
        logps = inputs.get("old_per_token_logps")
        logps = captured["logps"] if logps is None else logps
        threshold = None
        if entropy_mask is not None and entropy_mask.any():
            threshold = float(captured["entropies"][entropy_mask].min())
        advantages = inputs["advantages"]
        if advantages.dim() == 2:  # per-token advantages (subclasses such as MiniLLM): keep the mean
            advantages = (advantages * mask).sum(-1) / mask.sum(-1).clamp(min=1)
        # One transfer per tensor per micro-batch.
        cpu = {
            "prompt_ids": inputs["prompt_ids"].cpu(), "prompt_mask": inputs["prompt_mask"].bool().cpu(),
            "completion_ids": inputs["completion_ids"].cpu(), "completion_mask": completion_mask.bool().cpu(),
            "logps": logps.float().cpu(), "entropies": captured["entropies"].float().cpu(),
            "loss_mask": loss_mask.cpu(), "advantages": advantages.float().cpu(),
            "row": inputs["rlstudio_row"].cpu(), "generation": inputs["rlstudio_generation"].cpu(),
        }
        replayed = inputs.get("rlstudio_replayed")  # set by rlstudio.replay; absent: every row is fresh
        replayed = replayed.cpu().tolist() if replayed is not None else [False] * cpu["row"].size(0)
        born = inputs["rlstudio_born"].cpu().tolist() if "rlstudio_born" in inputs else None
        step = self.state.global_step + 1
        eos_ids = {self.processing_class.eos_token_id, self.processing_class.pad_token_id}
        for b in range(cpu["row"].size(0)):
            gen_id, row = int(cpu["generation"][b]), int(cpu["row"][b])
            if (gen_id, row) in self._rows:
                continue
            valid = cpu["completion_mask"][b]
            ids = cpu["completion_ids"][b][valid].tolist()
            generation = self._generations.get(gen_id)
            per_func = generation.rewards[row].tolist() if generation is not None else []
            self._rows[(gen_id, row)] = {
                "prompt_index": row // self.num_generations,
                "group_index": row % self.num_generations,
                "prompt_ids": cpu["prompt_ids"][b][cpu["prompt_mask"][b]].tolist(),
                "token_ids": ids,
                "logprobs": cpu["logps"][b][valid].tolist(),
                "entropies": cpu["entropies"][b][valid].tolist(),
                "loss_mask": cpu["loss_mask"][b][valid].to(torch.int8).tolist(),
                "advantage": float(cpu["advantages"][b]),
                "rewards": per_func,
                "truncated": not ids or ids[-1] not in eos_ids,
                "reward_error": "\n".join(generation.errors.get(row, [])) or None if generation else None,
                "extras": dict(generation.extras.get(row, {})) if generation else {},
                "hint_ids": generation.hint_ids.get(row, []) if generation else [],
                "entropy_threshold": threshold,
                "dataset_index": generation.dataset_index.get(row) if generation else None,
                "replayed": bool(replayed[b]),
                "age": step - int(born[b]) if replayed[b] and born is not None else 0,
            }

    def _finish_row(self, step: int, row: dict[str, Any]) -> dict[str, Any]:
        tokenizer = self.processing_class
        tokens = token_pieces(tokenizer, row["token_ids"])
        rewards = {name: (None if math.isnan(v) else v) for name, v in zip(self.reward_func_names, row["rewards"])}
        weights = self.reward_weights.tolist()
        scored = [(v, w) for v, w in zip(row["rewards"], weights) if not math.isnan(v)]
        return {
            "step": step,
            "prompt_index": row["prompt_index"],
            "group_index": row["group_index"],
            "prompt": tokenizer.decode(row["prompt_ids"], skip_special_tokens=False),
            "completion": "".join(tokens),
            "token_ids": row["token_ids"],
            "tokens": tokens,
            "logprobs": row["logprobs"],
            "entropies": row["entropies"],
            "loss_mask": row["loss_mask"],
            "advantage": row["advantage"],
            "reward": sum(v * w for v, w in scored) if scored else None,
            "rewards": rewards,
            "truncated": row["truncated"],
            "hint_ids": row["hint_ids"],
            "reward_error": row["reward_error"],
            "extras": json.dumps(row["extras"], default=str),
            "entropy_threshold": row["entropy_threshold"],
            "dataset_index": row["dataset_index"],
            "replayed": row["replayed"],
            "age": row["age"],
        }


class RecordingGRPOTrainer(RolloutRecorder, GRPOTrainer):
    def get_high_entropy_mask(self, entropies, mask, threshold):
        entropy_mask = super().get_high_entropy_mask(entropies, mask, threshold)
        if self._capture is not None:
            self._capture["entropy_mask"] = entropy_mask.detach()
        return entropy_mask


class RecordingRLOOTrainer(RolloutRecorder, RLOOTrainer):
    """RLOO: the generating policy's per-token logps, which TRL sums and drops, are kept for the shard."""

    _generation_logps: list[torch.Tensor] | None = None

    def _generate_and_score_completions(self, inputs):
        self._generation_logps = [] if self.model.training else None
        try:
            output = super()._generate_and_score_completions(inputs)
        finally:
            captured, self._generation_logps = self._generation_logps, None
        if captured:
            output["old_per_token_logps"] = captured[0]  # the first call is the policy; a second, the reference
        return output

    def _get_per_token_logps_and_entropies(self, *args, **kwargs):
        result = super()._get_per_token_logps_and_entropies(*args, **kwargs)
        if self._generation_logps is not None:
            self._generation_logps.append(result[0].detach())
        return result
